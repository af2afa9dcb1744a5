import logging

import msgspec

from contracts.envelope import Envelope

log = logging.getLogger("lifeboat.notifier")


async def on_event(body: bytes) -> None:
    """Every event is matched against notification rules."""
    event = msgspec.json.decode(body, type=Envelope)
    log.debug("event seen", extra={"event_type": event.type, "event_id": event.id})
