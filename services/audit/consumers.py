"""The audit's one consumer: every event on the EVENTS stream becomes one record of the chain."""

import asyncpg

from libs.bus.consumer import apply_once
from services.audit import domain, store

DURABLE = "audit"


class EventRecorder:
    """Records each event exactly once: the append and the processed mark share a transaction."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def handle(self, body: bytes) -> None:
        record = domain.record_from_event(body)

        async def effect(conn: asyncpg.Connection) -> None:
            await store.append(conn, record)

        await apply_once(self.pool, DURABLE, record.event_id, effect)
