"""Composition root of the retention service: policies and previews over RPC; evaluation of a
database after each of its backups completes or is verified, and of every database on a
periodic sweep."""

from contracts import subjects
from contracts.operations.retention import Retention
from libs.bus import rpc
from libs.bus.consumer import consume
from libs.bus.streams import EVENTS
from libs.runtime import Runtime
from services.retention.consumers import BackupOutcomes
from services.retention.evaluation import Evaluator
from services.retention.handlers.policies import PolicyHandlers
from services.retention.handlers.preview import PreviewHandlers
from services.retention.settings import Settings

MIGRATIONS = "services.retention.migrations"
__all__ = ["MIGRATIONS", "Settings", "wire"]


async def wire(runtime: Runtime) -> None:
    settings = runtime.settings
    assert isinstance(settings, Settings)
    broker, pool, outbox = runtime.broker, runtime.pool, runtime.outbox
    evaluator = Evaluator(pool, broker, outbox, settings.retention_failing_window)

    policies = PolicyHandlers(pool, broker, outbox)
    rpc.serve(broker, Retention.create_policy, policies.create)
    rpc.serve(broker, Retention.list_policies, policies.list)
    rpc.serve(broker, Retention.get_policy, policies.get)
    rpc.serve(broker, Retention.update_policy, policies.update)
    rpc.serve(broker, Retention.delete_policy, policies.delete)
    rpc.serve(broker, Retention.preview, PreviewHandlers(pool, evaluator).preview)

    outcomes = BackupOutcomes(broker, evaluator).handle
    backup = subjects.event("backup", "*")
    consume(broker, stream=EVENTS, subject=backup, durable="retention-backups", handle=outcomes)

    runtime.background.append(lambda: evaluator.sweep(runtime.stop, settings.retention_sweep_seconds))
