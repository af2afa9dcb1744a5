"""The schedules the scheduler bench loads: a realistic mix that never comes due while watched, and
a set that all comes due at one minute boundary."""

import random
import time
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
from harness import BenchError

from libs import schedules as timing

LOADED_AHEAD = timedelta(minutes=10)  # no loaded schedule comes due while part 1 runs

ZONES = (
    "UTC",
    "Europe/Berlin",
    "Europe/London",
    "America/New_York",
    "America/Sao_Paulo",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "Australia/Sydney",
)
# (cron expression, weight): what people write for backups, most often a nightly one.
CRONS = (
    ("0 2 * * *", 20),
    ("30 1 * * *", 10),
    ("0 * * * *", 10),
    ("*/15 * * * *", 8),
    ("30 */6 * * *", 8),
    ("0 */4 * * *", 6),
    ("0 3 * * 0", 8),
    ("0 0 1 * *", 5),
    ("45 23 * * 1-5", 8),
    ("15 4 * * mon,thu", 4),
    ("@daily", 5),
    ("0 12 1,15 * *", 3),
)
INTERVALS = (1.0, 4.0, 12.0, 24.0)
COLUMNS = [
    "name",
    "server_id",
    "database_id",
    "database_name",
    "cron_expression",
    "timezone",
    "interval_hours",
    "backup_type",
    "only_when_running",
    "enabled",
    "next_fire_at",
]


def loaded_rows(count: int, now: datetime, seed: int = 1) -> list[tuple[Any, ...]]:
    """`count` schedules of the realistic mix, none due before now + LOADED_AHEAD."""
    rng = random.Random(seed)
    crons = [timing.check_cron(cron) for cron, _ in CRONS]
    weights = [weight for _, weight in CRONS]
    after = now + LOADED_AHEAD
    next_of: dict[timing.Timing, datetime] = {}  # every row is timed from the same instant
    rows = []
    for i in range(count):
        zone = rng.choice(ZONES)
        if rng.random() < 0.1:
            hours = rng.choice(INTERVALS)
            schedule_timing = timing.Timing("0 0 * * *", "UTC", hours)
        else:
            schedule_timing = timing.Timing(rng.choices(crons, weights)[0], zone, None)
        if schedule_timing not in next_of:
            next_of[schedule_timing] = timing.next_fire(schedule_timing, after)
        rows.append(
            (
                f"bench-{i:06d}",
                i % 2000 + 1,
                i + 1,
                f"db_{i}",
                schedule_timing.cron_expression,
                schedule_timing.timezone,
                schedule_timing.interval_hours,
                "full",
                i % 3 == 0,
                rng.random() >= 0.05,
                next_of[schedule_timing],
            )
        )
    return rows


def due_rows(count: int, boundary: datetime, now: datetime) -> list[tuple[Any, ...]]:
    """`count` schedules whose next fire time (after `now`) is `boundary`: daily, weekly and
    monthly cron expressions naming that minute in each zone."""
    timings = []
    for zone in ZONES:
        local = boundary.astimezone(ZoneInfo(zone))
        weekday = local.isoweekday() % 7  # cron numbering, 0 is Sunday
        for cron in (
            f"{local.minute} {local.hour} * * *",
            f"{local.minute} {local.hour} * * {weekday}",
            f"{local.minute} {local.hour} {local.day} * *",
        ):
            schedule_timing = timing.check(timing.Timing(cron, zone, None))
            if timing.next_fire(schedule_timing, now) != boundary:
                raise BenchError(f"{cron} in {zone} does not fire first at {boundary.isoformat()}")
            timings.append(schedule_timing)
    return [
        (
            f"due-{i:05d}",
            i % 200 + 1,
            i + 1,
            f"db_{i}",
            timings[i % len(timings)].cron_expression,
            timings[i % len(timings)].timezone,
            None,
            "full",
            False,
            True,
            boundary,
        )
        for i in range(count)
    ]


async def load(url: str, rows: list[tuple[Any, ...]]) -> float:
    """COPY the rows into scheduler.schedules and ANALYZE it; returns the seconds taken."""
    started = time.perf_counter()
    conn = await asyncpg.connect(url)
    try:
        await conn.copy_records_to_table("schedules", records=rows, columns=COLUMNS, schema_name="scheduler")
        await conn.execute("ANALYZE scheduler.schedules")
    finally:
        await conn.close()
    return time.perf_counter() - started


async def query(url: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(url)
    try:
        return list(await conn.fetch(sql, *args))
    finally:
        await conn.close()
