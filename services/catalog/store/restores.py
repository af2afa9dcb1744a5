"""SQL over the restores table."""

from typing import Any

import asyncpg

from libs.db.rows import insert_row, update_row
from services.catalog.store.pages import Executor
from services.catalog.store.rows import RestoreRow, columns

RESTORES = f"SELECT {columns(RestoreRow, 'r')} FROM restores r"


async def insert_restore(conn: asyncpg.Connection, values: dict[str, Any]) -> int:
    return await insert_row(conn, "restores", values)


async def get_restore(db: Executor, restore_id: int, *, for_update: bool = False) -> RestoreRow | None:
    lock = " FOR UPDATE" if for_update else ""
    record = await db.fetchrow(f"{RESTORES} WHERE r.id = $1{lock}", restore_id)
    return RestoreRow(*record) if record else None


async def update_restore(conn: asyncpg.Connection, restore_id: int, values: dict[str, Any]) -> None:
    await update_row(conn, "restores", restore_id, values)


async def active_restore_into(
    conn: asyncpg.Connection, host: str | None, port: int | None, database: str
) -> int | None:
    """An unfinished restore into the same host, port and database, if any."""
    value = await conn.fetchval(
        """SELECT id FROM restores WHERE status IN ('pending', 'in_progress')
           AND target_endpoint->>'host' IS NOT DISTINCT FROM $1
           AND (target_endpoint->>'port')::int IS NOT DISTINCT FROM $2
           AND target_endpoint->>'database' = $3 LIMIT 1""",
        host,
        port,
        database,
    )
    return int(value) if value is not None else None
