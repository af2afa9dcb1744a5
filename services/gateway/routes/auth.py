"""/auth: log in, rotate refresh tokens, log out, who am I, and sign-ins the UI reports."""

from datetime import timedelta
from typing import Annotated, Any, Literal

import msgspec
from litestar import Request, Router, get, post
from litestar.exceptions import HTTPException, NotAuthorizedException

from contracts.events import LoginFailed, UserLoggedIn, UserLoggedOut
from libs.bus.outbox import emit
from services.gateway.auth import guards
from services.gateway.auth.passwords import verify_password
from services.gateway.state import CurrentUser, Gateway, actor, client_ip
from services.gateway.store import sessions, users
from services.gateway.views import UserView, user_view

NonEmpty = Annotated[str, msgspec.Meta(min_length=1, max_length=256)]


class LoginRequest(msgspec.Struct, frozen=True):
    username: NonEmpty
    password: NonEmpty


class RefreshRequest(msgspec.Struct, frozen=True):
    refresh_token: NonEmpty


class ClientEvent(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    event: Literal["login", "logout"]


class Success(msgspec.Struct, frozen=True):
    success: bool


class TokenPair(msgspec.Struct, frozen=True):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    expires_in: int = 0


def _pair(gateway: Gateway, user_id: int, role: str, refresh: str) -> TokenPair:
    return TokenPair(
        access_token=gateway.tokens.issue(user_id, role),
        refresh_token=refresh,
        expires_in=gateway.settings.access_token_minutes * 60,
    )


@post("/login", operation_id="login", status_code=200)
async def login(data: LoginRequest, request: Request[Any, Any, Any], gateway: Gateway) -> TokenPair:
    ip = client_ip(request)
    window = timedelta(seconds=gateway.settings.login_window_seconds)
    async with gateway.pool.acquire() as conn, conn.transaction():
        failures = await sessions.recent_failures(conn, data.username, ip, window)
        if failures >= gateway.settings.login_max_failures:
            await emit(
                conn,
                LoginFailed(
                    username=data.username, reason="rate_limited", producer="gateway", actor=actor(request)
                ),
            )
            raise HTTPException(
                status_code=429,
                detail="too many failed logins; try again later",
                headers={"Retry-After": str(gateway.settings.login_window_seconds)},
            )
        user, password_hash = await users.password_hash_of(conn, data.username)
        if user is None or not verify_password(password_hash, data.password) or user.status != "active":
            reason = "inactive" if user is not None and user.status != "active" else "bad_credentials"
            await sessions.record_attempt(conn, data.username, ip, succeeded=False)
            await emit(
                conn,
                LoginFailed(
                    username=data.username,
                    reason=reason,  # type: ignore[arg-type]
                    producer="gateway",
                    actor=actor(request),
                ),
            )
            failed = True
        else:
            failed = False
            await sessions.record_attempt(conn, data.username, ip, succeeded=True)
            await users.record_login(conn, user.id)
            refresh = await sessions.start_family(conn, user.id, _refresh_ttl(gateway))
            who = msgspec.structs.replace(actor(request), user_id=user.id, username=user.username)
            await emit(
                conn, UserLoggedIn(user_id=user.id, username=user.username, producer="gateway", actor=who)
            )
    if failed or user is None:
        raise NotAuthorizedException("invalid username or password")
    return _pair(gateway, user.id, user.role, refresh)


@post("/refresh", operation_id="refreshToken", status_code=200)
async def refresh(data: RefreshRequest, gateway: Gateway) -> TokenPair:
    async with gateway.pool.acquire() as conn, conn.transaction():
        rotated = await sessions.rotate(conn, data.refresh_token, _refresh_ttl(gateway))
        user = await users.get(conn, rotated[0]) if rotated else None
    if rotated is None or user is None or user.status != "active":
        raise NotAuthorizedException("refresh token is invalid, expired or was already used")
    return _pair(gateway, user.id, user.role, rotated[1])


@post("/logout", operation_id="logout", status_code=200, guards=[guards.viewer])
async def logout(data: RefreshRequest, request: Request[Any, Any, Any], gateway: Gateway) -> dict[str, str]:
    me: CurrentUser = request.scope["user"]
    async with gateway.pool.acquire() as conn, conn.transaction():
        family = await sessions.family_of(conn, data.refresh_token)
        if family is not None and family.user_id == me.id:
            await sessions.revoke_family(conn, family.family_id)
        if me.token_expires_at is not None:  # the access token presented stops working too
            await sessions.revoke_access(conn, me.token_id, me.id, me.token_expires_at)
        await emit(
            conn, UserLoggedOut(user_id=me.id, username=me.username, producer="gateway", actor=actor(request))
        )
    return {"message": "Logged out"}


@post("/events", operation_id="recordAuthEvent", status_code=200, guards=[guards.viewer])
async def record_event(data: ClientEvent, request: Request[Any, Any, Any], gateway: Gateway) -> Success:
    """The UI reports a sign-in or sign-out it performed, for the audit trail."""
    me: CurrentUser = request.scope["user"]
    event_type = UserLoggedIn if data.event == "login" else UserLoggedOut
    async with gateway.pool.acquire() as conn, conn.transaction():
        await emit(
            conn,
            event_type(
                user_id=me.id, username=me.username, source="client", producer="gateway", actor=actor(request)
            ),
        )
    return Success(success=True)


@get("/me", operation_id="currentUser", guards=[guards.viewer])
async def me(request: Request[Any, Any, Any], gateway: Gateway) -> UserView:
    user = await users.get(gateway.pool, request.scope["user"].id)
    assert user is not None
    return user_view(user)


def _refresh_ttl(gateway: Gateway) -> timedelta:
    return timedelta(days=gateway.settings.refresh_token_days)


router = Router(path="/auth", route_handlers=[login, refresh, logout, record_event, me], tags=["auth"])
