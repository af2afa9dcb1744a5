import logging

import msgspec

from contracts.envelope import Envelope

log = logging.getLogger("lifeboat.retention")


async def on_event(body: bytes) -> None:
    """Completed backups will trigger a re-evaluation of their database's policy."""
    event = msgspec.json.decode(body, type=Envelope)
    log.debug("event seen", extra={"event_type": event.type, "event_id": event.id})
