"""Schedules follow the catalog: a deleted server or database takes its schedules with it."""

import asyncpg
import msgspec

from contracts.events import DatabaseDeleted, ServerDeleted
from libs.bus.consumer import apply_once

CONSUMER = "scheduler"
_decoder = msgspec.json.Decoder(ServerDeleted | DatabaseDeleted)


class CatalogEvents:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def handle(self, body: bytes) -> None:
        try:
            event = _decoder.decode(body)
        except msgspec.ValidationError:
            return

        async def effect(conn: asyncpg.Connection) -> None:
            if isinstance(event, ServerDeleted):
                await conn.execute("DELETE FROM schedules WHERE server_id = $1", event.server_id)
            else:
                await conn.execute(
                    "DELETE FROM schedules WHERE owned_by_database = $1 OR database_id = $1",
                    event.database_id,
                )

        await apply_once(self.pool, CONSUMER, event.id, effect)
