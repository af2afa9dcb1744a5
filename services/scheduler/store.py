"""SQL over the scheduler schema."""

from datetime import datetime
from typing import Any

import asyncpg

from contracts.schedules import ListScheduleLogs

Executor = asyncpg.Pool | asyncpg.Connection
LOGS = """SELECT f.*,
       coalesce(array_agg(b.backup_id ORDER BY b.backup_id) FILTER (WHERE b.backup_id IS NOT NULL), '{}')
           AS backup_ids,
       sum(b.size_bytes) AS backup_size_bytes
    FROM fires f LEFT JOIN fire_backups b ON b.fire_id = f.id"""


async def get_schedule(db: Executor, schedule_id: int, *, for_update: bool = False) -> dict[str, Any] | None:
    lock = " FOR UPDATE" if for_update else ""
    row = await db.fetchrow(f"SELECT * FROM schedules WHERE id = $1{lock}", schedule_id)
    return dict(row) if row else None


async def list_schedules(
    db: Executor, server_id: int | None, database_id: int | None
) -> list[dict[str, Any]]:
    rows = await db.fetch(
        """SELECT * FROM schedules
           WHERE ($1::bigint IS NULL OR server_id = $1) AND ($2::bigint IS NULL OR database_id = $2)
           ORDER BY id""",
        server_id,
        database_id,
    )
    return [dict(r) for r in rows]


async def name_taken(db: Executor, name: str, other_than: int | None = None) -> bool:
    return bool(
        await db.fetchval(
            "SELECT 1 FROM schedules WHERE lower(name) = lower($1) AND id IS DISTINCT FROM $2",
            name,
            other_than,
        )
    )


async def claim_due(conn: asyncpg.Connection, now: datetime, limit: int) -> list[dict[str, Any]]:
    """Due schedules, locked for this transaction; another process skips them."""
    rows = await conn.fetch(
        """SELECT * FROM schedules WHERE enabled AND next_fire_at <= $1
           ORDER BY next_fire_at LIMIT $2 FOR UPDATE SKIP LOCKED""",
        now,
        limit,
    )
    return [dict(r) for r in rows]


async def record_fires(conn: asyncpg.Connection, fires: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    """Insert (schedule_id, server_id, fire_at, fire_key, manual, fence, fired_by) rows; returns
    those that are new — a fire key seen before is a fire that already happened."""
    if not fires:
        return []
    rows = await conn.fetch(
        """INSERT INTO fires (schedule_id, server_id, fire_at, fire_key, manual, fence, fired_by)
           SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::timestamptz[], $4::text[],
                                $5::boolean[], $6::bigint[], $7::text[])
           ON CONFLICT DO NOTHING
           RETURNING id, schedule_id, fire_at, fire_key, manual""",
        *(list(column) for column in zip(*fires, strict=True)),
    )
    return [dict(r) for r in rows]


async def advance(conn: asyncpg.Connection, moves: list[tuple[int, datetime, datetime | None]]) -> None:
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


async def list_logs(db: Executor, query: ListScheduleLogs) -> tuple[list[dict[str, Any]], int]:
    where = "WHERE ($1::bigint IS NULL OR f.schedule_id = $1) AND ($2::bigint IS NULL OR f.server_id = $2)"
    total = await db.fetchval(f"SELECT count(*) FROM fires f {where}", query.schedule_id, query.server_id)
    rows = await db.fetch(
        f"{LOGS} {where} GROUP BY f.id ORDER BY f.started_at DESC, f.id DESC LIMIT $3 OFFSET $4",
        query.schedule_id,
        query.server_id,
        query.limit,
        query.offset,
    )
    return [dict(r) for r in rows], int(total)


async def running_fires(db: Executor) -> list[dict[str, Any]]:
    rows = await db.fetch(f"{LOGS} WHERE f.status = 'running' GROUP BY f.id ORDER BY f.started_at")
    return [dict(r) for r in rows]


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


async def state(db: Executor) -> dict[str, Any]:
    row = await db.fetchrow("SELECT * FROM scheduler_state WHERE id = 1")
    assert row is not None
    return dict(row)


async def counts(db: Executor) -> tuple[int, int]:
    row = await db.fetchrow(
        "SELECT count(*) AS total, count(*) FILTER (WHERE enabled) AS active FROM schedules"
    )
    assert row is not None
    return int(row["total"]), int(row["active"])
