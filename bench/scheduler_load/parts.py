"""Part 1 (schedules loaded: start-up and RSS) and part 2 (schedules due at one minute: the lag
from fire time to the event in JetStream)."""

import asyncio
import contextlib
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import nats
import psutil
from harness import MB, BenchError, loadavg, log
from harness.rss import RssSampler
from harness.stats import spread
from nats.aio.msg import Msg
from nats.js.api import DeliverPolicy

from contracts import subjects
from contracts.events import ScheduleFired
from libs import config
from scheduler_load.processes import Stack, lease_holder, wait_answering
from scheduler_load.rows import due_rows, load, loaded_rows, query
from services.scheduler.settings import SchedulerSettings

STEADY_SECONDS = 5.0
BOUNDARY_LEAD = 5.0  # seconds between choosing the boundary and reaching it, at least
COLLECT_TIMEOUT = 60.0  # seconds after the boundary to wait for every event
FIRED_SUBJECT = ScheduleFired.subject()


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
