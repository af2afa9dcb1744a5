"""How the identity service records its events: through the gateway's outbox, in the caller's
transaction, caused by `actor` (a user calling over HTTP, or the command provisioning)."""

import asyncpg

from contracts.envelope import Actor, Event
from libs.bus.outbox import Outbox

_OUTBOX = Outbox("gateway")


async def emit(conn: asyncpg.Connection, event: Event, actor: Actor) -> None:
    await _OUTBOX.emit(conn, event, cause=actor)
