"""A tracer provider per process; spans are exported to stderr only when asked for."""

import os

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SimpleSpanProcessor


def setup_tracing(service: str) -> TracerProvider:
    provider = TracerProvider(resource=Resource.create({"service.name": f"lifeboat-{service}"}))
    if os.environ.get("LIFEBOAT_TRACE_CONSOLE") == "1":
        provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter()))
    trace.set_tracer_provider(provider)
    return provider
