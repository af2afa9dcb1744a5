"""List routes under load: `GET /version`, `GET /api/v1/servers` and `GET /api/v1/backups?limit=50`
measured with wrk at concurrency 10 and 50.

    .venv/bin/python bench/list_routes.py [--duration 15] [--rounds 1] [--baseline /path/to/other/tree]

A benchmark, not a test: it prints a table and writes the numbers to bench/results/list_routes.json,
and exits 0 whether or not a target is met (non-zero only when something fails).

- Lifeboat runs as a user runs it (`lifeboat up` with a data dir, ports and admin password of its
  own, as every benchmark starts it: bench/harness), seeded over the HTTP API with --servers servers
  (default 20) and --backups completed backups (default 60) of a small database made for the run
  on the machine's PostgreSQL at 127.0.0.1:5432 (dropped at the end).
- wrk (Debian's package; `make bench` installs it when missing) runs on the same machine with
  --threads threads (default 1: on 2 cores a second wrk thread takes CPU from the stack it
  measures) for --duration seconds per route and concurrency, each run with a fresh bearer
  token; bench/list_routes.lua sends it and prints requests, errors (socket errors, timeouts and
  non-2xx answers) and latency percentiles. Requests per second are completed requests over the
  run's duration.
- Targets, for both list routes at concurrency 50: at least 800 req/s, p99 under 100 ms, no
  errors. `/version` (no RPC, no database) shows the gateway's own ceiling.
- `--baseline TREE` also starts a second stack from another checkout (PYTHONPATH=TREE, e.g. main)
  and interleaves the runs (this tree, the baseline, this tree, …) so that both see the same noise;
  the table shows medians over --rounds rounds. The load average (1 min) is printed with each run:
  every process here (wrk, the gateway, the catalog, PostgreSQL, NATS) shares the machine's CPUs.
"""

import argparse
import contextlib
import json
import os
import platform
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import harness
import httpx
from harness import RESULTS, ROOT, BenchError, log
from harness.postgres import PG_HOST, PG_PORT, PG_USER, create_database, drop_database, psql
from harness.stack import Api, lifeboat_up

OUTPUT = RESULTS / "list_routes.json"
SCRIPT = ROOT / "bench" / "list_routes.lua"

ROUTES = ("/version", "/api/v1/servers", "/api/v1/backups?limit=50")
LIST_ROUTES = ROUTES[1:]
TARGET_RPS = 800.0
TARGET_P99_MS = 100.0
TARGET_CONCURRENCY = 50
BACKUP_TIMEOUT = 300.0
WRK_TIMEOUT_S = 5


@dataclass
class Target:
    """One running stack under test: this tree, or the baseline."""

    label: str
    api: Api
    base_url: str
    runs: list[dict[str, Any]] = field(default_factory=list)


def loadavg() -> float:
    return harness.loadavg()[0]


def seed(api: Api, source: str, servers: int, backups: int) -> None:
    """`servers` servers, one of them holding `source`, and `backups` completed backups of it."""
    suffix = secrets.token_hex(3)
    first = None
    for n in range(servers):
        server = api.call("POST", "/servers", {
            "name": f"bench-{suffix}-{n:02d}", "engine_type": "postgresql", "host": PG_HOST,
            "port": PG_PORT, "environment": "bench", "credentials": {"username": PG_USER, "password": "x"},
        })  # fmt: skip
        first = first or server
    assert first is not None
    # keeps every seed backup: the Default Policy keeps only the newest of each day
    policy = api.call("POST", "/retention-policies", {"name": f"bench-{suffix}", "keep_last_n": 10 * backups})
    reply = api.call("POST", "/databases", {
        "name": f"bench-{source}", "database_type": "postgresql", "engine_id": first["id"],
        "use_engine_credentials": True, "database_name": source, "policy_id": policy["id"],
    })  # fmt: skip
    database_id = reply.get("database", reply)["id"]
    ids = [api.call("POST", f"/databases/{database_id}/backup")["backup_id"] for _ in range(backups)]
    deadline = time.monotonic() + BACKUP_TIMEOUT
    pending = set(ids)
    while pending:
        if time.monotonic() > deadline:
            raise BenchError(f"{len(pending)} seed backups not finished after {BACKUP_TIMEOUT:.0f} s")
        for backup_id in sorted(pending):
            body = api.call("GET", f"/backups/{backup_id}")
            if body["status"] in ("failed", "cancelled"):
                raise BenchError(f"seed backup {backup_id} {body['status']}: {body.get('error_message')}")
            if body["status"] == "completed":
                pending.discard(backup_id)
        time.sleep(0.5)
    listed = api.client.get("/servers", params={"limit": 500}).json()
    if len(listed) != servers:
        raise BenchError(f"GET /servers lists {len(listed)} servers, {servers} expected")
    page = api.client.get("/backups", params={"limit": 50}).json()
    if len(page["items"]) != min(50, backups):
        raise BenchError(f"GET /backups?limit=50 lists {len(page['items'])} backups")


def wrk(target: Target, route: str, connections: int, threads: int, duration: int) -> dict[str, Any]:
    target.api.login()  # a fresh token: a run must not outlive it
    token = target.api.client.headers["Authorization"].removeprefix("Bearer ")
    load_before = loadavg()
    command = [
        "wrk", f"-t{min(threads, connections)}", f"-c{connections}", f"-d{duration}s",
        f"--timeout={WRK_TIMEOUT_S}s", "-s", str(SCRIPT), f"{target.base_url}{route}", "--", token,
    ]  # fmt: skip
    out = subprocess.run(command, capture_output=True, text=True, timeout=duration + 60)
    match = re.search(r"^result (\{.*\})$", out.stdout, re.MULTILINE)
    if out.returncode != 0 or match is None:
        raise BenchError(f"wrk failed ({out.returncode}): {out.stdout}\n{out.stderr}")
    raw = json.loads(match[1])
    errors = sum(raw[k] for k in ("connect", "read", "write", "status", "timeout"))
    run = {
        "route": route,
        "connections": connections,
        "rps": raw["requests"] / (raw["duration_us"] / 1e6),
        "p50_ms": raw["p50_us"] / 1000,
        "p90_ms": raw["p90_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "max_ms": raw["max_us"] / 1000,
        "requests": raw["requests"],
        "errors": errors,
        "error_kinds": {k: raw[k] for k in ("connect", "read", "write", "status", "timeout") if raw[k]},
        "load_before": load_before,
        "load_after": loadavg(),
    }
    log(
        f"{target.label:9} {route:26} c={connections:<3} {run['rps']:7.0f} req/s  "
        f"p50 {run['p50_ms']:6.1f} ms  p99 {run['p99_ms']:6.1f} ms  errors {errors}  "
        f"load {load_before:.2f}→{run['load_after']:.2f}"
    )
    target.runs.append(run)
    return run


def summary(target: Target, route: str, connections: int) -> dict[str, Any]:
    runs = [r for r in target.runs if r["route"] == route and r["connections"] == connections]
    return {
        "rps": statistics.median(r["rps"] for r in runs),
        "p50_ms": statistics.median(r["p50_ms"] for r in runs),
        "p99_ms": statistics.median(r["p99_ms"] for r in runs),
        "errors": sum(r["errors"] for r in runs),
        "load": statistics.median(r["load_before"] for r in runs),
        "rounds": len(runs),
    }


def verdict(route: str, connections: int, s: dict[str, Any]) -> str:
    """PASS, or MISS with each target missed; empty for a row without a target."""
    if route not in LIST_ROUTES or connections != TARGET_CONCURRENCY:
        return ""
    missed = [
        *([f"req/s {s['rps']:.0f} < {TARGET_RPS:.0f}"] if s["rps"] < TARGET_RPS else []),
        *([f"p99 {s['p99_ms']:.0f} ms ≥ {TARGET_P99_MS:.0f}"] if s["p99_ms"] >= TARGET_P99_MS else []),
        *([f"{s['errors']} errors"] if s["errors"] else []),
    ]
    return f"MISS ({', '.join(missed)})" if missed else "PASS"


def report(targets: list[Target], connections: list[int]) -> list[dict[str, Any]]:
    rows = []
    print()
    goal = f"c={TARGET_CONCURRENCY}: ≥{TARGET_RPS:.0f} req/s, p99 <{TARGET_P99_MS:.0f} ms, 0 errors"
    print(f"{'route':26} {'c':>3} {'stack':9} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6} "
          f"{'load':>5}  target ({goal})")  # fmt: skip
    for route in ROUTES:
        for c in connections:
            for target in targets:
                s = summary(target, route, c)
                mark = verdict(route, c, s)
                print(f"{route:26} {c:>3} {target.label:9} {s['rps']:7.0f} {s['p50_ms']:7.1f} "
                      f"{s['p99_ms']:7.1f} {s['errors']:>6} {s['load']:5.2f}  {mark}")  # fmt: skip
                rows.append({"route": route, "connections": c, "stack": target.label, "verdict": mark, **s})
    marks = [r["verdict"] for r in rows if r["verdict"] and r["stack"] == targets[0].label]
    overall = "PASS" if all(m == "PASS" for m in marks) else "MISS"
    print(f"\nlist routes at c={TARGET_CONCURRENCY} ({targets[0].label}): {overall}")
    return rows


@contextlib.contextmanager
def source_database() -> Iterator[str]:
    name = f"lifeboat_bench_list_{secrets.token_hex(3)}"
    create_database(name)
    try:
        psql("CREATE TABLE items AS SELECT g AS id, md5(g::text) AS t FROM generate_series(1, 100) g", name)
        yield name
    finally:
        drop_database(name)


@contextlib.contextmanager
def started(
    work: Path, label: str, tree: str | None, source: str, args: argparse.Namespace
) -> Iterator[Target]:
    folder = work / label
    folder.mkdir()
    env = {"PYTHONPATH": tree} if tree else {}
    log(f"starting lifeboat up ({label}{': ' + tree if tree else ''})")
    with lifeboat_up(folder, env) as stack:
        api = Api(stack)
        seed(api, source, args.servers, args.backups)
        log(f"{label}: {args.servers} servers and {args.backups} completed backups")
        yield Target(label, api, stack.base_url)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=15, help="seconds per wrk run")
    parser.add_argument("--connections", default="10,50", help="concurrency levels, comma-separated")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--rounds", type=int, default=1, help="interleaved rounds (medians are reported)")
    parser.add_argument("--servers", type=int, default=20)
    parser.add_argument("--backups", type=int, default=60)
    parser.add_argument("--baseline", help="another checkout to measure alongside, interleaved")
    args = parser.parse_args()
    connections = [int(c) for c in args.connections.split(",")]
    if args.duration < 1 or args.rounds < 1 or args.servers < 1 or args.backups < 1 or min(connections) < 1:
        parser.error("--duration, --rounds, --servers, --backups and --connections must be at least 1")
    if shutil.which("wrk") is None:
        parser.error("wrk is not installed (apt-get install wrk)")

    def terminate(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)
    work = Path(tempfile.mkdtemp(prefix="lifeboat-bench-list-"))
    work.chmod(0o755)  # the embedded PostgreSQL may run as its own user under root
    code = 1
    try:
        with contextlib.ExitStack() as stacks:
            source = stacks.enter_context(source_database())
            targets = [stacks.enter_context(started(work, "this", None, source, args))]
            if args.baseline:
                targets.append(stacks.enter_context(started(work, "baseline", args.baseline, source, args)))
            log(f"load average {os.getloadavg()}; {args.rounds} round(s) of {args.duration} s per run")
            for _ in range(args.rounds):
                for route in ROUTES:
                    for c in connections:
                        for target in targets:
                            wrk(target, route, c, args.threads, args.duration)
            rows = report(targets, connections)
        RESULTS.mkdir(parents=True, exist_ok=True)
        OUTPUT.write_text(json.dumps({
            "started": datetime.now(UTC).isoformat(), "machine": platform.node(), "cpus": os.cpu_count(),
            "args": vars(args), "summary": rows, "runs": {t.label: t.runs for t in targets},
        }, indent=2) + "\n")  # fmt: skip
        print(f"wrote {OUTPUT.relative_to(ROOT)}")
        code = 0
    except KeyboardInterrupt:
        print("\ninterrupted: cleaning up", file=sys.stderr)
        code = 130
    except (BenchError, subprocess.SubprocessError, httpx.HTTPError, OSError) as exc:
        print(f"\nerror: {exc}", file=sys.stderr)
    except Exception:
        traceback.print_exc()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
