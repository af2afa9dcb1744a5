"""SQL over `schedules`."""

from datetime import datetime
from typing import Any

import asyncpg
import msgspec

from contracts.schedules import ScheduleFields
from libs.db.rows import delete_row, fetch_row, insert_row, update_row
from services.scheduler.store import Executor


class ScheduleRow(ScheduleFields, frozen=True, kw_only=True):
    """A schedule's row, read by column name: its view's own fields and the scheduler's."""

    owned_by_database: int | None
    next_fire_at: datetime  # set by every write (domain.timed, changed_values)
    last_run_at: datetime | None
    created_at: datetime
    updated_at: datetime


class ScheduleName(msgspec.Struct, frozen=True):
    id: int
    name: str


SCHEDULE_COLUMNS = ", ".join(ScheduleRow.__struct_fields__)
# (schedule id, next fire time, last run time or None to keep it)
Move = tuple[int, datetime, datetime | None]


async def get_schedule(db: Executor, schedule_id: int, *, for_update: bool = False) -> ScheduleRow | None:
    lock = " FOR UPDATE" if for_update else ""
    return await fetch_row(
        db, ScheduleRow, f"SELECT {SCHEDULE_COLUMNS} FROM schedules WHERE id = $1{lock}", schedule_id
    )


async def owned_by_database(conn: asyncpg.Connection, database_id: int) -> ScheduleRow | None:
    """The one schedule 002's database PATCH manages for `database_id`, locked."""
    return await fetch_row(
        conn,
        ScheduleRow,
        f"SELECT {SCHEDULE_COLUMNS} FROM schedules WHERE owned_by_database = $1 FOR UPDATE",
        database_id,
    )


async def list_schedules(db: Executor, server_id: int | None, database_id: int | None) -> list[ScheduleRow]:
    rows = await db.fetch(
        f"""SELECT {SCHEDULE_COLUMNS} FROM schedules
           WHERE ($1::bigint IS NULL OR server_id = $1) AND ($2::bigint IS NULL OR database_id = $2)
           ORDER BY id""",
        server_id,
        database_id,
    )
    return [ScheduleRow(**r) for r in rows]


async def insert_schedule(conn: asyncpg.Connection, values: dict[str, Any]) -> int:
    return await insert_row(conn, "schedules", values)


async def update_schedule(conn: asyncpg.Connection, schedule_id: int, changes: dict[str, Any]) -> None:
    await update_row(conn, "schedules", schedule_id, changes)


async def delete_schedule(conn: asyncpg.Connection, schedule_id: int) -> None:
    await delete_row(conn, "schedules", schedule_id)


async def delete_for_server(conn: asyncpg.Connection, server_id: int) -> None:
    await conn.execute("DELETE FROM schedules WHERE server_id = $1", server_id)


async def delete_for_database(conn: asyncpg.Connection, database_id: int) -> None:
    await conn.execute("DELETE FROM schedules WHERE owned_by_database = $1 OR database_id = $1", database_id)


async def naming_policy(db: Executor, policy_id: int) -> list[ScheduleName]:
    rows = await db.fetch(
        "SELECT id, name FROM schedules WHERE retention_policy_id = $1 ORDER BY id", policy_id
    )
    return [ScheduleName(*r) for r in rows]


async def reassign_policy(conn: asyncpg.Connection, policy_id: int, to_policy_id: int) -> list[ScheduleName]:
    """Every schedule naming `policy_id` names `to_policy_id` instead; the moved ones, by id."""
    rows = await conn.fetch(
        """UPDATE schedules SET retention_policy_id = $2, updated_at = now()
           WHERE retention_policy_id = $1 RETURNING id, name""",
        policy_id,
        to_policy_id,
    )
    return sorted((ScheduleName(*r) for r in rows), key=lambda r: r.id)


async def claim_due(conn: asyncpg.Connection, now: datetime, limit: int) -> list[ScheduleRow]:
    """Due schedules, locked for this transaction; another process skips them."""
    rows = await conn.fetch(
        f"""SELECT {SCHEDULE_COLUMNS} FROM schedules WHERE enabled AND next_fire_at <= $1
           ORDER BY next_fire_at LIMIT $2 FOR UPDATE SKIP LOCKED""",
        now,
        limit,
    )
    return [ScheduleRow(**r) for r in rows]


async def advance(conn: asyncpg.Connection, moves: list[Move]) -> None:
    """Set each (schedule_id, next_fire_at, last_run_at) at once."""
    if moves:
        await conn.execute(
            """UPDATE schedules s SET next_fire_at = m.next_fire_at,
                      last_run_at = coalesce(m.last_run_at, s.last_run_at)
               FROM unnest($1::bigint[], $2::timestamptz[], $3::timestamptz[])
                    AS m (id, next_fire_at, last_run_at)
               WHERE s.id = m.id""",
            *(list(column) for column in zip(*moves, strict=True)),
        )


async def counts(db: Executor) -> tuple[int, int]:
    """How many schedules there are, and how many of them are enabled."""
    row = await db.fetchrow(
        "SELECT count(*) AS total, count(*) FILTER (WHERE enabled) AS active FROM schedules"
    )
    assert row is not None
    return int(row["total"]), int(row["active"])
