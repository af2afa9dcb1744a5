"""Structured JSON logs and OpenTelemetry tracing, set up once per process."""

from libs.telemetry.logs import JsonFormatter, setup_logging
from libs.telemetry.traces import setup_tracing

__all__ = ["JsonFormatter", "setup_logging", "setup_tracing"]
