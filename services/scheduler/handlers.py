"""The scheduler's RPC operations: schedules (both HTTP APIs), manual triggers, scheduler
control and status, and the schedule log."""

from datetime import timedelta
from typing import Any

import asyncpg
from msgspec import UNSET

from contracts.catalog import Deleted, ServerRef
from contracts.events import ScheduleCreated, ScheduleDeleted, SchedulerControlled, ScheduleUpdated
from contracts.operations.catalog import Catalog
from contracts.operations.retention import Retention
from contracts.retention import PolicyRef
from contracts.rpc import Request
from contracts.schedules import (
    ControlScheduler,
    CreateSchedule,
    DatabaseSchedule,
    ListScheduleLogs,
    ListSchedules,
    ScheduleList,
    ScheduleLogPage,
    ScheduleRef,
    SchedulerJob,
    SchedulerStatus,
    SchedulerStatusQuery,
    ScheduleView,
    Triggered,
    UpdateSchedule,
)
from libs.bus import rpc
from libs.bus.broker import Broker
from libs.bus.outbox import emit, emit_many
from libs.db.rows import insert_row, update_row
from libs.errors import Refused, conflict, invalid, not_found
from services.scheduler import fire_log, schedules, store
from services.scheduler.clock import Clock
from services.scheduler.firing import PRODUCER, fired_event
from services.scheduler.settings import SchedulerSettings


def created_event(row: dict[str, Any], request: Request) -> ScheduleCreated:
    return ScheduleCreated(
        schedule_id=row["id"],
        name=row["name"],
        server_id=row["server_id"],
        database_name=row["database_name"],
        cron_expression=row["cron_expression"],
        timezone=row["timezone"],
        interval_hours=row["interval_hours"],
        max_backups=row["max_backups"],
        enabled=row["enabled"],
        producer=PRODUCER,
        actor=request.actor,
        correlation_id=request.correlation_id,
    )


async def remove(conn: asyncpg.Connection, row: dict[str, Any], request: Request) -> None:
    await conn.execute("DELETE FROM schedules WHERE id = $1", row["id"])
    await emit(
        conn,
        ScheduleDeleted(
            schedule_id=row["id"],
            name=row["name"],
            producer=PRODUCER,
            actor=request.actor,
            correlation_id=request.correlation_id,
        ),
    )


class ScheduleHandlers:
    def __init__(
        self, pool: asyncpg.Pool, broker: Broker, settings: SchedulerSettings, clock: Clock
    ) -> None:
        self.pool = pool
        self.broker = broker
        self.settings = settings
        self.clock = clock

    async def _check_server(self, server_id: int | None) -> None:
        if server_id is None:
            return
        try:
            await rpc.call(self.broker, Catalog.get_server, ServerRef(server_id=server_id))
        except Refused as exc:
            if exc.status == 404:
                raise invalid("server_id", f"server {server_id} does not exist") from None
            raise

    async def _check_policy(self, request: Request, policy_id: int | None) -> None:
        """The retention service owns policies: a schedule never names one it does not have."""
        if policy_id is None:
            return
        ref = PolicyRef(actor=request.actor, policy_id=policy_id)
        if not await rpc.exists(self.broker, Retention.get_policy, ref):
            raise invalid("retention_policy_id", f"retention policy {policy_id} does not exist")

    async def create(self, request: CreateSchedule) -> ScheduleView:
        values = schedules.new_values(request, self.clock.now())
        await self._check_server(request.server_id)
        await self._check_policy(request, request.retention_policy_id)
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("LOCK TABLE schedules IN SHARE ROW EXCLUSIVE MODE")
            if await store.name_taken(conn, values["name"]):
                raise conflict(f"a schedule named {values['name']!r} already exists", "name")
            row = await store.get_schedule(conn, await insert_row(conn, "schedules", values))
            assert row is not None
            await emit(conn, created_event(row, request))
        return schedules.view(row)

    async def list(self, request: ListSchedules) -> ScheduleList:
        rows = await store.list_schedules(self.pool, request.server_id, request.database_id)
        return ScheduleList(items=[schedules.view(r) for r in rows])

    async def get(self, request: ScheduleRef) -> ScheduleView:
        row = await store.get_schedule(self.pool, request.schedule_id)
        if row is None:
            raise not_found("schedule", request.schedule_id)
        return schedules.view(row)

    async def update(self, request: UpdateSchedule) -> ScheduleView:
        if request.retention_policy_id is not UNSET:
            await self._check_policy(request, request.retention_policy_id)
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("LOCK TABLE schedules IN SHARE ROW EXCLUSIVE MODE")
            row = await store.get_schedule(conn, request.schedule_id, for_update=True)
            if row is None:
                raise not_found("schedule", request.schedule_id)
            changes = schedules.changed_values(row, request, self.clock.now())
            if "server_id" in changes and changes["server_id"] != row["server_id"]:
                await self._check_server(changes["server_id"])
            if "name" in changes and await store.name_taken(conn, changes["name"], row["id"]):
                raise conflict(f"a schedule named {changes['name']!r} already exists", "name")
            if changes:
                await update_row(conn, "schedules", row["id"], changes)
            updated = await store.get_schedule(conn, row["id"])
            assert updated is not None
            await emit(
                conn,
                ScheduleUpdated(
                    schedule_id=row["id"],
                    name=updated["name"],
                    updated_fields=sorted(k for k in changes if k != "next_fire_at"),
                    producer=PRODUCER,
                    actor=request.actor,
                    correlation_id=request.correlation_id,
                ),
            )
        return schedules.view(updated)

    async def delete(self, request: ScheduleRef) -> Deleted:
        async with self.pool.acquire() as conn, conn.transaction():
            row = await store.get_schedule(conn, request.schedule_id, for_update=True)
            if row is None:
                raise not_found("schedule", request.schedule_id)
            await remove(conn, row, request)
        return Deleted(message=f"Schedule '{row['name']}' deleted")

    async def set_for_database(self, request: DatabaseSchedule) -> ScheduleList:
        """002: one schedule per database, created, changed or removed by PATCH."""
        async with self.pool.acquire() as conn, conn.transaction():
            row = await conn.fetchrow(
                "SELECT * FROM schedules WHERE owned_by_database = $1 FOR UPDATE", request.database_id
            )
            if request.cron_expression is None:
                if row is not None:
                    await remove(conn, row, request)
                return ScheduleList(items=[])
            values = schedules.timed(
                {"cron_expression": request.cron_expression, "timezone": "UTC", "interval_hours": None},
                self.clock.now(),
            )
            if row is None:
                values |= {
                    "name": f"database {request.database_id}: {request.database_name}",
                    "server_id": request.server_id,
                    "database_id": request.database_id,
                    "database_name": request.database_name,
                    "owned_by_database": request.database_id,
                    "created_by": request.actor.user_id,
                }
                schedule_id = await insert_row(conn, "schedules", values)
            else:
                schedule_id = row["id"]
                await update_row(conn, "schedules", schedule_id, values)
            saved = await store.get_schedule(conn, schedule_id)
            assert saved is not None
            if row is None:
                await emit(conn, created_event(saved, request))
        return ScheduleList(items=[schedules.view(saved)])

    async def trigger(self, request: ScheduleRef) -> Triggered:
        """Fire now, outside the timetable (works while the scheduler is stopped: it was asked for)."""
        async with self.pool.acquire() as conn, conn.transaction():
            row = await store.get_schedule(conn, request.schedule_id)
            if row is None:
                raise not_found("schedule", request.schedule_id)
            key = schedules.manual_fire_key(row["id"])
            fires = await store.record_fires(
                conn, [(row["id"], row["server_id"], self.clock.now(), key, True, 0, "api")]
            )
            await emit_many(conn, [fired_event(row, fire) for fire in fires])
        return Triggered(schedule_id=row["id"], fire_key=key, message="Backup triggered")

    async def status(self, _: SchedulerStatusQuery) -> SchedulerStatus:
        state = await store.state(self.pool)
        total, active = await store.counts(self.pool)
        running = await store.running_fires(self.pool)
        typical = await store.typical_durations(self.pool, [f["schedule_id"] for f in running])
        jobs = [
            SchedulerJob(
                schedule_id=f["schedule_id"],
                server_id=f["server_id"],
                started_at=f["started_at"],
                estimated_completion=(
                    f["started_at"] + timedelta(seconds=typical[f["schedule_id"]])
                    if f["schedule_id"] in typical
                    else None
                ),
            )
            for f in running
        ]
        return SchedulerStatus(
            running=state["running"],
            total_schedules=total,
            active_schedules=active,
            last_check_at=state["last_check_at"],
            next_check_at=state["next_check_at"] if state["running"] else None,
            current_jobs=jobs,
            leader=state["holder"] if state["lease_expires_at"] else None,
            missed_fires=self.settings.scheduler_missed_fires,
        )

    async def control(self, request: ControlScheduler) -> SchedulerStatus:
        """Stop and start persist (a stopped scheduler stays stopped across restarts); restart
        also hands the lease back so the next tick elects a holder afresh."""
        running = request.action != "stop"
        async with self.pool.acquire() as conn, conn.transaction():
            release = ", holder = NULL, lease_expires_at = NULL" if request.action == "restart" else ""
            await conn.execute(
                f"UPDATE scheduler_state SET running = $1, changed_at = now(){release} WHERE id = 1", running
            )
            await emit(
                conn,
                SchedulerControlled(
                    action=request.action,
                    running=running,
                    producer=PRODUCER,
                    actor=request.actor,
                    correlation_id=request.correlation_id,
                ),
            )
        return await self.status(SchedulerStatusQuery(actor=request.actor))

    async def logs(self, request: ListScheduleLogs) -> ScheduleLogPage:
        rows, total = await store.list_logs(self.pool, request)
        return ScheduleLogPage(items=[fire_log.view(r) for r in rows], total=total)
