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
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import traceback
from datetime import UTC, datetime
from pathlib import Path

import httpx
from harness import MB, RESULTS, ROOT, BenchError, log
from harness.postgres import PG_HOST, PG_PORT, PG_USER, drop_database, psql
from harness.report import write_json
from harness.stack import Api, executor, lifeboat_up
from vs_tools.report import report
from vs_tools.rounds import measure_rounds, pipeline_throughput
from vs_tools.sources import (
    Source,
    Tools,
    build_source,
    pg_tool_dir,
    pgbench_scale,
    read_marker,
    write_marker,
)


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
            idle_rss = executor(stack).memory_info().rss
            log(f"executor idle RSS {idle_rss / MB:.1f} MB")
            results = measure_rounds(
                args, source, tools, api, stack, database["id"], raw_dir, owned, large, server["id"]
            )
            results.idle_rss = idle_rss
        data = report(source, tools, results, pipeline, started)
        write_json(RESULTS / "latest.json", data)
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

