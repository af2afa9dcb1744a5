"""A server span per HTTP request, continuing the caller's `traceparent`, so that the trace
crosses into the services the request reaches over NATS (FastStream propagates it from there)."""

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind

tracer = trace.get_tracer("lifeboat.gateway")


def trace_requests(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        name = f"{scope['method']} {scope['path']}"
        with tracer.start_as_current_span(name, context=propagate.extract(headers), kind=SpanKind.SERVER):
            await app(scope, receive, send)

    return middleware
