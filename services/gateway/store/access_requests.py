"""Access requests: people asking for an account, decided by an admin."""

from datetime import datetime
from typing import TypeAlias

import asyncpg
import msgspec

Executor: TypeAlias = asyncpg.Pool | asyncpg.Connection

COLUMNS = """id, username, email, full_name, requested_role, status, message, reason,
             created_at, decided_at"""


class AccessRequest(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    username: str
    email: str | None
    full_name: str | None
    requested_role: str
    status: str
    message: str | None
    reason: str | None
    created_at: datetime
    decided_at: datetime | None


async def insert(
    conn: asyncpg.Connection,
    *,
    username: str,
    email: str | None,
    full_name: str | None,
    password_hash: str,
    requested_role: str,
    message: str | None,
) -> AccessRequest | None:
    """The new pending request, or None when one is already pending for this username."""
    row = await conn.fetchrow(
        f"""INSERT INTO access_requests
                (username, email, full_name, password_hash, requested_role, message)
            VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (lower(username)) WHERE status = 'pending' DO NOTHING
            RETURNING {COLUMNS}""",
        username,
        email,
        full_name,
        password_hash,
        requested_role,
        message,
    )
    return AccessRequest(**dict(row)) if row else None


async def list_page(
    db: Executor, *, status: str | None, limit: int, offset: int
) -> tuple[list[AccessRequest], int]:
    where, params = ("WHERE status = $1", [status]) if status else ("", [])
    total = await db.fetchval(f"SELECT count(*) FROM access_requests {where}", *params)
    rows = await db.fetch(
        f"SELECT {COLUMNS} FROM access_requests {where} ORDER BY id DESC"
        f" LIMIT ${len(params) + 1} OFFSET ${len(params) + 2}",
        *params,
        limit,
        offset,
    )
    return [AccessRequest(**dict(r)) for r in rows], int(total)


async def claim(conn: asyncpg.Connection, request_id: int) -> tuple[AccessRequest, str | None] | None:
    """The request and its password hash, locked until the caller's transaction ends."""
    row = await conn.fetchrow(
        f"SELECT {COLUMNS}, password_hash FROM access_requests WHERE id = $1 FOR UPDATE", request_id
    )
    if row is None:
        return None
    values = dict(row)
    password_hash = values.pop("password_hash")
    return AccessRequest(**values), password_hash


async def decide(
    conn: asyncpg.Connection,
    request_id: int,
    *,
    status: str,
    decided_by: int,
    reason: str | None = None,
) -> None:
    # The hash is no longer needed once decided: an approved user holds their own copy.
    await conn.execute(
        """UPDATE access_requests
           SET status = $2, decided_by = $3, reason = $4, decided_at = now(), password_hash = NULL
           WHERE id = $1""",
        request_id,
        status,
        decided_by,
        reason,
    )
