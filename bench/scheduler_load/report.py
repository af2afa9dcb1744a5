"""The scheduler bench's table of targets and where the time went."""

import os
import platform
from typing import Any

from harness import MB
from harness.report import Check, print_checks, targets

RSS_MAX_MB = 300.0
LAG_P99_MAX_S = 2.0


def seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f} s"


def check(label: str, shown: str, target: str, ok: bool) -> tuple[str, str, str, bool]:
    return label, shown, target, ok


def distribution(s: dict[str, float | None]) -> str:
    low, middle, high, top = (seconds(s[key]) for key in ("min", "p50", "p99", "max"))
    return f"{low} .. p50 {middle} .. p99 {high} .. max {top}"


def report(loaded: dict[str, Any] | None, due: dict[str, Any] | None, data: dict[str, Any]) -> None:
    """Print the table; adds the targets to `data`."""
    checks: list[Check] = []
    info: list[tuple[str, str]] = []
    if loaded:
        n = loaded["schedules"]
        for key, label in (("rss_peak_bytes", "peak"), ("rss_steady_bytes", "steady")):
            value = loaded[key]
            shown, target = f"{value / MB:.1f} MB", f"< {RSS_MAX_MB:.0f} MB"
            checks.append(check(f"RSS {label}, {n} schedules loaded", shown, target, value < RSS_MAX_MB * MB))
        info += [
            ("start-up, spawn -> answers a ping", seconds(loaded["startup_s"])),
            ("RSS when it first answered", f"{loaded['rss_at_ping_bytes'] / MB:.1f} MB"),
            ("schedules table + indexes", f"{loaded['table_bytes'] / MB:.1f} MB"),
            ("ticks seen while watching", f"{loaded['ticks_seen']} in {loaded['watch_s']:.0f} s"),
        ]
    if due:
        n = due["schedules"]
        lag = due["lag_s"]
        got = due["distinct_fire_keys"]
        checks.append(check(f"{n} due at one minute: events received", f"{got}/{n}", f"= {n}", got == n))
        p99 = lag["p99"]
        met = p99 is not None and p99 < LAG_P99_MAX_S
        checks.append(
            check("lag p99 (JetStream timestamp - fire_at)", seconds(p99), f"< {LAG_P99_MAX_S:.0f} s", met)
        )
        info += [
            ("lag p50", seconds(lag["p50"])),
            ("lag max", seconds(lag["max"])),
            ("tick setting (LIFEBOAT_SCHEDULER_TICK_SECONDS)", f"{due['tick_seconds']:g} s"),
            ("claim batch (LIFEBOAT_SCHEDULER_BATCH)", str(due["batch"])),
            ("from fire_at until:", ""),
        ]
        for key, label in (
            ("tick_claim_began_s", "  the tick's txn began (fires.started_at)"),
            ("relay_claim_began_s", "  the relay's txn began (outbox.published_at)"),
            ("lag_s", "  stored in JetStream (the lag)"),
            ("received_by_bench_s", "  received by this bench"),
        ):
            info.append((label, distribution(due[key])))
        for pid, used in due["cpu_s_from_boundary_minus_1s"].items():
            role = "lease holder" if due["lease_holder"].endswith(f":{pid}") else "standby"
            info.append((f"CPU used by scheduler {pid} ({role})", seconds(used)))
        info.append(("load average at the boundary", " ".join(map(str, due["load_average_at_boundary"]))))

    print()
    print(
        f"Lifeboat scheduler at scale: {os.cpu_count()} CPUs, {platform.platform()}, "
        f"Python {platform.python_version()}; load average at start "
        + " ".join(map(str, data["load_average_at_start"]))
    )
    print()
    print_checks(checks, value_width=12, rule=84)
    print()
    for label, shown in info:
        print(f"{label:<52} {shown}".rstrip())
    for error in data["errors"]:
        print(f"\nERROR: {error}")
    data["targets"] = targets(checks)
