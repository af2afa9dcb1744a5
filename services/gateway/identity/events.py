"""How the identity service records its events: in the caller's transaction, stamped as the
gateway's, caused by `actor`."""

from typing import TypeVar

import asyncpg
import msgspec

from contracts.envelope import Actor, Event
from libs.bus import outbox

PRODUCER = "gateway"

E = TypeVar("E", bound=Event)


def _stamped(event: E, actor: Actor) -> E:
    """The one place the envelope is filled in (until libs/bus stamps it from the cause)."""
    return msgspec.structs.replace(event, producer=PRODUCER, actor=actor)


async def emit(conn: asyncpg.Connection, event: Event, actor: Actor) -> None:
    await outbox.emit(conn, _stamped(event, actor))
