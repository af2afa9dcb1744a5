"""Refresh tokens (stored only as digests, in families), revoked access tokens and login attempts."""

import uuid
from datetime import datetime, timedelta

import asyncpg
import msgspec


class RefreshToken(msgspec.Struct, frozen=True, kw_only=True):
    user_id: int
    family_id: uuid.UUID
    used_at: datetime | None
    revoked_at: datetime | None
    expires_at: datetime


class Family(msgspec.Struct, frozen=True):
    user_id: int
    family_id: uuid.UUID


async def insert_refresh_token(
    conn: asyncpg.Connection, token_hash: str, family_id: uuid.UUID, user_id: int, expires_at: datetime
) -> None:
    await conn.execute(
        "INSERT INTO refresh_tokens (token_hash, family_id, user_id, expires_at) VALUES ($1, $2, $3, $4)",
        token_hash,
        family_id,
        user_id,
        expires_at,
    )


async def claim_refresh_token(conn: asyncpg.Connection, token_hash: str) -> RefreshToken | None:
    """The token's row, locked until the caller's transaction ends."""
    row = await conn.fetchrow(
        """SELECT user_id, family_id, used_at, revoked_at, expires_at FROM refresh_tokens
           WHERE token_hash = $1 FOR UPDATE""",
        token_hash,
    )
    return RefreshToken(**dict(row)) if row else None


async def mark_used(conn: asyncpg.Connection, token_hash: str) -> None:
    await conn.execute("UPDATE refresh_tokens SET used_at = now() WHERE token_hash = $1", token_hash)


async def family_of(conn: asyncpg.Connection, token_hash: str) -> Family | None:
    row = await conn.fetchrow(
        "SELECT user_id, family_id FROM refresh_tokens WHERE token_hash = $1", token_hash
    )
    return Family(row["user_id"], row["family_id"]) if row else None


async def revoke_family(conn: asyncpg.Connection, family_id: uuid.UUID) -> None:
    await conn.execute(
        "UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL",
        family_id,
    )


async def revoke_user(conn: asyncpg.Connection, user_id: int) -> None:
    await conn.execute(
        "UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL", user_id
    )


async def revoke_access(conn: asyncpg.Connection, token_id: str, user_id: int, expires_at: datetime) -> None:
    """Deny an access token until it expires; rows of tokens that expired anyway go at once."""
    await conn.execute("DELETE FROM revoked_access_tokens WHERE expires_at <= now()")
    await conn.execute(
        """INSERT INTO revoked_access_tokens (jti, user_id, expires_at) VALUES ($1, $2, $3)
           ON CONFLICT (jti) DO NOTHING""",
        token_id,
        user_id,
        expires_at,
    )


async def recent_failures(conn: asyncpg.Connection, username: str, ip: str, window: timedelta) -> int:
    return int(
        await conn.fetchval(
            """SELECT count(*) FROM login_attempts
           WHERE lower(username) = lower($1) AND ip_address = $2 AND NOT succeeded
             AND at > now() - $3::interval
             AND at > coalesce((SELECT max(at) FROM login_attempts WHERE lower(username) = lower($1)
                                AND ip_address = $2 AND succeeded), '-infinity')""",
            username,
            ip,
            window,
        )
    )


async def record_attempt(conn: asyncpg.Connection, username: str, ip: str, succeeded: bool) -> None:
    await conn.execute(
        "INSERT INTO login_attempts (username, ip_address, succeeded) VALUES ($1, $2, $3)",
        username,
        ip,
        succeeded,
    )
