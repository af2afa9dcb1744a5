"""SQL over the retention schema: `policies`, and `deletions` (what each evaluation deleted and
why). Reads return typed rows, built from the row type's own column list."""

from typing import Any, TypeAlias

import asyncpg

from contracts.retention import PolicyView
from libs.db.rows import delete_row, insert_row, update_row

Executor: TypeAlias = asyncpg.Pool | asyncpg.Connection
MAX_ID = 2**63 - 1


# A policy row is the view every API shows: the same fields, read by column name.
PolicyRow = PolicyView

POLICY_COLUMNS = ", ".join(PolicyRow.__struct_fields__)


async def get_policy(db: Executor, policy_id: int, *, for_update: bool = False) -> PolicyRow | None:
    if not 1 <= policy_id <= MAX_ID:  # no bigint key has it: not found, rather than a driver error
        return None
    lock = " FOR UPDATE" if for_update else ""
    row = await db.fetchrow(f"SELECT {POLICY_COLUMNS} FROM policies WHERE id = $1{lock}", policy_id)
    return PolicyRow(**row) if row else None


async def system_policy(db: Executor) -> PolicyRow:
    row = await db.fetchrow(f"SELECT {POLICY_COLUMNS} FROM policies WHERE is_system ORDER BY id LIMIT 1")
    assert row is not None, "the system policy is created by the first migration"
    return PolicyRow(**row)


async def list_policies(db: Executor) -> list[PolicyRow]:
    return [PolicyRow(**r) for r in await db.fetch(f"SELECT {POLICY_COLUMNS} FROM policies ORDER BY id")]


async def insert_policy(conn: asyncpg.Connection, values: dict[str, Any]) -> int:
    return await insert_row(conn, "policies", values)


async def update_policy(conn: asyncpg.Connection, policy_id: int, changes: dict[str, Any]) -> None:
    await update_row(conn, "policies", policy_id, changes)


async def delete_policy(conn: asyncpg.Connection, policy_id: int) -> None:
    await delete_row(conn, "policies", policy_id)


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
