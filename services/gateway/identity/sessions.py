"""Sessions: logging in (throttled per username and address), refresh tokens that rotate on
every use within their family (a used token presented again revokes the whole family, since it
was stolen or replayed), logging out, and the caller behind an access token."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Literal

import asyncpg
import msgspec

from contracts.envelope import Actor
from contracts.events import LoginFailed, UserLoggedIn, UserLoggedOut
from services.gateway.auth.passwords import verify_password
from services.gateway.auth.tokens import AccessClaims, digest, new_refresh_token
from services.gateway.identity.events import emit
from services.gateway.state import CurrentUser
from services.gateway.store import sessions, users
from services.gateway.store.users import User

Refusal = Literal["bad_credentials", "inactive"]


class LoginThrottled(Exception):
    """Too many failed logins for this username from this address, within the window."""


class LoginRefused(Exception):
    """Unknown username, wrong password or a disabled account: the caller is not told which."""


class NotSignedIn(Exception):
    """An access token whose user is gone or disabled, or that was revoked."""


class LoginPolicy(msgspec.Struct, frozen=True, kw_only=True):
    max_failures: int
    window: timedelta
    refresh_ttl: timedelta


class Session(msgspec.Struct, frozen=True):
    """A signed-in user and the refresh token that continues their session."""

    user: User
    refresh_token: str


async def _issue(conn: asyncpg.Connection, user_id: int, family_id: uuid.UUID, ttl: timedelta) -> str:
    token = new_refresh_token()
    await sessions.insert_refresh_token(conn, digest(token), family_id, user_id, datetime.now(UTC) + ttl)
    return token


async def login(
    db: asyncpg.Pool, username: str, password: str, *, ip: str, policy: LoginPolicy, actor: Actor
) -> Session:
    async with db.acquire() as conn, conn.transaction():
        if await sessions.recent_failures(conn, username, ip, policy.window) >= policy.max_failures:
            await emit(conn, LoginFailed(username=username, reason="rate_limited"), actor)
            raise LoginThrottled(username)
        user, password_hash = await users.password_hash_of(conn, username)
        if user is None or not verify_password(password_hash, password) or user.status != "active":
            inactive = user is not None and user.status != "active"
            reason: Refusal = "inactive" if inactive else "bad_credentials"
            await sessions.record_attempt(conn, username, ip, succeeded=False)
            await emit(conn, LoginFailed(username=username, reason=reason), actor)
            session = None
        else:
            await sessions.record_attempt(conn, username, ip, succeeded=True)
            await users.record_login(conn, user.id)
            session = Session(user, await _issue(conn, user.id, uuid.uuid4(), policy.refresh_ttl))
            who = msgspec.structs.replace(actor, user_id=user.id, username=user.username)
            await emit(conn, UserLoggedIn(user_id=user.id, username=user.username), who)
    if session is None:
        raise LoginRefused(username)
    return session


async def _rotate(conn: asyncpg.Connection, token: str, ttl: timedelta) -> tuple[int, str] | None:
    """Trade a live refresh token for a new one in the same family: the user and the new token."""
    found = await sessions.claim_refresh_token(conn, digest(token))
    if found is None or found.revoked_at is not None or found.expires_at <= datetime.now(UTC):
        return None
    if found.used_at is not None:
        await sessions.revoke_family(conn, found.family_id)
        return None
    await sessions.mark_used(conn, digest(token))
    return found.user_id, await _issue(conn, found.user_id, found.family_id, ttl)


async def refresh(db: asyncpg.Pool, token: str, ttl: timedelta) -> Session | None:
    """The session continued, or None when the token is unknown, expired, used or revoked, or its
    user is gone or disabled."""
    async with db.acquire() as conn, conn.transaction():
        rotated = await _rotate(conn, token, ttl)
        user = await users.get(conn, rotated[0]) if rotated else None
    if rotated is None or user is None or user.status != "active":
        return None
    return Session(user, rotated[1])


async def logout(db: asyncpg.Pool, me: CurrentUser, refresh_token: str, actor: Actor) -> None:
    """End the session of `refresh_token` (if it is the caller's) and the access token presented."""
    async with db.acquire() as conn, conn.transaction():
        family = await sessions.family_of(conn, digest(refresh_token))
        if family is not None and family.user_id == me.id:
            await sessions.revoke_family(conn, family.family_id)
        if me.token_expires_at is not None:
            await sessions.revoke_access(conn, me.token_id, me.id, me.token_expires_at)
        await emit(conn, UserLoggedOut(user_id=me.id, username=me.username), actor)


async def record_client_event(
    db: asyncpg.Pool, event: Literal["login", "logout"], me: CurrentUser, actor: Actor
) -> None:
    """A sign-in or sign-out the UI performed, for the audit trail."""
    event_type = UserLoggedIn if event == "login" else UserLoggedOut
    async with db.acquire() as conn, conn.transaction():
        await emit(conn, event_type(user_id=me.id, username=me.username, source="client"), actor)


async def caller(db: asyncpg.Pool, claims: AccessClaims) -> User:
    """The user of a verified access token, read afresh: a role change or a disabled account
    applies to the very next request, and a logged-out token stops working at once."""
    user, revoked = await users.signed_in(db, claims.user_id, claims.token_id)
    if revoked:
        raise NotSignedIn("this token was revoked (logged out)")
    if user is None or user.status != "active":
        raise NotSignedIn("user is unknown or disabled")
    return user
