"""SQL over `fires` (one row per fire time of a schedule: the schedule log) and `fire_backups`
(the backups a fire asked for and what became of each)."""

from datetime import datetime

import asyncpg
import msgspec

from contracts.schedules import FireStatus, ListScheduleLogs
from services.scheduler.store import Executor


class NewFire(msgspec.Struct, frozen=True):
    schedule_id: int
    server_id: int | None
    fire_at: datetime
    fire_key: str
    manual: bool
    fence: int
    fired_by: str


class FireRow(msgspec.Struct, frozen=True):
    """A fire as recorded."""

    id: int
    schedule_id: int
    fire_at: datetime
    fire_key: str
    manual: bool


class LogRow(msgspec.Struct, frozen=True):
    """A fire with its backups, as the schedule log shows it."""

    id: int
    schedule_id: int
    server_id: int | None
    fire_at: datetime
    manual: bool
    status: FireStatus
    started_at: datetime
    completed_at: datetime | None
    logs: list[str]
    error_message: str | None
    backup_ids: list[int]
    backup_size_bytes: int | None


class RunningFire(msgspec.Struct, frozen=True):
    schedule_id: int
    server_id: int | None
    started_at: datetime


FIRE_COLUMNS = ", ".join(FireRow.__struct_fields__)
NEW_FIRE_COLUMNS = ", ".join(NewFire.__struct_fields__)
RUNNING_COLUMNS = ", ".join(RunningFire.__struct_fields__)
LOG_COLUMNS = ", ".join(f"f.{c}" for c in LogRow.__struct_fields__[:-2])
LOGS = f"""SELECT {LOG_COLUMNS},
       coalesce(array_agg(b.backup_id ORDER BY b.backup_id) FILTER (WHERE b.backup_id IS NOT NULL), '{{}}')
           AS backup_ids,
       sum(b.size_bytes)::bigint AS backup_size_bytes
    FROM fires f LEFT JOIN fire_backups b ON b.fire_id = f.id"""


async def record_fires(conn: asyncpg.Connection, fires: list[NewFire]) -> list[FireRow]:
    """Insert `fires`; returns those that are new — a fire key seen before is a fire that
    already happened."""
    if not fires:
        return []
    rows = await conn.fetch(
        f"""INSERT INTO fires ({NEW_FIRE_COLUMNS})
           SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::timestamptz[], $4::text[],
                                $5::boolean[], $6::bigint[], $7::text[])
           ON CONFLICT DO NOTHING
           RETURNING {FIRE_COLUMNS}""",
        *(list(column) for column in zip(*map(msgspec.structs.astuple, fires), strict=True)),
    )
    return [FireRow(*r) for r in rows]


async def list_logs(db: Executor, query: ListScheduleLogs) -> tuple[list[LogRow], int]:
    where = "WHERE ($1::bigint IS NULL OR f.schedule_id = $1) AND ($2::bigint IS NULL OR f.server_id = $2)"
    total = await db.fetchval(f"SELECT count(*) FROM fires f {where}", query.schedule_id, query.server_id)
    rows = await db.fetch(
        f"{LOGS} {where} GROUP BY f.id ORDER BY f.started_at DESC, f.id DESC LIMIT $3 OFFSET $4",
        query.schedule_id,
        query.server_id,
        query.limit,
        query.offset,
    )
    return [LogRow(*r) for r in rows], int(total)


async def running_fires(db: Executor) -> list[RunningFire]:
    rows = await db.fetch(f"SELECT {RUNNING_COLUMNS} FROM fires WHERE status = 'running' ORDER BY started_at")
    return [RunningFire(*r) for r in rows]


async def typical_durations(db: Executor, schedule_ids: list[int]) -> dict[int, float]:
    """Median seconds of each schedule's recent successful fires (an estimate of the next)."""
    rows = await db.fetch(
        """SELECT schedule_id, percentile_cont(0.5) WITHIN GROUP
                  (ORDER BY extract(epoch FROM completed_at - started_at)) AS seconds
           FROM fires WHERE schedule_id = ANY($1::bigint[]) AND status = 'success'
           GROUP BY schedule_id""",
        schedule_ids,
    )
    return {r["schedule_id"]: float(r["seconds"]) for r in rows}


async def add_backups(conn: asyncpg.Connection, fire_id: int, backup_ids: list[int]) -> None:
    await conn.executemany(
        "INSERT INTO fire_backups (backup_id, fire_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        [(backup_id, fire_id) for backup_id in backup_ids],
    )


async def append_logs(conn: asyncpg.Connection, fire_id: int, lines: list[str]) -> None:
    await conn.execute("UPDATE fires SET logs = logs || $2::text[] WHERE id = $1", fire_id, lines)


async def close_fire(
    conn: asyncpg.Connection, fire_id: int, status: str, error: str | None, line: str
) -> None:
    """A fire that asked for no backup ends at once."""
    await conn.execute(
        """UPDATE fires SET status = $2, completed_at = now(), error_message = $3,
               logs = logs || $4::text[] WHERE id = $1""",
        fire_id,
        status,
        error,
        [line],
    )


async def fire_of_backup(conn: asyncpg.Connection, backup_id: int) -> int | None:
    fire_id = await conn.fetchval("SELECT fire_id FROM fire_backups WHERE backup_id = $1", backup_id)
    return int(fire_id) if fire_id is not None else None


async def lock_fire(conn: asyncpg.Connection, fire_id: int) -> None:
    await conn.execute("SELECT 1 FROM fires WHERE id = $1 FOR UPDATE", fire_id)


async def finish_backup(
    conn: asyncpg.Connection, backup_id: int, status: str, size: int | None, error: str | None
) -> None:
    await conn.execute(
        """UPDATE fire_backups SET status = $2, size_bytes = $3, error_message = $4, completed_at = now()
           WHERE backup_id = $1""",
        backup_id,
        status,
        size,
        error,
    )


async def backup_statuses(conn: asyncpg.Connection, fire_id: int) -> list[str]:
    return [
        r["status"] for r in await conn.fetch("SELECT status FROM fire_backups WHERE fire_id = $1", fire_id)
    ]


async def record_outcome(
    conn: asyncpg.Connection, fire_id: int, line: str, outcome: str | None, error: str | None
) -> None:
    """Log `line`; once `outcome` is known, the fire ends with it (keeping its first error)."""
    await conn.execute(
        """UPDATE fires SET logs = logs || $2::text[],
               status = coalesce($3, status),
               completed_at = CASE WHEN $3::text IS NULL THEN completed_at ELSE now() END,
               error_message = coalesce(error_message, $4)
           WHERE id = $1""",
        fire_id,
        [line],
        outcome,
        error,
    )
