from datetime import datetime

import asyncpg
import msgspec

from contracts.envelope import Actor
from contracts.events import UserCreated
from libs.bus.outbox import emit

Executor = asyncpg.Pool | asyncpg.Connection

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
    actor: Actor,
    email: str | None = None,
    full_name: str | None = None,
) -> User:
    """Insert a user and emit `user.created` in the caller's transaction."""
    row = await conn.fetchrow(
        f"""INSERT INTO users (username, email, full_name, password_hash, role)
            VALUES ($1, $2, $3, $4, $5) RETURNING {COLUMNS}""",
        username, email, full_name, password_hash, role,
    )
    user = User(**dict(row))
    await emit(conn, UserCreated(
        user_id=user.id, username=user.username, role=user.role,  # type: ignore[arg-type]
        email=email, full_name=full_name, producer="gateway", actor=actor,
    ))
    return user


async def record_login(conn: asyncpg.Connection, user_id: int) -> None:
    await conn.execute(
        "UPDATE users SET login_count = login_count + 1, last_login = now() WHERE id = $1", user_id
    )
