"""SQL over the catalog's backups and restores tables."""

from typing import Any

import asyncpg

from contracts.backups import ListBackups
from services.catalog.store import Executor, _page, _where, insert_row, update_row

BACKUPS = """SELECT b.*,
    (SELECT count(*) FROM restores r WHERE r.backup_id = b.id AND r.status = 'completed') AS restore_count,
    (SELECT max(r.completed_at) FROM restores r WHERE r.backup_id = b.id) AS last_restore_date
  FROM backups b"""


async def next_backup_id(conn: asyncpg.Connection) -> int:
    return int(await conn.fetchval("SELECT nextval(pg_get_serial_sequence('backups', 'id'))"))


async def insert_backup(conn: asyncpg.Connection, values: dict[str, Any]) -> None:
    await insert_row(conn, "backups", values)


async def get_backup(db: Executor, backup_id: int, *, for_update: bool = False) -> dict[str, Any] | None:
    if for_update:
        await db.execute("SELECT 1 FROM backups WHERE id = $1 FOR UPDATE", backup_id)
    row = await db.fetchrow(f"{BACKUPS} WHERE b.id = $1", backup_id)
    return dict(row) if row else None


async def get_backup_by_key(db: Executor, destination: str, key: str) -> dict[str, Any] | None:
    row = await db.fetchrow(
        f"{BACKUPS} WHERE b.destination = $1 AND b.storage_key = $2 AND b.status = 'completed'",
        destination,
        key,
    )
    return dict(row) if row else None


async def update_backup(conn: asyncpg.Connection, backup_id: int, values: dict[str, Any]) -> None:
    await update_row(conn, "backups", backup_id, values)


async def delete_backup(conn: asyncpg.Connection, backup_id: int) -> None:
    await conn.execute("DELETE FROM backups WHERE id = $1", backup_id)


async def list_backups(db: Executor, query: ListBackups) -> tuple[list[asyncpg.Record], int]:
    where, params = _where(
        [
            ("server_id = {}", query.server_id),
            ("database_id = {}", query.database_id),
            ("db_type = {}", query.db_type),
            ("status = {}", query.status),
            ("triggered_by = {}", query.triggered_by),
            ("verified = {}", query.verified),
            ("created_at >= {}::date", query.start_date),
            ("created_at < {}::date + 1", query.end_date),
        ]
    )
    return await _page(db, BACKUPS, where, params, "created_at DESC, id DESC", query.limit, query.offset)


async def insert_restore(conn: asyncpg.Connection, values: dict[str, Any]) -> int:
    return await insert_row(conn, "restores", values)


async def get_restore(db: Executor, restore_id: int, *, for_update: bool = False) -> dict[str, Any] | None:
    lock = " FOR UPDATE" if for_update else ""
    row = await db.fetchrow(f"SELECT * FROM restores WHERE id = $1{lock}", restore_id)
    return dict(row) if row else None


async def update_restore(conn: asyncpg.Connection, restore_id: int, values: dict[str, Any]) -> None:
    await update_row(conn, "restores", restore_id, values)


async def active_restore_into(conn: asyncpg.Connection, endpoint_key: dict[str, Any]) -> int | None:
    """An unfinished restore into the same host, port and database, if any."""
    value = await conn.fetchval(
        """SELECT id FROM restores WHERE status IN ('pending', 'in_progress')
           AND target_endpoint->>'host' IS NOT DISTINCT FROM $1
           AND (target_endpoint->>'port')::int IS NOT DISTINCT FROM $2
           AND target_endpoint->>'database' = $3 LIMIT 1""",
        endpoint_key["host"],
        endpoint_key["port"],
        endpoint_key["database"],
    )
    return int(value) if value is not None else None
