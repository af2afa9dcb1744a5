import logging

import msgspec

from contracts.envelope import Envelope

log = logging.getLogger("lifeboat.scheduler")


async def on_event(body: bytes) -> None:
    """Catalog changes (a deleted server, a new database) will reshape schedules."""
    event = msgspec.json.decode(body, type=Envelope)
    log.debug("event seen", extra={"event_type": event.type, "event_id": event.id})
