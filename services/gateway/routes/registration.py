"""/auth/register: anyone may ask for an account, when an admin has enabled access requests."""

from typing import Any

import msgspec
from litestar import Request, Router, post

from contracts.events.identity import Role
from services.gateway.identity import registration
from services.gateway.routes.fields import Email, FullName, Note, Password, Username
from services.gateway.state import Gateway, actor
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
    created = await registration.register(
        gateway.pool,
        username=data.username,
        password=data.password,
        email=data.email,
        full_name=data.full_name,
        requested_role=data.requested_role,
        message=data.message,
        actor=actor(request),
    )
    return Submitted(message="Access request submitted", request=access_request_view(created))


router = Router(path="/auth", tags=["auth"], route_handlers=[register])
