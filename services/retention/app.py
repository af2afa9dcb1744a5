"""Composition root of the retention service: policies over RPC; evaluation of a database after
each of its backups completes or is verified, and of every database on a periodic sweep."""

from contracts import subjects
from contracts.operations.retention import Retention
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

    handlers = PolicyHandlers(pool, broker, evaluator)
    rpc.serve(broker, Retention.create_policy, handlers.create)
    rpc.serve(broker, Retention.list_policies, handlers.list)
    rpc.serve(broker, Retention.get_policy, handlers.get)
    rpc.serve(broker, Retention.update_policy, handlers.update)
    rpc.serve(broker, Retention.delete_policy, handlers.delete)
    rpc.serve(broker, Retention.preview, handlers.preview)

    consume(
        broker,
        stream=EVENTS,
        subject=subjects.event("backup", "*"),
        durable="retention-backups",
        handle=evaluator.after_backup_event,
    )

    runtime.background.append(lambda: evaluator.sweep(runtime.stop, settings.retention_sweep_seconds))
