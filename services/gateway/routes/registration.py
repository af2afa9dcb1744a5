"""/auth/register: anyone may ask for an account, when an admin has enabled access requests."""

from typing import Any

import msgspec
from litestar import Request, Router, post

from contracts.events import AccessRequestCreated
from contracts.events.identity import Role
from libs.bus.outbox import emit
from libs.errors import Refused, conflict
from services.gateway.auth.passwords import hash_password
from services.gateway.routes.fields import Email, FullName, Note, Password, Username
from services.gateway.state import Gateway, actor
from services.gateway.store import access_requests, settings, users
from services.gateway.views import AccessRequestView, access_request_view


class Registration(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    username: Username
    password: Password
    email: Email | None = None
    full_name: FullName | None = None
    requested_role: Role = "viewer"
    message: Note | None = None


class Submitted(msgspec.Struct, frozen=True):
    message: str
    request: AccessRequestView


@post("/register", operation_id="register", security=[])
async def register(data: Registration, request: Request[Any, Any, Any], gateway: Gateway) -> Submitted:
    if not (await settings.get(gateway.pool)).access_requests_enabled:
        raise Refused(403, "ACCESS_REQUESTS_DISABLED", "access requests are disabled")
    password_hash = hash_password(data.password)
    async with gateway.pool.acquire() as conn, conn.transaction():
        if await users.taken(conn, data.username, None):
            raise conflict("this username is already taken", "username")
        created = await access_requests.insert(
            conn,
            username=data.username,
            email=data.email,
            full_name=data.full_name,
            password_hash=password_hash,
            requested_role=data.requested_role,
            message=data.message,
        )
        if created is None:
            raise conflict("an access request for this username is already pending", "username")
        await emit(
            conn,
            AccessRequestCreated(
                access_request_id=created.id,
                username=created.username,
                requested_role=data.requested_role,
                producer="gateway",
                actor=actor(request),
            ),
        )
    return Submitted(message="Access request submitted", request=access_request_view(created))


router = Router(path="/auth", tags=["auth"], route_handlers=[register])
