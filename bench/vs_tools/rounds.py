"""One round of the comparison (raw, Lifeboat, raw, … so every variant sees the same noise), the
4x database for the executor's peak RSS, and the pipeline's own MB/s."""

import argparse
import os
import re
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness import MB, ROOT, BenchError, log
from harness.postgres import create_database, drop_database
from harness.rss import RssSampler
from harness.stack import Api, executor

from tests.support.stack import Stack
from vs_tools.sources import ROWS_PER_SCALE, Source, Tools, account_rows, shell


@dataclass
class JobRun:
    seconds: float
    body: dict[str, Any]
    executor_peak: int
    executor_before: int | None
    tool_peaks: dict[str, int]
    samples: int


def lifeboat_backup(api: Api, stack: Stack, database_id: int) -> JobRun:
    with RssSampler(executor(stack), tools=True) as rss:
        start = time.perf_counter()
        accepted = api.call("POST", f"/databases/{database_id}/backup")
        body, seen = api.poll(f"/backups/{accepted['backup_id']}")
    if body["status"] != "completed":
        raise BenchError(
            f"backup {accepted['backup_id']} {body['status']}: error_message={body.get('error_message')!r} "
            f"error_cause={body.get('error_cause')!r}\nlifeboat up log (tail):\n{stack.output_tail()}"
        )
    if rss.lost:
        raise BenchError(f"the executor process exited during backup {accepted['backup_id']}")
    return JobRun(seen - start, body, rss.peak, rss.first, rss.tools, len(rss.samples))


def lifeboat_restore(api: Api, stack: Stack, backup_id: int, target: str) -> JobRun:
    with RssSampler(executor(stack), tools=True) as rss:
        start = time.perf_counter()
        accepted = api.call("POST", f"/backups/{backup_id}/restore", {"target_database": target})
        body, seen = api.poll(f"/restores/{accepted['restore_id']}")
    if body["status"] != "completed":
        raise BenchError(
            f"restore {accepted['restore_id']} of backup {backup_id} {body['status']}: "
            f"errors={body.get('errors')!r} warnings={body.get('warnings')!r}\n"
            f"lifeboat up log (tail):\n{stack.output_tail()}"
        )
    return JobRun(seen - start, body, rss.peak, rss.first, rss.tools, len(rss.samples))


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
