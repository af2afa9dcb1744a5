"""Access requests: people ask for an account (see `registration`); an admin approves one,
creating the account with the password its requester chose, or rejects it."""

import asyncpg

from contracts.envelope import Actor
from contracts.events import AccessRequestApproved, AccessRequestRejected
from libs.errors import conflict, not_found
from services.gateway.identity.events import emit
from services.gateway.identity.users import insert as insert_user
from services.gateway.store import access_requests, users
from services.gateway.store.access_requests import AccessRequest
from services.gateway.store.users import User


async def page(
    db: asyncpg.Pool, *, status: str | None, limit: int, offset: int
) -> tuple[list[AccessRequest], int]:
    return await access_requests.list_page(db, status=status, limit=limit, offset=offset)


async def _pending(conn: asyncpg.Connection, request_id: int) -> tuple[AccessRequest, str]:
    """The request, still pending, and its password hash; locked until the transaction ends."""
    claimed = await access_requests.claim(conn, request_id)
    if claimed is None:
        raise not_found("access request", request_id)
    pending, password_hash = claimed
    if pending.status != "pending" or password_hash is None:
        raise conflict(f"access request {request_id} was already {pending.status}")
    return pending, password_hash


async def approve(db: asyncpg.Pool, request_id: int, role: str | None, *, me_id: int, actor: Actor) -> User:
    """Create the requested account, with `role` or else the role asked for."""
    async with db.acquire() as conn, conn.transaction():
        pending, password_hash = await _pending(conn, request_id)
        role = role or pending.requested_role
        await users.lock(conn)
        if field := await users.taken(conn, pending.username, pending.email):
            raise conflict(f"a user with this {field} already exists", field)
        user = await insert_user(
            conn,
            username=pending.username,
            password_hash=password_hash,
            role=role,
            email=pending.email,
            full_name=pending.full_name,
            actor=actor,
        )
        await access_requests.decide(conn, request_id, status="approved", decided_by=me_id)
        approved = AccessRequestApproved(
            access_request_id=request_id,
            username=user.username,
            role=role,  # type: ignore[arg-type]
            user_id=user.id,
        )
        await emit(conn, approved, actor)
    return user


async def reject(db: asyncpg.Pool, request_id: int, reason: str | None, *, me_id: int, actor: Actor) -> None:
    async with db.acquire() as conn, conn.transaction():
        pending, _ = await _pending(conn, request_id)
        await access_requests.decide(conn, request_id, status="rejected", decided_by=me_id, reason=reason)
        rejected = AccessRequestRejected(
            access_request_id=request_id, username=pending.username, reason=reason
        )
        await emit(conn, rejected, actor)
