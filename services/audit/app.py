"""Composition root of the audit: records every event in an append-only, hash-chained log and
answers the gateway's queries over it."""

from contracts import subjects
from contracts.operations.audit import Audit
from libs.bus import rpc
from libs.bus.consumer import consume
from libs.bus.streams import EVENTS
from libs.config import ServiceSettings as Settings
from libs.runtime import Runtime
from services.audit.handlers import CONSUMER, AuditHandlers

MIGRATIONS = "services.audit.migrations"
__all__ = ["MIGRATIONS", "Settings", "wire"]


async def wire(runtime: Runtime) -> None:
    handlers = AuditHandlers(runtime.pool)
    broker = runtime.broker
    consume(broker, stream=EVENTS, subject=subjects.ALL_EVENTS, durable=CONSUMER,
            handle=handlers.on_event)
    rpc.serve(broker, Audit.list_logs, handlers.list_logs)
    rpc.serve(broker, Audit.export, handlers.export)
    rpc.serve(broker, Audit.actions, handlers.actions)
    rpc.serve(broker, Audit.resource_types, handlers.resource_types)
    rpc.serve(broker, Audit.stats, handlers.stats)
    rpc.serve(broker, Audit.verify, handlers.verify)
