"""/auth: log in, rotate refresh tokens, log out, who am I, and sign-ins the UI reports."""

from datetime import timedelta
from typing import Annotated, Any, Literal

import msgspec
from litestar import Request, Router, get, post
from litestar.exceptions import HTTPException, NotAuthorizedException

from services.gateway.auth import guards
from services.gateway.identity import sessions, users
from services.gateway.state import Gateway, actor, client_ip
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


def _pair(gateway: Gateway, session: sessions.Session) -> TokenPair:
    return TokenPair(
        access_token=gateway.tokens.issue(session.user.id, session.user.role),
        refresh_token=session.refresh_token,
        expires_in=gateway.settings.access_token_minutes * 60,
    )


def _policy(gateway: Gateway) -> sessions.LoginPolicy:
    return sessions.LoginPolicy(
        max_failures=gateway.settings.login_max_failures,
        window=timedelta(seconds=gateway.settings.login_window_seconds),
        refresh_ttl=_refresh_ttl(gateway),
    )


def _refresh_ttl(gateway: Gateway) -> timedelta:
    return timedelta(days=gateway.settings.refresh_token_days)


@post("/login", operation_id="login", status_code=200)
async def login(data: LoginRequest, request: Request[Any, Any, Any], gateway: Gateway) -> TokenPair:
    try:
        session = await sessions.login(
            gateway.pool,
            data.username,
            data.password,
            ip=client_ip(request),
            policy=_policy(gateway),
            actor=actor(request),
        )
    except sessions.LoginThrottled:
        raise HTTPException(
            status_code=429,
            detail="too many failed logins; try again later",
            headers={"Retry-After": str(gateway.settings.login_window_seconds)},
        ) from None
    except sessions.LoginRefused:
        raise NotAuthorizedException("invalid username or password") from None
    return _pair(gateway, session)


@post("/refresh", operation_id="refreshToken", status_code=200)
async def refresh(data: RefreshRequest, gateway: Gateway) -> TokenPair:
    session = await sessions.refresh(gateway.pool, data.refresh_token, _refresh_ttl(gateway))
    if session is None:
        raise NotAuthorizedException("refresh token is invalid, expired or was already used")
    return _pair(gateway, session)


@post("/logout", operation_id="logout", status_code=200, guards=[guards.viewer])
async def logout(data: RefreshRequest, request: Request[Any, Any, Any], gateway: Gateway) -> dict[str, str]:
    await sessions.logout(gateway.pool, request.scope["user"], data.refresh_token, actor(request))
    return {"message": "Logged out"}


@post("/events", operation_id="recordAuthEvent", status_code=200, guards=[guards.viewer])
async def record_event(data: ClientEvent, request: Request[Any, Any, Any], gateway: Gateway) -> Success:
    """The UI reports a sign-in or sign-out it performed, for the audit trail."""
    await sessions.record_client_event(gateway.pool, data.event, request.scope["user"], actor(request))
    return Success(success=True)


@get("/me", operation_id="currentUser", guards=[guards.viewer])
async def me(request: Request[Any, Any, Any], gateway: Gateway) -> UserView:
    return user_view(await users.existing(gateway.pool, request.scope["user"].id))


router = Router(path="/auth", route_handlers=[login, refresh, logout, record_event, me], tags=["auth"])
