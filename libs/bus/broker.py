"""The FastStream NATS broker every service uses, with msgspec and trace propagation, and the RPC
responders (libs.bus.rpc) that run on its connection beside FastStream's own subscribers."""

import logging
from typing import Any, Protocol

from fast_depends.msgspec import MsgSpecSerializer
from faststream.nats import NatsBroker
from faststream.nats.opentelemetry import NatsTelemetryMiddleware
from nats.aio.client import Client
from opentelemetry import trace

from libs.bus.pull_timeouts import use_nats_timeouts

GRACEFUL_SECONDS = 10.0


class Responder(Protocol):
    async def start(self, connection: Client) -> None: ...

    async def stop(self, timeout: float) -> None: ...


class Broker(NatsBroker):
    """A NatsBroker that also starts its responders once connected and, when stopping, stops
    them (letting requests in hand finish) before FastStream drains and closes the connection."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._responders: list[Responder] = []

    def add_responder(self, responder: Responder) -> None:
        self._responders.append(responder)

    async def start(self) -> None:
        await super().start()
        for responder in self._responders:
            await responder.start(self.connection)

    async def stop(self, *args: Any, **kwargs: Any) -> None:
        for responder in self._responders:
            await responder.stop(GRACEFUL_SECONDS)
        await super().stop(*args, **kwargs)


def make_broker(nats_url: str, service: str) -> Broker:
    use_nats_timeouts()
    return Broker(
        nats_url,
        name=f"lifeboat-{service}",
        serializer=MsgSpecSerializer(),
        middlewares=[NatsTelemetryMiddleware(tracer_provider=trace.get_tracer_provider())],
        logger=logging.getLogger(f"lifeboat.{service}.bus"),
        log_level=logging.DEBUG,
        graceful_timeout=GRACEFUL_SECONDS,
        max_reconnect_attempts=-1,
    )
