"""The table of medians and targets, and the numbers for latest.json."""

import os
from datetime import UTC, datetime
from typing import Any

from harness import MB, machine
from harness.report import Check, print_checks, targets
from harness.stats import median

from vs_tools.rounds import Results
from vs_tools.sources import Source, Tools

BACKUP_VS_ZSTD_MAX = 1.10
BACKUP_VS_FC_MAX = 1.0  # strictly below
RESTORE_MAX = 1.10
RSS_MAX_MB = 150.0
RSS_GROWTH_MAX = 0.10


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
    checks: list[Check] = []
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
    print_checks(checks)
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

    host = machine()
    del host["host"]  # latest.json has always recorded cpus, platform and python
    return {
        "started_at": started.isoformat(),
        "finished_at": datetime.now(UTC).isoformat(),
        "machine": host,
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
        "targets": targets(checks),
        "errors": results.errors,
        "per_round": rounds,
        "large": results.large,
    }
