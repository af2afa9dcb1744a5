"""Request/reply over core NATS with queue groups: typed requests, typed replies, refusals."""

import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import msgspec
from faststream.nats import NatsBroker, NatsMessage, NatsResponse
from nats.errors import ConnectionClosedError, NoRespondersError, OutboundBufferLimitError
from nats.errors import TimeoutError as NatsTimeoutError

from contracts import subjects
from contracts.rpc import RpcError
from libs.db import DATABASE_UNAVAILABLE
from libs.errors import Refused

log = logging.getLogger("lifeboat.rpc")

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
Req = TypeVar("Req", bound=msgspec.Struct)
Rep = TypeVar("Rep")


class ServiceUnavailable(Exception):
    def __init__(self, service: str) -> None:
        super().__init__(f"service {service} did not answer")
        self.service = service


def serve(
    broker: NatsBroker,
    service: str,
    operation: str,
    request_type: type[Req],
    handler: Callable[[Req], Awaitable[Any]],
    *,
    concurrency: int = 1,
) -> None:
    """Answer `lb.rpc.<service>.<operation>`; one member of the service's queue group replies.
    With `concurrency` > 1 that many requests are handled at once, so a slow one does not hold
    the others back."""

    @broker.subscriber(subjects.rpc(service, operation), queue=service, max_workers=concurrency)
    async def on_request(msg: NatsMessage) -> NatsResponse:
        try:
            request = msgspec.json.decode(msg.body, type=request_type)
            return NatsResponse(msgspec.json.encode(await handler(request)))
        except msgspec.ValidationError as exc:
            return _refusal(RpcError(code="VALIDATION_ERROR", detail=str(exc), status=422))
        except Refused as exc:
            return _refusal(RpcError(code=exc.code, detail=exc.detail, status=exc.status, field=exc.field))
        except ServiceUnavailable as exc:  # a service this one depends on: the caller may retry
            detail = f"the {exc.service} service is not answering; try again"
            return _refusal(RpcError(code="SERVICE_UNAVAILABLE", detail=detail, status=503))
        except DATABASE_UNAVAILABLE as exc:
            log.warning("rpc %s.%s: the database is unavailable: %r", service, operation, exc)
            return _refusal(_DATABASE_DOWN)
        except Exception:
            log.exception("rpc %s.%s failed", service, operation)
            return _refusal(RpcError(code="INTERNAL_ERROR", detail="internal error", status=500))


def _refusal(error: RpcError) -> NatsResponse:
    return NatsResponse(msgspec.json.encode(error), headers={ERROR_HEADER: "1"})


async def call(
    broker: NatsBroker,
    service: str,
    operation: str,
    request: msgspec.Struct,
    reply_type: type[Rep],
    timeout: float = 5.0,
) -> Rep:
    """Ask the owning service; raise `Refused` if it refused, `ServiceUnavailable` if none answered."""
    try:
        reply = await broker.request(
            msgspec.json.encode(request), subjects.rpc(service, operation), timeout=timeout
        )
    except _UNANSWERED:
        raise ServiceUnavailable(service) from None
    if reply.headers.get(ERROR_HEADER):
        error = msgspec.json.decode(reply.body, type=RpcError)
        raise Refused(error.status, error.code, error.detail, error.field)
    return msgspec.json.decode(reply.body, type=reply_type)


async def exists(broker: NatsBroker, service: str, operation: str, request: msgspec.Struct) -> bool:
    """Whether the owning service knows what `request` names: False if it answers 404."""
    try:
        await call(broker, service, operation, request, object)
    except Refused as exc:
        if exc.status == 404:
            return False
        raise
    return True
