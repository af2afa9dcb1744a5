"""Firing exactly once: two real scheduler processes, a catalog, a clock the test moves, and a
kill -9 of whichever process holds the lease."""

import asyncio
import os
import signal
import time
from datetime import UTC, datetime, timedelta

import pytest

from contracts.catalog import CreateServer
from contracts.operations.catalog import Catalog
from contracts.operations.scheduler import Scheduler
from contracts.schedules import (
    ControlScheduler,
    CreateSchedule,
    SchedulerStatusQuery,
)
from libs import schedules as timing
from tests.integration.scheduling_fixtures import schedulers
from tests.support.rpc import ask
from tests.support.services import running

START = datetime(2026, 10, 24, 17, 35, tzinfo=UTC)  # the evening before Europe's clocks go back
SCHEDULES = [
    ("berlin hourly", "0 * * * *", "Europe/Berlin", None),
    ("berlin 02:30", "30 2 * * *", "Europe/Berlin", None),  # 02:30 happens twice on 25 October
    ("new york half-hourly", "*/30 * * * *", "America/New_York", None),
    ("kolkata quarter-hourly", "*/15 * * * *", "Asia/Kolkata", None),
    ("every two hours", "0 0 * * *", "UTC", 2.0),
]
FIRES = 200


def expected_fires(count: int) -> tuple[dict[str, list[datetime]], datetime]:
    """Every schedule's fire times up to the instant the `count`-th fire falls on, and that instant."""
    times = []
    for name, cron, zone, interval in SCHEDULES:
        at = START
        for _ in range(count):
            at = timing.next_fire(timing.Timing(cron, zone, interval), at)
            times.append((at, name))
    last = sorted(times)[count - 1][0]
    by_name: dict[str, list[datetime]] = {name: [] for name, *_ in SCHEDULES}
    for at, name in sorted(times):
        if at <= last:
            by_name[name].append(at)
    assert sum(map(len, by_name.values())) == count, "START is chosen so no tie straddles the count"
    return by_name, last


async def catalog_server(nats_url: str) -> int:
    server = await ask(
        nats_url, Catalog.create_server, CreateServer(name="files", engine_type="sqlite", host="localhost")
    )
    return server.id


async def test_two_schedulers_fire_each_time_exactly_once_through_a_kill(stack_settings, tmp_path):
    expected, last = expected_fires(FIRES)
    assert any(at.astimezone(UTC).date() == datetime(2026, 10, 25).date() for at in expected["berlin 02:30"])
    catalog = stack_settings("catalog")
    async with running("catalog", catalog):
        with schedulers(
            catalog,
            tmp_path,
            START,
            LIFEBOAT_SCHEDULER_MISSED_FIRES="all",
            LIFEBOAT_SCHEDULER_LOOKAHEAD_SECONDS="0",
        ) as group:
            server_id = await catalog_server(catalog.nats_url)
            group.start()
            group.start()
            ids = {}
            for name, cron, zone, interval in SCHEDULES:
                created = await ask(
                    catalog.nats_url,
                    Scheduler.create_schedule,
                    CreateSchedule(
                        name=name,
                        server_id=server_id,
                        database_name=f"/data/{name.replace(' ', '-')}.db",
                        cron_expression=cron,
                        timezone=zone,
                        interval_hours=interval,
                    ),
                )
                ids[name] = created.id
            first_holder = await group.until(group.holder_pid, what="a lease holder")

            async def fires_recorded() -> int:
                rows = await group.query("SELECT count(*) AS n FROM scheduler.fires")
                return int(rows[0]["n"])

            steps = 12
            span = last - START
            takeover_seconds = None
            for step in range(1, steps + 1):
                now = last if step == steps else START + span * step / steps
                group.set_time(now)
                due = sum(1 for times in expected.values() for at in times if at <= now)
                await group.until(lambda due=due: _equals(fires_recorded, due), what=f"{due} fires")
                if step == 5:
                    killed_at = time.monotonic()
                    os.kill(first_holder, signal.SIGKILL)
                    new_holder = await group.until(
                        lambda: _other_holder(group, first_holder), timeout=15, what="a new lease holder"
                    )
                    takeover_seconds = time.monotonic() - killed_at
                    assert new_holder != first_holder

            assert takeover_seconds is not None and takeover_seconds <= 10, takeover_seconds
            print(f"lease taken over {takeover_seconds:.1f} s after kill -9 of its holder")

            async def backups_requested() -> int:
                rows = await group.query(
                    "SELECT count(*) AS n FROM catalog.backups WHERE triggered_by = 'scheduler'"
                )
                return int(rows[0]["n"])

            await group.until(lambda: _equals(backups_requested, FIRES), what=f"{FIRES} backups")
            await _sleep_a_few_ticks()
            assert await backups_requested() == FIRES
            fired = await group.query(
                "SELECT schedule_id, fire_at FROM scheduler.fires WHERE NOT manual ORDER BY fire_at"
            )
            for name, times in expected.items():
                assert [r["fire_at"] for r in fired if r["schedule_id"] == ids[name]] == times, name
            keys = await group.query(
                "SELECT count(DISTINCT fire_key) AS n, count(*) AS total FROM catalog.backups"
            )
            assert keys[0]["n"] == keys[0]["total"] == FIRES


async def _equals(count, wanted: int) -> bool:  # type: ignore[no-untyped-def]
    return await count() == wanted


async def _other_holder(group, killed: int) -> int | None:  # type: ignore[no-untyped-def]
    holder = await group.holder_pid()
    return holder if holder not in (None, killed) else None


async def _sleep_a_few_ticks() -> None:
    await asyncio.sleep(1.5)


async def test_missed_fires_run_once_and_a_stopped_scheduler_stays_stopped(stack_settings, tmp_path):
    catalog = stack_settings("catalog")
    async with running("catalog", catalog):
        with schedulers(catalog, tmp_path, START) as group:
            server_id = await catalog_server(catalog.nats_url)
            process = group.start()
            await group.until(group.holder_pid, what="a lease holder")
            hourly = await ask(
                catalog.nats_url,
                Scheduler.create_schedule,
                CreateSchedule(
                    name="hourly",
                    server_id=server_id,
                    database_name="/data/a.db",
                    cron_expression="0 * * * *",
                ),
            )
            stopped = await ask(
                catalog.nats_url, Scheduler.control_scheduler, ControlScheduler(action="stop")
            )
            assert stopped.running is False
            process.send_signal(signal.SIGTERM)
            process.wait(20)
            group.start()  # a restarted process remembers it was stopped
            await group.until(group.holder_pid, what="a lease holder after restart")
            group.set_time(START + timedelta(days=3, minutes=5))
            await _sleep_a_few_ticks()
            status = await ask(catalog.nats_url, Scheduler.scheduler_status, SchedulerStatusQuery())
            assert status.running is False
            assert (await group.query("SELECT count(*) AS n FROM scheduler.fires"))[0]["n"] == 0

            await ask(catalog.nats_url, Scheduler.control_scheduler, ControlScheduler(action="start"))

            async def fires() -> list:
                return await group.query(
                    "SELECT fire_at FROM scheduler.fires WHERE schedule_id = $1", hourly.id
                )

            fired = await group.until(fires, what="the catch-up fire")
            await _sleep_a_few_ticks()
            fired = await fires()
            assert [r["fire_at"] for r in fired] == [
                datetime(2026, 10, 27, 17, 0, tzinfo=UTC)
            ]  # 72 missed, one fire
            after = await ask(catalog.nats_url, Scheduler.scheduler_status, SchedulerStatusQuery())
            assert after.running is True and after.active_schedules == 1


@pytest.fixture(autouse=True)
def _no_leftover_clock(monkeypatch):
    monkeypatch.delenv("LIFEBOAT_SCHEDULER_CLOCK_FILE", raising=False)
