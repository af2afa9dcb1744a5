"""Request/reply over core NATS with queue groups: typed requests, typed replies, refusals.

Both sides talk to the broker's nats-py connection directly, not through FastStream's subscriber
and request pipeline: that pipeline (middlewares, dependency injection that runs a thread-pool hop
per message, one message at a time per subscriber) cost more than the handlers it carried and made
each service answer one request at a time. What it did that matters is kept here: the caller's
trace context travels in the headers and the handler runs inside a span continuing it.

Invariants: a responder handles at most `concurrency` requests of its operation at once (more wait
in the subscription, in arrival order); every request that reaches a handler gets exactly one
reply — the handler's result or an `RpcError` refusal, never silence; a stopping broker stops
taking requests and lets those in hand finish before it closes the connection.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import msgspec
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.errors import ConnectionClosedError, NoRespondersError, OutboundBufferLimitError
from nats.errors import TimeoutError as NatsTimeoutError
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind

from contracts.operations import Operation
from contracts.rpc import RpcError
from libs.bus.broker import Broker
from libs.db import DATABASE_UNAVAILABLE
from libs.errors import Refused

log = logging.getLogger("lifeboat.rpc")
tracer = trace.get_tracer("lifeboat.rpc")

ERROR_HEADER = "lb-error"
# Every way a request can go unanswered: nobody listens, nobody answered in time, or NATS is away.
_UNANSWERED = (
    TimeoutError,
    NatsTimeoutError,
    NoRespondersError,
    ConnectionClosedError,
    OutboundBufferLimitError,
)
_DATABASE_DOWN = RpcError(
    code="DATABASE_UNAVAILABLE", detail="the database is not answering; try again", status=503
)
# Requests one responder handles at once; the catalog's pool has 10 connections, so more would
# only queue there.
DEFAULT_CONCURRENCY = 16
Req = TypeVar("Req", bound=msgspec.Struct)
Rep = TypeVar("Rep")
T = TypeVar("T")


class ServiceUnavailable(Exception):
    def __init__(self, service: str) -> None:
        super().__init__(f"service {service} did not answer")
        self.service = service


class Responder:
    """One operation's subscription in its service's queue group, answering concurrently."""

    def __init__(
        self, operation: Operation[Any, Any], handler: Callable[[Any], Awaitable[Any]], concurrency: int
    ) -> None:
        if concurrency < 1:
            raise ValueError(f"concurrency of {operation} must be at least 1")
        self.service, self.operation = operation.service, operation.name
        self.subject = operation.subject
        self.request_type, self.handler = operation.request, handler
        self._slots = asyncio.Semaphore(concurrency)
        self._in_hand: set[asyncio.Task[None]] = set()
        self._subscription: Subscription | None = None
        self._connection: Client | None = None

    async def start(self, connection: Client) -> None:
        self._connection = connection
        self._subscription = await connection.subscribe(self.subject, queue=self.service, cb=self._take)

    async def stop(self, timeout: float) -> None:
        if self._subscription is not None:
            await self._subscription.unsubscribe()
            self._subscription = None
        if self._in_hand:
            await asyncio.wait(self._in_hand, timeout=timeout)

    async def _take(self, msg: Msg) -> None:
        # Waiting for a slot here holds the next message in the subscription: back-pressure.
        await self._slots.acquire()
        task = asyncio.create_task(self._answer(msg))
        self._in_hand.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._in_hand.discard(task)
        self._slots.release()

    async def _answer(self, msg: Msg) -> None:
        context = propagate.extract(msg.headers or {})
        with tracer.start_as_current_span(f"{self.subject} process", context=context, kind=SpanKind.SERVER):
            body, headers = await self._reply_to(msg.data)
        if not msg.reply or self._connection is None:
            return
        try:
            await self._connection.publish(msg.reply, body, headers=headers)
        except Exception:  # the caller times out and answers 503
            log.warning("rpc %s.%s: reply not sent", self.service, self.operation, exc_info=True)

    async def _reply_to(self, data: bytes) -> tuple[bytes, dict[str, str] | None]:
        try:
            request = msgspec.json.decode(data, type=self.request_type)
            return msgspec.json.encode(await self.handler(request)), None
        except msgspec.ValidationError as exc:
            return _refusal(RpcError(code="VALIDATION_ERROR", detail=str(exc), status=422))
        except Refused as exc:
            return _refusal(RpcError(code=exc.code, detail=exc.detail, status=exc.status, field=exc.field))
        except ServiceUnavailable as exc:  # a service this one depends on: the caller may retry
            detail = f"the {exc.service} service is not answering; try again"
            return _refusal(RpcError(code="SERVICE_UNAVAILABLE", detail=detail, status=503))
        except DATABASE_UNAVAILABLE as exc:
            log.warning("rpc %s.%s: the database is unavailable: %r", self.service, self.operation, exc)
            return _refusal(_DATABASE_DOWN)
        except Exception:
            log.exception("rpc %s.%s failed", self.service, self.operation)
            return _refusal(RpcError(code="INTERNAL_ERROR", detail="internal error", status=500))


def serve(
    broker: Broker,
    operation: Operation[Req, Rep],
    handler: Callable[[Req], Awaitable[Rep]],
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> None:
    """Answer `operation` from when the broker starts; one member of the operation's service's
    queue group replies to each request."""
    broker.add_responder(Responder(operation, handler, concurrency))


def _refusal(error: RpcError) -> tuple[bytes, dict[str, str]]:
    return msgspec.json.encode(error), {ERROR_HEADER: "1"}


async def call(broker: Broker, operation: Operation[Req, Rep], request: Req, *, timeout: float = 5.0) -> Rep:
    """Ask the owning service; raise `Refused` if it refused, `ServiceUnavailable` if none answered."""
    return await call_as(broker, operation, request, operation.reply, timeout=timeout)


async def call_as(
    broker: Broker, operation: Operation[Req, Any], request: Req, reply_type: type[T], *, timeout: float = 5.0
) -> T:
    """`call`, with the reply decoded as `reply_type`: a type of the same JSON shape as the
    operation's reply (e.g. a page whose items stay encoded), or `object` to skip decoding."""
    subject = operation.subject
    headers: dict[str, str] = {}
    with tracer.start_as_current_span(f"{subject} send", kind=SpanKind.CLIENT):
        propagate.inject(headers)
        try:
            reply = await broker.connection.request(
                subject, msgspec.json.encode(request), timeout=timeout, headers=headers or None
            )
        except _UNANSWERED:
            raise ServiceUnavailable(operation.service) from None
    if reply.headers and reply.headers.get(ERROR_HEADER):
        error = msgspec.json.decode(reply.data, type=RpcError)
        raise Refused(error.status, error.code, error.detail, error.field)
    return msgspec.json.decode(reply.data, type=reply_type)


async def exists(
    broker: Broker, operation: Operation[Req, Any], request: Req, *, timeout: float = 5.0
) -> bool:
    """Whether the owning service knows what `request` names: False if it answers 404."""
    try:
        await call_as(broker, operation, request, object, timeout=timeout)
    except Refused as exc:
        if exc.status == 404:
            return False
        raise
    return True
