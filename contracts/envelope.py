"""The envelope every event carries, and the base all events derive from."""

import uuid
from datetime import UTC, datetime
from typing import ClassVar

import msgspec

from contracts import subjects


class Actor(msgspec.Struct, frozen=True, kw_only=True):
    """Who caused an event: a user (with the address they called from) or a service."""

    user_id: int | None = None
    username: str | None = None
    ip_address: str | None = None
    service: str | None = None


SYSTEM = Actor(service="system")


def new_event_id() -> str:
    return str(uuid.uuid4())


def utc_now() -> datetime:
    return datetime.now(UTC)


class Event(msgspec.Struct, frozen=True, kw_only=True, tag_field="type"):
    """Base of every domain event. Subclasses set `context` (the owning service) and a `tag`
    of the form `<resource>.<verb>`, e.g. `server.created`.

    Events evolve by adding fields with defaults; a breaking change is a new class with `event_version = 2`.
    """

    context: ClassVar[str]
    event_version: ClassVar[int] = 1

    id: str = msgspec.field(default_factory=new_event_id)
    occurred_at: datetime = msgspec.field(default_factory=utc_now)
    correlation_id: str | None = None
    causation_id: str | None = None
    producer: str = ""
    actor: Actor = SYSTEM

    @classmethod
    def type_name(cls) -> str:
        return str(cls.__struct_config__.tag)

    @classmethod
    def subject(cls) -> str:
        return subjects.event(cls.context, cls.type_name().replace(".", "_"), cls.event_version)


class Envelope(msgspec.Struct, frozen=True, kw_only=True):
    """The envelope of any event, for consumers that act on events they do not know the type of."""

    type: str
    id: str
    occurred_at: datetime
    correlation_id: str | None = None
    causation_id: str | None = None
    producer: str = ""
    actor: Actor = SYSTEM
