"""Application-wide settings: one row, read by everyone, changed by admins."""

from typing import Any

import asyncpg

from contracts.envelope import Actor
from contracts.events import SettingsUpdated
from services.gateway import accounts
from services.gateway.identity.events import emit
from services.gateway.store import settings
from services.gateway.store.settings import AppSettings


async def get(db: asyncpg.Pool) -> AppSettings:
    return await settings.get(db)


async def update(db: asyncpg.Pool, wanted: dict[str, Any], actor: Actor) -> AppSettings:
    async with db.acquire() as conn, conn.transaction():
        current = await settings.get(conn, for_update=True)
        if changes := accounts.changed(current, wanted):
            current = await settings.update(conn, changes)
            await emit(conn, SettingsUpdated(changes=changes), actor)
    return current
