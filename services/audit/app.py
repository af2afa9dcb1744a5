"""Composition root of the audit: records every event in an append-only, hash-chained log and
answers the gateway's queries over it."""

from contracts import subjects
from contracts.operations.audit import Audit
from libs.bus import rpc
from libs.bus.consumer import consume
from libs.bus.streams import EVENTS
from libs.runtime import Runtime
from services.audit.consumers import DURABLE, EventRecorder
from services.audit.handlers import LogHandlers
from services.audit.settings import AuditSettings as Settings

MIGRATIONS = "services.audit.migrations"
__all__ = ["MIGRATIONS", "Settings", "wire"]


async def wire(runtime: Runtime) -> None:
    broker = runtime.broker
    logs = LogHandlers(runtime.pool)
    # ordered: the chain is appended in the order events were published
    consume(broker, stream=EVENTS, subject=subjects.ALL_EVENTS, durable=DURABLE,
            handle=EventRecorder(runtime.pool).handle, ordered=True)
    rpc.serve(broker, Audit.list_logs, logs.list_logs)
    rpc.serve(broker, Audit.export, logs.export)
    rpc.serve(broker, Audit.actions, logs.actions)
    rpc.serve(broker, Audit.resource_types, logs.resource_types)
    rpc.serve(broker, Audit.stats, logs.stats)
    rpc.serve(broker, Audit.verify, logs.verify)
