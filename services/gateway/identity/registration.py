"""Registration: anyone may ask for an account, when an admin has enabled access requests."""

import asyncpg

from contracts.envelope import Actor
from contracts.events import AccessRequestCreated
from contracts.events.identity import Role
from libs.errors import Refused, conflict
from services.gateway.auth.passwords import hash_password
from services.gateway.identity.events import emit
from services.gateway.store import access_requests, settings, users
from services.gateway.store.access_requests import AccessRequest


async def register(
    db: asyncpg.Pool,
    *,
    username: str,
    password: str,
    requested_role: Role,
    actor: Actor,
    email: str | None = None,
    full_name: str | None = None,
    message: str | None = None,
) -> AccessRequest:
    """The new pending access request; its password is kept (hashed) until an admin decides."""
    if not (await settings.get(db)).access_requests_enabled:
        raise Refused(403, "ACCESS_REQUESTS_DISABLED", "access requests are disabled")
    password_hash = hash_password(password)
    async with db.acquire() as conn, conn.transaction():
        if await users.taken(conn, username, None):
            raise conflict("this username is already taken", "username")
        created = await access_requests.insert(
            conn,
            username=username,
            email=email,
            full_name=full_name,
            password_hash=password_hash,
            requested_role=requested_role,
            message=message,
        )
        if created is None:
            raise conflict("an access request for this username is already pending", "username")
        submitted = AccessRequestCreated(
            access_request_id=created.id, username=created.username, requested_role=requested_role
        )
        await emit(conn, submitted, actor)
    return created
