"""SQL over the backups table (each row with its restores counted), and the facts retention
reads from it and marks on it."""

from collections.abc import Sequence
from typing import Any

import asyncpg

from contracts.backups import ListBackups
from contracts.retention import BackupFact, RetentionMark
from libs.db.rows import delete_row, fetch_row, insert_row, lock_row, update_row
from services.catalog.store.pages import Executor, page, where
from services.catalog.store.rows import BackupRow, columns

BACKUP_COLUMNS = columns(
    BackupRow,
    "b",
    restore_count="(SELECT count(*) FROM restores r WHERE r.backup_id = b.id AND r.status = 'completed')",
    last_restore_date="(SELECT max(r.completed_at) FROM restores r WHERE r.backup_id = b.id)",
)
BACKUPS = f"SELECT {BACKUP_COLUMNS} FROM backups b"


async def next_backup_id(conn: asyncpg.Connection) -> int:
    return int(await conn.fetchval("SELECT nextval(pg_get_serial_sequence('backups', 'id'))"))


async def insert_backup(conn: asyncpg.Connection, values: dict[str, Any]) -> None:
    await insert_row(conn, "backups", values)


async def get_backup(db: Executor, backup_id: int, *, for_update: bool = False) -> BackupRow | None:
    if for_update:
        await lock_row(db, "backups", backup_id)
    return await fetch_row(db, BackupRow, f"{BACKUPS} WHERE b.id = $1", backup_id)


async def get_backup_by_key(db: Executor, destination: str, key: str) -> BackupRow | None:
    """The completed backup whose artifact is `key` in `destination`, if any."""
    return await fetch_row(
        db,
        BackupRow,
        f"{BACKUPS} WHERE b.destination = $1 AND b.storage_key = $2 AND b.status = 'completed'",
        destination,
        key,
    )


async def backup_ids_by_key(db: Executor, destination: str, keys: list[str]) -> dict[str, int]:
    records = await db.fetch(
        "SELECT storage_key, id FROM backups WHERE destination = $1 AND storage_key = ANY($2::text[])",
        destination,
        keys,
    )
    return {r[0]: r[1] for r in records}


async def fire_key_taken(db: Executor, fire_key: str) -> bool:
    return bool(await db.fetchval("SELECT id FROM backups WHERE fire_key = $1", fire_key))


async def update_backup(conn: asyncpg.Connection, backup_id: int, values: dict[str, Any]) -> None:
    await update_row(conn, "backups", backup_id, values)


async def delete_backup(conn: asyncpg.Connection, backup_id: int) -> None:
    await delete_row(conn, "backups", backup_id)


async def list_backups(db: Executor, query: ListBackups) -> tuple[list[BackupRow], int]:
    condition, params = where(
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
    order = "created_at DESC, id DESC"
    return await page(db, BackupRow, BACKUPS, condition, params, order, query.limit, query.offset)


async def history(db: Executor, database_id: int) -> list[BackupFact]:
    """A database's backups, newest first, as retention decides on them."""
    records = await db.fetch(
        """SELECT id, created_at, status, schedule_id,
                  CASE WHEN verification_date IS NULL THEN NULL ELSE verified END AS verified_ok
           FROM backups WHERE database_id = $1 ORDER BY created_at DESC, id DESC""",
        database_id,
    )
    return [
        BackupFact(
            id=r["id"],
            created_at=r["created_at"],
            status=r["status"],
            verified_ok=r["verified_ok"],
            schedule_id=r["schedule_id"],
        )
        for r in records
    ]


async def mark_retention(db: Executor, marks: Sequence[RetentionMark]) -> int:
    """Set each backup's tier and retention date; how many rows changed."""
    result = await db.execute(
        """UPDATE backups b SET tier = m.tier, retention_until = m.retention_until
           FROM unnest($1::bigint[], $2::text[], $3::timestamptz[]) AS m (id, tier, retention_until)
           WHERE b.id = m.id AND (b.tier IS DISTINCT FROM m.tier
                                  OR b.retention_until IS DISTINCT FROM m.retention_until)""",
        [m.backup_id for m in marks],
        [m.tier for m in marks],
        [m.retention_until for m in marks],
    )
    return int(result.split()[-1])


async def managed_database_ids(db: Executor) -> list[int]:
    """The databases with at least one completed backup."""
    records = await db.fetch(
        "SELECT DISTINCT database_id FROM backups WHERE database_id IS NOT NULL AND status = 'completed'"
    )
    return sorted(r[0] for r in records)
