"""/access-requests: admins approve (creating the account) or reject what people asked for."""

from typing import Annotated, Any

import asyncpg
import msgspec
from litestar import Request, Router, get, post
from litestar.params import Parameter

from contracts.events import AccessRequestApproved, AccessRequestRejected
from contracts.events.identity import Role
from libs.bus.outbox import emit
from libs.errors import conflict, not_found
from services.gateway.auth import guards
from services.gateway.routes.fields import Note, Offset, PathId, RequestStatus
from services.gateway.state import CurrentUser, Gateway, actor
from services.gateway.store import access_requests, users
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


async def _pending(conn: asyncpg.Connection, request_id: int) -> tuple[access_requests.AccessRequest, str]:
    claimed = await access_requests.claim(conn, request_id)
    if claimed is None:
        raise not_found("access request", request_id)
    pending, password_hash = claimed
    if pending.status != "pending" or password_hash is None:
        raise conflict(f"access request {request_id} was already {pending.status}")
    return pending, password_hash


@get("/", operation_id="listAccessRequests", guards=[guards.admin])
async def list_requests(
    gateway: Gateway,
    status: RequestStatus | None = None,
    limit: Annotated[int, Parameter(ge=1, le=500)] = 50,
    offset: Offset = 0,
) -> RequestPage:
    found, total = await access_requests.list_page(gateway.pool, status=status, limit=limit, offset=offset)
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
    async with gateway.pool.acquire() as conn, conn.transaction():
        pending, password_hash = await _pending(conn, request_id)
        role = (data.role if data else None) or pending.requested_role
        await users.lock(conn)
        if field := await users.taken(conn, pending.username, pending.email):
            raise conflict(f"a user with this {field} already exists", field)
        user = await users.insert(
            conn,
            username=pending.username,
            password_hash=password_hash,
            role=role,
            email=pending.email,
            full_name=pending.full_name,
            actor=actor(request),
        )
        await access_requests.decide(conn, request_id, status="approved", decided_by=me.id)
        await emit(
            conn,
            AccessRequestApproved(
                access_request_id=request_id,
                username=user.username,
                role=role,  # type: ignore[arg-type]
                user_id=user.id,
                producer="gateway",
                actor=actor(request),
            ),
        )
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
    async with gateway.pool.acquire() as conn, conn.transaction():
        pending, _ = await _pending(conn, request_id)
        reason = data.reason if data else None
        await access_requests.decide(conn, request_id, status="rejected", decided_by=me.id, reason=reason)
        await emit(
            conn,
            AccessRequestRejected(
                access_request_id=request_id,
                username=pending.username,
                reason=reason,
                producer="gateway",
                actor=actor(request),
            ),
        )
    return Message(message="Access request rejected")


router = Router(
    path="/access-requests", tags=["access requests"], route_handlers=[list_requests, approve, reject]
)
