"""The scheduler's firing loop. Every process runs it; only the holder of the lease fires.

Each tick, in one transaction: re-check the lease (holder and fencing token, which also locks
the state row so a successor waits for this tick to end), claim due schedules with
FOR UPDATE SKIP LOCKED, record each fire under its unique fire key, write `schedule.fired` to
the outbox with an id derived from that key, and move the schedules' next fire times on.
A fire time is thereby recorded once even if two processes believe they hold the lease, and a
redelivered or re-published fire is dropped by JetStream's de-duplication and the catalog's
unique key on the backups it creates.
"""

import asyncio
import logging
import time
from datetime import datetime, timedelta

import asyncpg

from contracts.events import ScheduleFired
from contracts.events.scheduling import fire_event_id
from libs import schedules as timing
from libs.bus.outbox import Outbox
from services.scheduler import domain
from services.scheduler.clock import Clock
from services.scheduler.settings import Settings
from services.scheduler.store import fires, state
from services.scheduler.store.fires import FireRow, NewFire
from services.scheduler.store.schedules import Move, ScheduleRow, advance, claim_due

log = logging.getLogger("lifeboat.scheduler.firing")
MISSED_AFTER_SECONDS = 60  # a slot older than this at its tick was missed, not merely reached
TICK_SLACK_SECONDS = 0.005  # wake this long after a tick's wall-clock instant, never just before it


def fired_event(schedule: ScheduleRow, fire: FireRow) -> ScheduleFired:
    return ScheduleFired(
        id=fire_event_id(fire.fire_key),
        fire_id=fire.id,
        fire_key=fire.fire_key,
        fire_at=fire.fire_at,
        schedule_id=schedule.id,
        schedule_name=schedule.name,
        server_id=schedule.server_id,
        database_id=schedule.database_id,
        database_name=schedule.database_name,
        backup_type=schedule.backup_type,
        only_when_running=schedule.only_when_running,
        manual=fire.manual,
    )


class Firing:
    def __init__(
        self, pool: asyncpg.Pool, outbox: Outbox, settings: Settings, clock: Clock, instance: str
    ) -> None:
        self.pool = pool
        self.outbox = outbox
        self.settings = settings
        self.clock = clock
        self.instance = instance

    async def run(self, stop: asyncio.Event) -> None:
        try:
            while not stop.is_set():
                try:
                    fence = await state.hold_lease(
                        self.pool, self.instance, self.settings.scheduler_lease_seconds
                    )
                    if fence is not None:
                        await self.tick(fence)
                except (OSError, asyncpg.PostgresError) as exc:
                    log.warning("scheduler tick failed, will retry: %s", exc)
                try:
                    await asyncio.wait_for(stop.wait(), self.until_next_tick())
                except TimeoutError:
                    pass
        finally:
            await self.release_lease()

    def until_next_tick(self) -> float:
        """Seconds until just after the next whole multiple of the tick on the wall clock. Fire times
        fall on whole minutes, so aligned ticks claim a slot as it comes due instead of up to a tick
        later (a 1 s tick that drifts with each tick's duration starts 0.5 s late on average)."""
        tick = self.settings.scheduler_tick_seconds
        if tick <= 0:
            return 0.0
        return tick - time.time() % tick + TICK_SLACK_SECONDS

    async def release_lease(self) -> None:
        try:
            await state.release_lease(self.pool, self.instance)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            log.warning("could not release the scheduler lease; it expires on its own")

    async def tick(self, fence: int) -> int:
        """Record everything due by the clock's now plus the lookahead; returns how many fires.
        A fire recorded ahead of its time is published at its time (the outbox's `not_before`),
        so the database work for a busy minute is done before the minute begins."""
        now = self.clock.now()
        horizon = now + timedelta(seconds=self.settings.scheduler_lookahead_seconds)
        next_check = now + timedelta(seconds=self.settings.scheduler_tick_seconds)
        fired = 0
        while True:
            async with self.pool.acquire() as conn, conn.transaction():
                if not await state.still_holding(conn, self.instance, fence, now, next_check):
                    return fired
                due = await claim_due(conn, horizon, self.settings.scheduler_batch)
                fired += await self._fire(conn, due, now, horizon, fence)
            if len(due) < self.settings.scheduler_batch:
                return fired

    async def _fire(
        self, conn: asyncpg.Connection, due: list[ScheduleRow], now: datetime, horizon: datetime, fence: int
    ) -> int:
        plans: dict[tuple[timing.Timing, datetime], tuple[list[datetime], datetime]] = {}
        new_fires: list[NewFire] = []
        moves: list[Move] = []
        for schedule in due:
            schedule_timing = timing.Timing(
                schedule.cron_expression, schedule.timezone, schedule.interval_hours
            )
            key = (schedule_timing, schedule.next_fire_at)
            if key not in plans:  # many schedules share a timing and a due time: compute it once
                plans[key] = timing.due(
                    schedule_timing,
                    schedule.next_fire_at,
                    horizon,
                    self.settings.scheduler_missed_fires,
                    self.settings.scheduler_missed_grace_seconds,
                )
            fire_times, next_fire_at = plans[key]
            for fire_at in fire_times:
                key_of_fire = domain.fire_key(schedule.id, fire_at)
                new_fires.append(
                    NewFire(
                        schedule.id, schedule.server_id, fire_at, key_of_fire, False, fence, self.instance
                    )
                )
            moves.append((schedule.id, next_fire_at, fire_times[-1] if fire_times else None))
            if (now - schedule.next_fire_at).total_seconds() > MISSED_AFTER_SECONDS:
                log.info(
                    "schedule %s was due at %s (missed while stopped or down): %d fire(s), missed_fires=%s",
                    schedule.id,
                    schedule.next_fire_at.isoformat(),
                    len(fire_times),
                    self.settings.scheduler_missed_fires,
                )
        recorded = await fires.record_fires(conn, new_fires)
        by_id = {schedule.id: schedule for schedule in due}
        await self.outbox.emit_many(
            conn,
            [fired_event(by_id[fire.schedule_id], fire) for fire in recorded],
            not_before=[self.clock.to_real(fire.fire_at) for fire in recorded],
        )
        await advance(conn, moves)
        return len(recorded)
