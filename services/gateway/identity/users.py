"""Accounts: created by an admin, by approving an access request, or once at first start;
changed and deleted by admins within the last-admin rules; preferences changed by their owner."""

import secrets
from typing import Any

import asyncpg
import msgspec

from contracts.envelope import Actor
from contracts.events import PreferencesUpdated, UserCreated, UserDeleted, UserUpdated
from libs.errors import conflict, not_found
from services.gateway import accounts
from services.gateway.auth.passwords import hash_password
from services.gateway.identity.events import emit
from services.gateway.store import sessions, users
from services.gateway.store.users import User


class FirstAdmin(msgspec.Struct, frozen=True):
    username: str
    generated_password: str | None  # None when the password was chosen by whoever provisions


async def existing(db: asyncpg.Pool | asyncpg.Connection, user_id: int) -> User:
    user = await users.get(db, user_id)
    if user is None:
        raise not_found("user", user_id)
    return user


async def page(
    db: asyncpg.Pool,
    *,
    role: str | None,
    status: str | None,
    search: str | None,
    limit: int,
    offset: int,
) -> tuple[list[User], int]:
    return await users.list_page(db, role=role, status=status, search=search, limit=limit, offset=offset)


async def insert(
    conn: asyncpg.Connection,
    *,
    username: str,
    password_hash: str,
    role: str,
    actor: Actor,
    email: str | None = None,
    full_name: str | None = None,
) -> User:
    """Insert a user and emit `user.created` in the caller's transaction (which holds the users
    lock and has checked that the username and email are free)."""
    user = await users.insert(
        conn, username=username, password_hash=password_hash, role=role, email=email, full_name=full_name
    )
    created = UserCreated(
        user_id=user.id,
        username=user.username,
        role=user.role,  # type: ignore[arg-type]
        email=email,
        full_name=full_name,
    )
    await emit(conn, created, actor)
    return user


async def create(
    db: asyncpg.Pool,
    *,
    username: str,
    password: str,
    role: str,
    actor: Actor,
    email: str | None = None,
    full_name: str | None = None,
) -> User:
    password_hash = hash_password(password)  # slow on purpose: before the lock, not under it
    async with db.acquire() as conn, conn.transaction():
        await users.lock(conn)
        if field := await users.taken(conn, username, email):
            raise conflict(f"a user with this {field} already exists", field)
        return await insert(
            conn,
            username=username,
            password_hash=password_hash,
            role=role,
            email=email,
            full_name=full_name,
            actor=actor,
        )


async def create_first_admin(
    db: asyncpg.Pool, username: str, password: str, actor: Actor
) -> FirstAdmin | None:
    """The first admin, when there are no users yet; there is no default password, so without
    one a random password is generated (and returned, to be shown once)."""
    async with db.acquire() as conn, conn.transaction():
        await users.lock(conn)
        if await users.count(conn):
            return None
        generated = None if password else secrets.token_urlsafe(18)
        name = username or "admin"
        password_hash = hash_password(password or generated or "")
        await insert(conn, username=name, password_hash=password_hash, role="admin", actor=actor)
        return FirstAdmin(name, generated)


async def update(db: asyncpg.Pool, user_id: int, wanted: dict[str, Any], *, me_id: int, actor: Actor) -> User:
    """Apply the fields an admin sent (`is_active`, `password` as the API names them). A new
    password or a disabled account ends the user's sessions."""
    wanted = dict(wanted)
    if "password" in wanted:
        wanted["password_hash"] = hash_password(wanted.pop("password"))
    async with db.acquire() as conn, conn.transaction():
        await users.lock(conn)
        user = await existing(conn, user_id)
        changes = accounts.user_changes(user, wanted)
        if refusal := accounts.update_refusal(me_id, user, changes, await users.active_admins(conn)):
            raise conflict(refusal)
        if changes.get("email") and await users.taken(conn, None, changes["email"], user_id):
            raise conflict("a user with this email already exists", "email")
        if changes:
            user = await users.update(conn, user_id, changes)
            updated = UserUpdated(
                user_id=user.id, username=user.username, changes=accounts.changed_fields(changes)
            )
            await emit(conn, updated, actor)
        if "password_hash" in changes or changes.get("status") == "disabled":
            await sessions.revoke_user(conn, user_id)
    return user


async def delete(db: asyncpg.Pool, user_id: int, *, me_id: int, actor: Actor) -> User:
    """Delete a user (never oneself, never the last active admin); the user as it was."""
    async with db.acquire() as conn, conn.transaction():
        await users.lock(conn)
        user = await existing(conn, user_id)
        if refusal := accounts.deletion_refusal(me_id, user, await users.active_admins(conn)):
            raise conflict(refusal)
        await users.delete(conn, user_id)
        deleted = UserDeleted(
            user_id=user.id,
            username=user.username,
            role=user.role,  # type: ignore[arg-type]
        )
        await emit(conn, deleted, actor)
    return user


async def update_preferences(db: asyncpg.Pool, user_id: int, wanted: dict[str, Any], actor: Actor) -> User:
    async with db.acquire() as conn, conn.transaction():
        user = await existing(conn, user_id)
        if changes := accounts.changed(user, wanted):
            user = await users.update(conn, user.id, changes)
            updated = PreferencesUpdated(user_id=user.id, username=user.username, changes=changes)
            await emit(conn, updated, actor)
    return user
