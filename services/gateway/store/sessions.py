"""Refresh-token families, revoked access tokens and login attempts."""

import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import msgspec

from services.gateway.auth.tokens import digest, new_refresh_token


class Redeemed(msgspec.Struct, frozen=True):
    user_id: int
    family_id: uuid.UUID


async def start_family(conn: asyncpg.Connection, user_id: int, ttl: timedelta) -> str:
    return await _issue(conn, user_id, uuid.uuid4(), ttl)


async def _issue(conn: asyncpg.Connection, user_id: int, family_id: uuid.UUID, ttl: timedelta) -> str:
    token = new_refresh_token()
    await conn.execute(
        "INSERT INTO refresh_tokens (token_hash, family_id, user_id, expires_at) VALUES ($1, $2, $3, $4)",
        digest(token),
        family_id,
        user_id,
        datetime.now(UTC) + ttl,
    )
    return token


async def rotate(conn: asyncpg.Connection, token: str, ttl: timedelta) -> tuple[int, str] | None:
    """Trade a live refresh token for a new one in the same family.

    Presenting a token that was already used means it was stolen or replayed:
    the whole family is revoked and None returned.
    """
    row = await conn.fetchrow(
        """SELECT user_id, family_id, used_at, revoked_at, expires_at FROM refresh_tokens
           WHERE token_hash = $1 FOR UPDATE""",
        digest(token),
    )
    if row is None or row["revoked_at"] is not None or row["expires_at"] <= datetime.now(UTC):
        return None
    if row["used_at"] is not None:
        await revoke_family(conn, row["family_id"])
        return None
    await conn.execute("UPDATE refresh_tokens SET used_at = now() WHERE token_hash = $1", digest(token))
    return row["user_id"], await _issue(conn, row["user_id"], row["family_id"], ttl)


async def family_of(conn: asyncpg.Connection, token: str) -> Redeemed | None:
    row = await conn.fetchrow(
        "SELECT user_id, family_id FROM refresh_tokens WHERE token_hash = $1", digest(token)
    )
    return Redeemed(row["user_id"], row["family_id"]) if row else None


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
