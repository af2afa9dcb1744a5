"""The scheduler at scale: 100 000 schedules loaded, and 10 000 schedules due in the same minute.

    .venv/bin/python bench/scheduler_scale.py [--loaded 100000] [--due 10000] [--watch 15]

A benchmark, not a test: it prints a table and writes the numbers to bench/results/scheduler_scale.json,
and exits 0 whether or not a target is met (non-zero only when something fails).

- The servers are private ones (libs.testing.test_servers: a nats-server with JetStream and an
  embedded PostgreSQL, on ports and in a temp dir of their own), with the streams provisioned as
  `lifeboat up` does. Each part gets a fresh database whose `scheduler` schema is migrated by
  libs.db.migrate beforehand; both databases are dropped and the servers removed at the end, also
  on Ctrl-C or an error. Scheduler processes run as users run them, `python -m lifeboat run
  scheduler`, with the default settings (no LIFEBOAT_SCHEDULER_* variable is passed on: the tick
  is 1 s, 500 due schedules are claimed per transaction, the outbox relay publishes 100 rows per
  transaction); their output is kept in bench/results/scheduler_scale.log.
- Part 1, 100 000 schedules loaded: rows are COPYed into scheduler.schedules (then ANALYZEd, as
  autovacuum would soon do): a mix of cron expressions (daily, hourly, every 15 minutes, every 6
  hours, weekly, monthly, weekdays, ...) in eight time zones, one in ten with interval_hours
  instead, one in twenty disabled. Each next_fire_at is timing.next_fire of the schedule after
  now + 10 minutes, so it is a real fire time of the schedule and nothing comes due while this part
  runs (checked: it must record no fire). Then one scheduler process is spawned: its start-up time
  runs from the spawn to the first answer to an `lb.rpc.scheduler.ping` (tried every 20 ms), and
  its RSS (that process alone, psutil) is sampled every 50 ms from the spawn to --watch seconds
  after start-up, during which it ticks (checked: last_check_at keeps moving). Peak is the highest
  sample; steady is the median of the samples of the last 5 s. Target: both below 300 MB.
- Part 2, 10 000 schedules due in the same minute, on the real clock: two scheduler processes are
  started (as in production: one holds the lease and fires; both relay the outbox), and once both
  answer pings and the lease is held, an ordered JetStream consumer (DeliverPolicy NEW) is opened
  on stream EVENTS for `lb.evt.scheduler.v1.schedule_fired`. The minute boundary at least 5 s
  ahead is chosen and the 10 000 rows are COPYed with next_fire_at = that boundary: daily, weekly
  and monthly cron expressions that match it in the same eight zones (24 distinct timings). For
  every event received, lag = its JetStream stored timestamp (msg.metadata.timestamp) minus the
  event's fire_at; the target is p99 below 2 s, and all 10 000 must arrive (distinct fire keys,
  at most 60 s after the boundary). Where the time goes is read back from the database: when
  the tick's transaction that claimed a fire began (fires.started_at), and when the relay's
  transaction that published it began (outbox.published_at); plus when this bench received it,
  and the CPU seconds each scheduler process used from 1 s before the boundary to the last event.
- The machine's load average is printed at the start and at the boundary: the targets assume an
  otherwise idle machine, and every process here (PostgreSQL, NATS, the schedulers, this bench)
  shares its CPUs.
"""

import argparse
import asyncio
import contextlib
import json
import math
import os
import platform
import random
import shutil
import signal
import socket
import statistics
import sys
import threading
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

import asyncpg
import msgspec
import nats
import nats.errors
import psutil
from nats.aio.msg import Msg
from nats.js.api import DeliverPolicy

from contracts import subjects
from contracts.events import ScheduleFired
from contracts.rpc import Ping, Pong
from libs import config
from libs.bus.streams import provision_streams
from libs.db import migrate
from services.scheduler import timing
from services.scheduler.app import MIGRATIONS
from services.scheduler.settings import SchedulerSettings
from tests.support.servers import TestServers, test_servers

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
OUTPUT = RESULTS / "scheduler_scale.json"
LOG_COPY = RESULTS / "scheduler_scale.log"

RSS_MAX_MB = 300.0
LAG_P99_MAX_S = 2.0
SAMPLE_SECONDS = 0.05
STEADY_SECONDS = 5.0
PING_EVERY_SECONDS = 0.02
START_TIMEOUT = 60.0
LOADED_AHEAD = timedelta(minutes=10)  # no loaded schedule comes due while part 1 runs
BOUNDARY_LEAD = 5.0  # seconds between choosing the boundary and reaching it, at least
COLLECT_TIMEOUT = 60.0  # seconds after the boundary to wait for every event
FIRED_SUBJECT = ScheduleFired.subject()
MB = 1e6

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


class BenchError(Exception):
    """Something failed (not a missed target): reported, and the process exits 1."""


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def spread(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p99": None, "max": None, "min": None}
    return {
        "min": round(min(values), 4),
        "p50": round(percentile(values, 50), 4),
        "p99": round(percentile(values, 99), 4),
        "max": round(max(values), 4),
    }


# --- schedule rows ----------------------------------------------------------------------------------


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


# --- scheduler processes --------------------------------------------------------------------------


@dataclass
class Stack:
    servers: TestServers
    logs: IO[bytes]
    processes: list[asyncio.subprocess.Process] = field(default_factory=list)
    databases: list[str] = field(default_factory=list)  # URLs, dropped at the end

    def env(self, database_url: str) -> dict[str, str]:
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("LIFEBOAT_")}
        return {
            **inherited,
            "LIFEBOAT_NATS_URL": self.servers.nats.url,
            "LIFEBOAT_DATABASE_URL": database_url,
            "LIFEBOAT_DATA_DIR": str(self.servers.root / "data"),
            "LIFEBOAT_LOG_LEVEL": "INFO",
        }

    async def new_database(self) -> str:
        url = await self.servers.new_database()
        self.databases.append(url)
        await migrate(url, "scheduler", MIGRATIONS)
        return url

    async def spawn(self, database_url: str) -> asyncio.subprocess.Process:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "lifeboat", "run", "scheduler",
            env=self.env(database_url), cwd=ROOT, stdin=asyncio.subprocess.DEVNULL,
            stdout=self.logs, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        self.processes.append(process)
        return process

    async def stop_all(self) -> None:
        for process in self.processes:
            if process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    process.terminate()
        for process in self.processes:
            try:
                await asyncio.wait_for(process.wait(), 20)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()
        self.processes.clear()

    async def drop_databases(self) -> None:
        conn = await asyncpg.connect(self.servers.postgres.url_for("postgres"))
        try:
            for url in self.databases:
                name = url.rsplit("/", 1)[1]
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()
        self.databases.clear()


def instance_pid(instance: str) -> int:
    return int(instance.rsplit(":", 1)[1])


async def ping(connection: nats.NATS) -> Pong | None:
    """One ping; the Pong, or None while no scheduler answers yet."""
    try:
        reply = await connection.request(subjects.ping("scheduler"), msgspec.json.encode(Ping()), timeout=0.5)
    except (nats.errors.NoRespondersError, nats.errors.TimeoutError):
        return None
    return msgspec.json.decode(reply.data, type=Pong)


async def wait_answering(
    connection: nats.NATS, processes: list[asyncio.subprocess.Process], timeout: float = START_TIMEOUT
) -> None:
    """Until a ping was answered by each of the processes (the queue group picks one per ping)."""
    waiting = {process.pid for process in processes}
    deadline = time.monotonic() + timeout
    while waiting:
        for process in processes:
            if process.returncode is not None:
                raise BenchError(f"scheduler {process.pid} exited with {process.returncode} while starting")
        pong = await ping(connection)
        if pong is not None:
            waiting.discard(instance_pid(pong.instance))
        elif time.monotonic() > deadline:
            raise BenchError(f"scheduler(s) {sorted(waiting)} did not answer a ping in {timeout:.0f} s")
        else:
            await asyncio.sleep(PING_EVERY_SECONDS)


async def lease_holder(url: str, timeout: float = 30.0) -> str:
    deadline = time.monotonic() + timeout
    while True:
        rows = await query(
            url,
            """SELECT holder FROM scheduler.scheduler_state
               WHERE holder IS NOT NULL AND lease_expires_at > now()""",
        )
        if rows:
            return str(rows[0]["holder"])
        if time.monotonic() > deadline:
            raise BenchError(f"no scheduler took the lease in {timeout:.0f} s")
        await asyncio.sleep(0.1)


class RssSampler:
    """RSS of one process (alone) every 50 ms, in a thread, with the time of each sample."""

    def __init__(self, pid: int) -> None:
        self.process = psutil.Process(pid)
        self.samples: list[tuple[float, int]] = []  # (time.monotonic(), rss)
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
                self.samples.append((time.monotonic(), self.process.memory_info().rss))
            except psutil.Error:
                return
            self._stop.wait(SAMPLE_SECONDS)


# --- part 1: 100 000 schedules loaded -------------------------------------------------------------


async def part_loaded(stack: Stack, count: int, watch: float) -> dict[str, Any]:
    log(f"part 1: {count} schedules loaded; load average {loadavg()}")
    url = await stack.new_database()
    started = time.perf_counter()
    rows = loaded_rows(count, datetime.now(UTC))
    generate_s = time.perf_counter() - started
    copy_s = await load(url, rows)
    enabled = sum(1 for row in rows if row[9])
    distinct = len({(row[4], row[5], row[6]) for row in rows})
    log(f"generated {count} rows ({distinct} distinct timings) in {generate_s:.1f} s, COPY {copy_s:.1f} s")
    del rows
    size = (await query(url, "SELECT pg_total_relation_size('scheduler.schedules') AS b"))[0]["b"]

    connection = await nats.connect(stack.servers.nats.url)
    try:
        spawned = time.monotonic()
        process = await stack.spawn(url)
        with RssSampler(process.pid) as rss:
            await wait_answering(connection, [process])
            answered = time.monotonic()
            startup_s = answered - spawned
            log(f"scheduler {process.pid} answered a ping {startup_s:.2f} s after its spawn; watching")
            checks = []
            end = answered + watch
            while time.monotonic() < end:
                await asyncio.sleep(1.0)
                state = await query(url, "SELECT last_check_at, holder FROM scheduler.scheduler_state")
                checks.append(state[0]["last_check_at"])
                if process.returncode is not None:
                    raise BenchError(f"scheduler {process.pid} exited with {process.returncode}")
        fires = (await query(url, "SELECT count(*) AS n FROM scheduler.fires"))[0]["n"]
    finally:
        await connection.close()
        await stack.stop_all()
        await stack.drop_databases()

    ticks_seen = len({check for check in checks if check is not None})
    if ticks_seen < max(2, int(watch / 2)):
        raise BenchError(f"the scheduler did not tick (last_check_at took {ticks_seen} values in {watch} s)")
    if fires:
        raise BenchError(f"{fires} fire(s) were recorded, but no loaded schedule should have been due")
    values = [value for _, value in rss.samples]
    steady = [value for at, value in rss.samples if at >= end - STEADY_SECONDS]
    at_ping = next((value for at, value in rss.samples if at >= answered), values[-1])
    result = {
        "schedules": count,
        "enabled": enabled,
        "distinct_timings": distinct,
        "table_bytes": size,
        "generate_s": round(generate_s, 2),
        "copy_and_analyze_s": round(copy_s, 2),
        "startup_s": round(startup_s, 3),
        "rss_samples": len(values),
        "rss_at_ping_bytes": at_ping,
        "rss_peak_bytes": max(values),
        "rss_steady_bytes": int(statistics.median(steady or values)),
        "watch_s": watch,
        "ticks_seen": ticks_seen,
        "fires_recorded": fires,
    }
    log(
        f"RSS peak {max(values) / MB:.1f} MB, steady {result['rss_steady_bytes'] / MB:.1f} MB "
        f"({len(values)} samples); {ticks_seen} ticks seen"
    )
    return result


# --- part 2: 10 000 schedules due in the same minute ----------------------------------------------


def next_boundary(after: datetime) -> datetime:
    minute = after.replace(second=0, microsecond=0)
    return minute if minute == after else minute + timedelta(minutes=1)


def cpu_seconds(pid: int) -> float | None:
    try:
        times = psutil.Process(pid).cpu_times()
    except psutil.Error:
        return None
    return times.user + times.system


async def part_due(stack: Stack, count: int) -> dict[str, Any]:
    log(f"part 2: {count} schedules due in the same minute; load average {loadavg()}")
    url = await stack.new_database()
    connection = await nats.connect(stack.servers.nats.url)
    received: list[tuple[Msg, float]] = []
    everything = asyncio.Event()

    async def on_fired(msg: Msg) -> None:
        received.append((msg, time.time()))
        if len(received) >= count:
            everything.set()

    try:
        processes = [await stack.spawn(url), await stack.spawn(url)]
        await wait_answering(connection, processes)
        holder = await lease_holder(url)
        log(f"schedulers {[p.pid for p in processes]} answer pings; {holder} holds the lease")
        js = connection.jetstream()
        subscription = await js.subscribe(
            FIRED_SUBJECT,
            stream=subjects.EVENTS_STREAM,
            cb=on_fired,
            ordered_consumer=True,
            deliver_policy=DeliverPolicy.NEW,
        )
        now = datetime.now(UTC)
        boundary = next_boundary(now + timedelta(seconds=BOUNDARY_LEAD))
        copy_s = await load(url, due_rows(count, boundary, now))
        if datetime.now(UTC) > boundary - timedelta(seconds=1):
            raise BenchError(f"the {count} schedules were loaded too late for {boundary.isoformat()}")
        log(f"loaded {count} schedules due at {boundary.isoformat()} (COPY {copy_s:.1f} s); waiting")
        await asyncio.sleep(max(0.0, (boundary - datetime.now(UTC)).total_seconds() - 1.0))
        cpu_before = {p.pid: cpu_seconds(p.pid) for p in processes}
        await asyncio.sleep(max(0.0, (boundary - datetime.now(UTC)).total_seconds()))
        load_at_boundary = loadavg()
        log(f"boundary reached; load average {load_at_boundary}")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(everything.wait(), COLLECT_TIMEOUT)
        cpu_after = {p.pid: cpu_seconds(p.pid) for p in processes}
        await subscription.unsubscribe()
        log(f"received {len(received)} of {count} events")
        breakdown = await query(
            url,
            """SELECT f.fire_key, f.fire_at, f.started_at, f.fired_by, o.published_at
               FROM scheduler.fires f
               LEFT JOIN scheduler.outbox o
                 ON convert_from(o.payload, 'UTF8')::jsonb ->> 'fire_key' = f.fire_key""",
        )
        for process in processes:
            if process.returncode is not None:
                raise BenchError(f"scheduler {process.pid} exited with {process.returncode}")
    finally:
        await connection.close()
        await stack.stop_all()
        await stack.drop_databases()

    stored, arrived, keys, not_this_minute = [], [], set(), 0
    for msg, at in received:
        body = msgspec.json.decode(msg.data)
        fire_at = datetime.fromisoformat(body["fire_at"])
        if fire_at != boundary:
            not_this_minute += 1
            continue
        keys.add(body["fire_key"])
        stored.append((msg.metadata.timestamp - fire_at).total_seconds())
        arrived.append(at - fire_at.timestamp())
    claimed = [(r["started_at"] - r["fire_at"]).total_seconds() for r in breakdown]
    relayed = [(r["published_at"] - r["fire_at"]).total_seconds() for r in breakdown if r["published_at"]]
    settings = config.load(SchedulerSettings, stack.env(url))
    cpu = {
        str(pid): None
        if cpu_before[pid] is None or cpu_after[pid] is None
        else cpu_after[pid] - cpu_before[pid]
        for pid in cpu_before
    }
    result = {
        "schedules": count,
        "boundary": boundary.isoformat(),
        "received": len(received),
        "distinct_fire_keys": len(keys),
        "events_of_another_minute": not_this_minute,
        "fires_recorded": len(breakdown),
        "lag_s": spread(stored),
        "received_by_bench_s": spread(arrived),
        "tick_claim_began_s": spread(claimed),
        "relay_claim_began_s": spread(relayed),
        "lease_holder": holder,
        "cpu_s_from_boundary_minus_1s": cpu,
        "load_average_at_boundary": load_at_boundary,
        "tick_seconds": settings.scheduler_tick_seconds,
        "batch": settings.scheduler_batch,
        "copy_and_analyze_s": round(copy_s, 2),
    }
    lag = result["lag_s"]
    log(f"lag p50 {lag['p50']} s, p99 {lag['p99']} s, max {lag['max']} s")
    return result


# --- report ---------------------------------------------------------------------------------------


def seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f} s"


def check(label: str, shown: str, target: str, ok: bool) -> tuple[str, str, str, bool]:
    return label, shown, target, ok


def distribution(s: dict[str, float | None]) -> str:
    low, middle, high, top = (seconds(s[key]) for key in ("min", "p50", "p99", "max"))
    return f"{low} .. p50 {middle} .. p99 {high} .. max {top}"


def report(loaded: dict[str, Any] | None, due: dict[str, Any] | None, data: dict[str, Any]) -> None:
    """Print the table; adds the targets to `data`."""
    checks: list[tuple[str, str, str, bool]] = []
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
    print(f"{'target':<52} {'value':>12}  {'target':<10} result")
    print("-" * 84)
    for label, shown, target, ok in checks:
        print(f"{label:<52} {shown:>12}  {target:<10} {'PASS' if ok else 'MISS'}")
    print()
    for label, shown in info:
        print(f"{label:<52} {shown}".rstrip())
    for error in data["errors"]:
        print(f"\nERROR: {error}")
    data["targets"] = {
        label: {"value": shown, "target": target, "pass": ok} for label, shown, target, ok in checks
    }


# --- main -----------------------------------------------------------------------------------------


async def run(stack: Stack, args: argparse.Namespace, data: dict[str, Any]) -> None:
    task = asyncio.current_task()
    assert task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    try:
        await provision_streams(stack.servers.nats.url)
        if args.loaded:
            data["loaded"] = await part_loaded(stack, args.loaded, args.watch)
        if args.due:
            data["due"] = await part_due(stack, args.due)
    finally:
        await stack.stop_all()
        with contextlib.suppress(OSError, asyncpg.PostgresError):
            await stack.drop_databases()


@contextlib.contextmanager
def reaped(stack_holder: list[Stack]) -> Iterator[None]:
    """A last resort for scheduler processes left behind by an interrupted clean-up."""
    try:
        yield
    finally:
        for stack in stack_holder:
            for process in stack.processes:
                if process.returncode is None:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(process.pid, signal.SIGKILL)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loaded", type=int, default=100_000, help="schedules in part 1 (0 skips it)")
    parser.add_argument(
        "--due", type=int, default=10_000, help="schedules due at one minute in part 2 (0 skips)"
    )
    parser.add_argument("--watch", type=float, default=15.0, help="seconds to sample RSS after start-up")
    args = parser.parse_args()
    if args.loaded < 0 or args.due < 0 or args.watch < STEADY_SECONDS:
        parser.error(f"--loaded and --due must be >= 0 and --watch >= {STEADY_SECONDS:.0f}")
    started = datetime.now(UTC)
    data: dict[str, Any] = {
        "started_at": started.isoformat(),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "host": socket.gethostname(),
        },
        "load_average_at_start": loadavg(),
        "errors": [],
    }
    code = 1
    holder: list[Stack] = []
    try:
        with test_servers() as servers, open(servers.root / "schedulers.log", "ab") as logs, reaped(holder):
            stack = Stack(servers, logs)
            holder.append(stack)
            try:
                asyncio.run(run(stack, args, data))
                code = 0
            except (asyncio.CancelledError, KeyboardInterrupt):
                print("\ninterrupted: cleaning up", file=sys.stderr)
                code = 130
            except (BenchError, OSError, asyncpg.PostgresError, nats.errors.Error) as exc:
                data["errors"].append(str(exc))
                print(f"\nerror: {exc}", file=sys.stderr)
            except Exception as exc:
                data["errors"].append(repr(exc))
                traceback.print_exc()
            finally:
                logs.flush()
                with contextlib.suppress(OSError):
                    RESULTS.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(servers.root / "schedulers.log", LOG_COPY)
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        code = 130
    if code == 130:
        return code
    data["finished_at"] = datetime.now(UTC).isoformat()
    report(data.get("loaded"), data.get("due"), data)
    RESULTS.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(data, indent=2, default=str) + "\n")
    print(f"\nwrote {OUTPUT.relative_to(ROOT)}")
    if code != 0:
        print(f"the schedulers' output: {LOG_COPY.relative_to(ROOT)}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
