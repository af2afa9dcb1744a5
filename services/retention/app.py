"""Composition root of the retention service: policies over RPC; evaluation of a database after
each of its backups completes or is verified, and of every database on a periodic sweep."""

from contracts import subjects
from contracts.retention import (
    CreatePolicy,
    DeletePolicy,
    ListPolicies,
    PolicyRef,
    PreviewRetention,
    UpdatePolicy,
)
from libs.bus import rpc
from libs.bus.consumer import consume
from libs.bus.streams import EVENTS
from libs.runtime import Runtime
from services.retention.evaluation import Evaluator
from services.retention.handlers import PolicyHandlers
from services.retention.settings import RetentionSettings as Settings

MIGRATIONS = "services.retention.migrations"
__all__ = ["MIGRATIONS", "Settings", "wire"]


async def wire(runtime: Runtime) -> None:
    settings = runtime.settings
    assert isinstance(settings, Settings)
    broker, pool = runtime.broker, runtime.pool
    evaluator = Evaluator(pool, broker, settings.retention_failing_window)

    def serve(operation: str, request_type: type, handler) -> None:  # type: ignore[no-untyped-def]
        rpc.serve(broker, "retention", operation, request_type, handler)

    handlers = PolicyHandlers(pool, broker, evaluator)
    serve("create_policy", CreatePolicy, handlers.create)
    serve("list_policies", ListPolicies, handlers.list)
    serve("get_policy", PolicyRef, handlers.get)
    serve("update_policy", UpdatePolicy, handlers.update)
    serve("delete_policy", DeletePolicy, handlers.delete)
    serve("preview", PreviewRetention, handlers.preview)

    consume(
        broker,
        stream=EVENTS,
        subject=subjects.event("backup", "*"),
        durable="retention-backups",
        handle=evaluator.after_backup_event,
    )

    runtime.background.append(lambda: evaluator.sweep(runtime.stop, settings.retention_sweep_seconds))
