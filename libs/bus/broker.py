"""The FastStream NATS broker every service uses, with msgspec and trace propagation."""

import logging

from fast_depends.msgspec import MsgSpecSerializer
from faststream.nats import NatsBroker
from faststream.nats.opentelemetry import NatsTelemetryMiddleware
from opentelemetry import trace


def make_broker(nats_url: str, service: str) -> NatsBroker:
    return NatsBroker(
        nats_url,
        name=f"lifeboat-{service}",
        serializer=MsgSpecSerializer(),
        middlewares=[NatsTelemetryMiddleware(tracer_provider=trace.get_tracer_provider())],
        logger=logging.getLogger(f"lifeboat.{service}.bus"),
        log_level=logging.DEBUG,
        graceful_timeout=10.0,
        max_reconnect_attempts=-1,
    )
