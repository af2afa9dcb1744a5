"""Composition root of the audit: records every event in an append-only, hash-chained log and
answers the gateway's queries over it."""

from contracts import subjects
from contracts.audit import (
    ExportLogs,
    ListActions,
    ListLogs,
    ListResourceTypes,
    StatsQuery,
    VerifyChain,
)
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
    rpc.serve(broker, "audit", "list_logs", ListLogs, handlers.list_logs)
    rpc.serve(broker, "audit", "export", ExportLogs, handlers.export)
    rpc.serve(broker, "audit", "actions", ListActions, handlers.actions)
    rpc.serve(broker, "audit", "resource_types", ListResourceTypes, handlers.resource_types)
    rpc.serve(broker, "audit", "stats", StatsQuery, handlers.stats)
    rpc.serve(broker, "audit", "verify", VerifyChain, handlers.verify)
