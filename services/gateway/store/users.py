"""Accounts: who may sign in, with which role, and their preferences."""

from datetime import datetime
from typing import Any, TypeAlias

import asyncpg
import msgspec

Executor: TypeAlias = asyncpg.Pool | asyncpg.Connection

COLUMNS = """id, username, email, full_name, role, status, dark_mode, page_size,
             login_count, last_login, created_at, updated_at"""


class User(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    username: str
    email: str | None
    full_name: str | None
    role: str
    status: str
    dark_mode: bool
    page_size: int
    login_count: int
    last_login: datetime | None
    created_at: datetime
    updated_at: datetime


def _user(row: asyncpg.Record | None) -> User | None:
    return User(**dict(row)) if row else None


async def get(db: Executor, user_id: int) -> User | None:
    return _user(await db.fetchrow(f"SELECT {COLUMNS} FROM users WHERE id = $1", user_id))


async def signed_in(db: Executor, user_id: int, token_id: str) -> tuple[User | None, bool]:
    """The token's user, and whether the token was revoked: one round trip for every request."""
    row = await db.fetchrow(
        f"""SELECT {COLUMNS},
                   EXISTS (SELECT 1 FROM revoked_access_tokens WHERE jti = $2) AS token_revoked
            FROM users WHERE id = $1""",
        user_id,
        token_id,
    )
    if row is None:
        return None, False
    values = dict(row)
    revoked = bool(values.pop("token_revoked"))
    return User(**values), revoked


async def password_hash_of(db: Executor, username: str) -> tuple[User | None, str | None]:
    row = await db.fetchrow(
        f"SELECT {COLUMNS}, password_hash FROM users WHERE lower(username) = lower($1)", username
    )
    if row is None:
        return None, None
    values = dict(row)
    password_hash = values.pop("password_hash")
    return User(**values), password_hash


async def count(db: Executor) -> int:
    return int(await db.fetchval("SELECT count(*) FROM users"))


async def insert(
    conn: asyncpg.Connection,
    *,
    username: str,
    password_hash: str,
    role: str,
    email: str | None = None,
    full_name: str | None = None,
) -> User:
    row = await conn.fetchrow(
        f"""INSERT INTO users (username, email, full_name, password_hash, role)
            VALUES ($1, $2, $3, $4, $5) RETURNING {COLUMNS}""",
        username,
        email,
        full_name,
        password_hash,
        role,
    )
    return User(**dict(row))


async def record_login(conn: asyncpg.Connection, user_id: int) -> None:
    await conn.execute(
        "UPDATE users SET login_count = login_count + 1, last_login = now() WHERE id = $1", user_id
    )


async def lock(conn: asyncpg.Connection) -> None:
    """Serialise user writes, so uniqueness and last-admin checks see every committed change."""
    await conn.execute("LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE")


async def list_page(
    db: Executor,
    *,
    role: str | None,
    status: str | None,
    search: str | None,
    limit: int,
    offset: int,
) -> tuple[list[User], int]:
    conditions, params = [], []
    for column, value in (("role", role), ("status", status)):
        if value is not None:
            params.append(value)
            conditions.append(f"{column} = ${len(params)}")
    if search:
        params.append(f"%{search}%")
        n = len(params)
        conditions.append(f"(username ILIKE ${n} OR full_name ILIKE ${n} OR email ILIKE ${n})")
    where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
    total = await db.fetchval(f"SELECT count(*) FROM users {where}", *params)
    rows = await db.fetch(
        f"SELECT {COLUMNS} FROM users {where} ORDER BY id LIMIT ${len(params) + 1} OFFSET ${len(params) + 2}",
        *params,
        limit,
        offset,
    )
    return [User(**dict(r)) for r in rows], int(total)


async def taken(
    db: Executor, username: str | None, email: str | None, other_than: int | None = None
) -> str | None:
    """Which of `username` and `email` another user already has, if any."""
    row = await db.fetchrow(
        """SELECT lower(username) = lower($1) AS username, lower(email) = lower($2) AS email
           FROM users WHERE (lower(username) = lower($1) OR lower(email) = lower($2))
             AND id IS DISTINCT FROM $3 LIMIT 1""",
        username,
        email,
        other_than,
    )
    if row is None:
        return None
    return "username" if row["username"] else "email"


async def active_admins(db: Executor) -> int:
    return int(await db.fetchval("SELECT count(*) FROM users WHERE role = 'admin' AND status = 'active'"))


async def update(conn: asyncpg.Connection, user_id: int, values: dict[str, Any]) -> User:
    """Set `values` (column name → value, names chosen by the caller, never by a client)."""
    sets = ", ".join(f"{column} = ${i}" for i, column in enumerate(values, start=2))
    row = await conn.fetchrow(
        f"UPDATE users SET {sets}, updated_at = now() WHERE id = $1 RETURNING {COLUMNS}",
        user_id,
        *values.values(),
    )
    return User(**dict(row))


async def delete(conn: asyncpg.Connection, user_id: int) -> None:
    await conn.execute("DELETE FROM users WHERE id = $1", user_id)
