"""Service lifecycle events, emitted by every service through its own outbox."""

from contracts.envelope import Event


class _System(Event, frozen=True, kw_only=True):
    context = "system"


class ServiceStarted(_System, frozen=True, kw_only=True, tag="service.started"):
    service: str
    instance: str
    version: str


class ServiceStopped(_System, frozen=True, kw_only=True, tag="service.stopped"):
    service: str
    instance: str
