"""A tracer provider per process; spans are exported to stderr only when asked for.

When nothing exports them, spans are not recorded (`ALWAYS_OFF`): each one is then a bare
context, so the trace and span ids still cross NATS and reach events and log lines, but no
request pays for building span objects that no one reads."""

import os

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SimpleSpanProcessor
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ALWAYS_ON


def setup_tracing(service: str) -> TracerProvider:
    exported = os.environ.get("LIFEBOAT_TRACE_CONSOLE") == "1"
    provider = TracerProvider(
        resource=Resource.create({"service.name": f"lifeboat-{service}"}),
        sampler=ALWAYS_ON if exported else ALWAYS_OFF,
    )
    if exported:
        provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter()))
    trace.set_tracer_provider(provider)
    return provider
