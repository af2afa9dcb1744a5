"""Schedules over RPC (both HTTP APIs): create, list, read, change, delete, and fire one now
outside its timetable. A schedule never names a server the catalog does not have, nor a
retention policy the retention service does not have."""

import asyncpg
from msgspec import UNSET

from contracts.catalog import Deleted, ServerRef
from contracts.events import ScheduleCreated, ScheduleDeleted, ScheduleUpdated
from contracts.operations.catalog import Catalog
from contracts.operations.retention import Retention
from contracts.retention import PolicyRef
from contracts.rpc import Request
from contracts.schedules import (
    CreateSchedule,
    DeleteSchedule,
    GetSchedule,
    ListSchedules,
    ScheduleFields,
    ScheduleList,
    ScheduleView,
    Triggered,
    TriggerSchedule,
    UpdateSchedule,
)
from libs.bus import rpc
from libs.bus.broker import Broker
from libs.bus.outbox import Outbox
from libs.db.rows import check_name_free, found, lock_names
from libs.errors import Refused, invalid
from libs.structs import fields_of
from services.scheduler import domain
from services.scheduler.clock import Clock
from services.scheduler.firing import fired_event
from services.scheduler.store import Executor, fires
from services.scheduler.store import schedules as store
from services.scheduler.store.schedules import ScheduleRow


async def found_schedule(db: Executor, schedule_id: int, *, for_update: bool = False) -> ScheduleRow:
    return found(await store.get_schedule(db, schedule_id, for_update=for_update), "schedule", schedule_id)


def view(row: ScheduleRow) -> ScheduleView:
    return ScheduleView(
        **fields_of(row, ScheduleFields),
        created_at=row.created_at,
        updated_at=row.updated_at,
        last_run_at=row.last_run_at,
        next_run_at=row.next_fire_at if row.enabled else None,
    )


def created_event(row: ScheduleRow) -> ScheduleCreated:
    return ScheduleCreated(
        schedule_id=row.id,
        name=row.name,
        server_id=row.server_id,
        database_name=row.database_name,
        cron_expression=row.cron_expression,
        timezone=row.timezone,
        interval_hours=row.interval_hours,
        max_backups=row.max_backups,
        enabled=row.enabled,
    )


async def remove(conn: asyncpg.Connection, outbox: Outbox, row: ScheduleRow, request: Request) -> None:
    await store.delete_schedule(conn, row.id)
    await outbox.emit(conn, ScheduleDeleted(schedule_id=row.id, name=row.name), cause=request)


class ScheduleHandlers:
    def __init__(self, pool: asyncpg.Pool, broker: Broker, outbox: Outbox, clock: Clock) -> None:
        self.pool = pool
        self.broker = broker
        self.outbox = outbox
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
        values = domain.new_values(request, self.clock.now())
        await self._check_server(request.server_id)
        await self._check_policy(request, request.retention_policy_id)
        async with self.pool.acquire() as conn, conn.transaction():
            await lock_names(conn, "schedules")
            await check_name_free(conn, "schedules", "schedule", values["name"])
            row = await found_schedule(conn, await store.insert_schedule(conn, values))
            await self.outbox.emit(conn, created_event(row), cause=request)
        return view(row)

    async def list(self, request: ListSchedules) -> ScheduleList:
        rows = await store.list_schedules(self.pool, request.server_id, request.database_id)
        return ScheduleList(items=[view(r) for r in rows])

    async def get(self, request: GetSchedule) -> ScheduleView:
        return view(await found_schedule(self.pool, request.schedule_id))

    async def update(self, request: UpdateSchedule) -> ScheduleView:
        if request.retention_policy_id is not UNSET:
            await self._check_policy(request, request.retention_policy_id)
        async with self.pool.acquire() as conn, conn.transaction():
            await lock_names(conn, "schedules")
            row = await found_schedule(conn, request.schedule_id, for_update=True)
            changes = domain.changed_values(row, request, self.clock.now())
            if "server_id" in changes and changes["server_id"] != row.server_id:
                await self._check_server(changes["server_id"])
            if "name" in changes:
                await check_name_free(conn, "schedules", "schedule", changes["name"], row.id)
            if changes:
                await store.update_schedule(conn, row.id, changes)
            updated = await found_schedule(conn, row.id)
            event = ScheduleUpdated(
                schedule_id=row.id,
                name=updated.name,
                updated_fields=sorted(k for k in changes if k != "next_fire_at"),
            )
            await self.outbox.emit(conn, event, cause=request)
        return view(updated)

    async def delete(self, request: DeleteSchedule) -> Deleted:
        async with self.pool.acquire() as conn, conn.transaction():
            row = await found_schedule(conn, request.schedule_id, for_update=True)
            await remove(conn, self.outbox, row, request)
        return Deleted(message=f"Schedule '{row.name}' deleted")

    async def trigger(self, request: TriggerSchedule) -> Triggered:
        """Fire now, outside the timetable (works while the scheduler is stopped: it was asked for)."""
        async with self.pool.acquire() as conn, conn.transaction():
            row = await found_schedule(conn, request.schedule_id)
            key = domain.manual_fire_key(row.id)
            fire = fires.NewFire(row.id, row.server_id, self.clock.now(), key, True, 0, "api")
            recorded = await fires.record_fires(conn, [fire])
            await self.outbox.emit_many(conn, [fired_event(row, f) for f in recorded])
        return Triggered(schedule_id=row.id, fire_key=key, message="Backup triggered")
