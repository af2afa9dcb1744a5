"""SQL over the retention schema."""

from typing import Any

import asyncpg

Executor = asyncpg.Pool | asyncpg.Connection


MAX_ID = 2**63 - 1


async def get_policy(db: Executor, policy_id: int, *, for_update: bool = False) -> dict[str, Any] | None:
    if not 1 <= policy_id <= MAX_ID:  # no bigint key has it: not found, rather than a driver error
        return None
    lock = " FOR UPDATE" if for_update else ""
    row = await db.fetchrow(f"SELECT * FROM policies WHERE id = $1{lock}", policy_id)
    return dict(row) if row else None


async def system_policy(db: Executor) -> dict[str, Any]:
    row = await db.fetchrow("SELECT * FROM policies WHERE is_system ORDER BY id LIMIT 1")
    assert row is not None, "the system policy is created by the first migration"
    return dict(row)


async def list_policies(db: Executor) -> list[dict[str, Any]]:
    return [dict(r) for r in await db.fetch("SELECT * FROM policies ORDER BY id")]


async def name_taken(db: Executor, name: str, other_than: int | None = None) -> bool:
    return bool(
        await db.fetchval(
            "SELECT 1 FROM policies WHERE lower(name) = lower($1) AND id IS DISTINCT FROM $2",
            name,
            other_than,
        )
    )


async def record_deletion(
    db: Executor, backup_id: int, database_id: int, policy_id: int | None, reason: str
) -> None:
    await db.execute(
        """INSERT INTO deletions (backup_id, database_id, policy_id, reason) VALUES ($1, $2, $3, $4)
           ON CONFLICT (backup_id) DO NOTHING""",
        backup_id,
        database_id,
        policy_id,
        reason,
    )
