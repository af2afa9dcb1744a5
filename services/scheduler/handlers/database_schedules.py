"""002's schedule of a database: `PATCH /databases/{id}` sets one cron expression per database,
which the scheduler keeps as a schedule owned by that database (created, changed or removed)."""

import asyncpg

from contracts.schedules import DatabaseSchedule, ScheduleList
from libs.bus.outbox import Outbox
from services.scheduler import domain
from services.scheduler.clock import Clock
from services.scheduler.handlers.schedules import created_event, found_schedule, remove, view
from services.scheduler.store import schedules as store


class DatabaseScheduleHandlers:
    def __init__(self, pool: asyncpg.Pool, outbox: Outbox, clock: Clock) -> None:
        self.pool = pool
        self.outbox = outbox
        self.clock = clock

    async def set_for_database(self, request: DatabaseSchedule) -> ScheduleList:
        """002: one schedule per database, created, changed or removed by PATCH."""
        async with self.pool.acquire() as conn, conn.transaction():
            row = await store.owned_by_database(conn, request.database_id)
            if request.cron_expression is None:
                if row is not None:
                    await remove(conn, self.outbox, row, request)
                return ScheduleList(items=[])
            values = domain.timed(
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
                schedule_id = await store.insert_schedule(conn, values)
            else:
                schedule_id = row.id
                await store.update_schedule(conn, schedule_id, values)
            saved = await found_schedule(conn, schedule_id)
            if row is None:
                await self.outbox.emit(conn, created_event(saved), cause=request)
        return ScheduleList(items=[view(saved)])
