"""Every route declares the least role it needs with `guards=[requires(role)]`."""

from typing import Any

from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from services.gateway.auth.tokens import InvalidToken
from services.gateway.identity import sessions
from services.gateway.state import CurrentUser, Gateway

ROLE_RANK = {"viewer": 1, "operator": 2, "admin": 3}


def _bearer(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    header = connection.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token:
        return token.strip()
    if connection.scope["type"] == ScopeType.WEBSOCKET and connection.query_params.get("token"):
        return str(connection.query_params["token"])
    raise NotAuthorizedException("missing bearer token")


async def current_user(gateway: Gateway, token: str) -> CurrentUser:
    """The caller of `token`, as the database says now."""
    try:
        claims = gateway.tokens.verify(token)
        user = await sessions.caller(gateway.pool, claims)
    except InvalidToken:
        raise NotAuthorizedException("invalid or expired token") from None
    except sessions.NotSignedIn as exc:
        raise NotAuthorizedException(str(exc)) from None
    return CurrentUser(
        id=user.id,
        username=user.username,
        role=user.role,
        token_id=claims.token_id,
        token_expires_at=claims.expires_at,
    )


async def authenticate(connection: ASGIConnection[Any, Any, Any, Any]) -> CurrentUser:
    current = await current_user(connection.app.state.gateway, _bearer(connection))
    connection.scope["user"] = current
    return current


def requires(role: str) -> Any:
    if role not in ROLE_RANK:
        raise ValueError(f"unknown role {role}")

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        user = await authenticate(connection)
        if ROLE_RANK[user.role] < ROLE_RANK[role]:
            raise PermissionDeniedException(f"this action requires the {role} role")

    guard.required_role = role  # type: ignore[attr-defined]
    return guard


viewer = requires("viewer")
operator = requires("operator")
admin = requires("admin")
