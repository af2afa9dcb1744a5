"""/access-requests: admins approve (creating the account) or reject what people asked for."""

from typing import Annotated, Any

import msgspec
from litestar import Request, Router, get, post
from litestar.params import Parameter

from contracts.events.identity import Role
from services.gateway.auth import guards
from services.gateway.identity import access_requests
from services.gateway.routes.fields import Note, Offset, PathId, RequestStatus
from services.gateway.state import CurrentUser, Gateway, actor
from services.gateway.views import AccessRequestView, Message, access_request_view


class Approval(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    role: Role | None = None


class Rejection(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    reason: Note | None = None


class RequestPage(msgspec.Struct, frozen=True):
    requests: list[AccessRequestView]
    total: int


class ApprovedUser(msgspec.Struct, frozen=True):
    id: int
    username: str
    email: str | None
    role: str


class Approved(msgspec.Struct, frozen=True):
    message: str
    user: ApprovedUser


@get("/", operation_id="listAccessRequests", guards=[guards.admin])
async def list_requests(
    gateway: Gateway,
    status: RequestStatus | None = None,
    limit: Annotated[int, Parameter(ge=1, le=500)] = 50,
    offset: Offset = 0,
) -> RequestPage:
    found, total = await access_requests.page(gateway.pool, status=status, limit=limit, offset=offset)
    return RequestPage(requests=[access_request_view(r) for r in found], total=total)


@post(
    "/{request_id:int}/approve", operation_id="approveAccessRequest", guards=[guards.admin], status_code=200
)
async def approve(
    request_id: PathId,
    request: Request[Any, Any, Any],
    gateway: Gateway,
    data: Approval | None = None,
) -> Approved:
    me: CurrentUser = request.scope["user"]
    role = data.role if data else None
    user = await access_requests.approve(gateway.pool, request_id, role, me_id=me.id, actor=actor(request))
    return Approved(
        message="Access request approved",
        user=ApprovedUser(id=user.id, username=user.username, email=user.email, role=user.role),
    )


@post("/{request_id:int}/reject", operation_id="rejectAccessRequest", guards=[guards.admin], status_code=200)
async def reject(
    request_id: PathId,
    request: Request[Any, Any, Any],
    gateway: Gateway,
    data: Rejection | None = None,
) -> Message:
    me: CurrentUser = request.scope["user"]
    reason = data.reason if data else None
    await access_requests.reject(gateway.pool, request_id, reason, me_id=me.id, actor=actor(request))
    return Message(message="Access request rejected")


router = Router(
    path="/access-requests", tags=["access requests"], route_handlers=[list_requests, approve, reject]
)
