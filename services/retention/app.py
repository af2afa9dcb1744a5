"""Composition root of the retention service: policies over RPC; evaluation of a database after
each of its backups completes or is verified, and of every database on a periodic sweep."""

import asyncio
import logging

import msgspec

from contracts import subjects
from contracts.backups import BackupRef, BackupView
from contracts.events import BackupCompleted, BackupVerified
from contracts.retention import (
    CreatePolicy,
    ListManagedDatabases,
    ListPolicies,
    ManagedDatabases,
    PolicyRef,
    PreviewRetention,
    UpdatePolicy,
)
from libs.bus import rpc
from libs.bus.consumer import NotYet, consume
from libs.bus.rpc import ServiceUnavailable
from libs.bus.streams import EVENTS
from libs.errors import Refused
from libs.runtime import Runtime
from services.retention.evaluation import RETENTION, Evaluator
from services.retention.handlers import PolicyHandlers
from services.retention.settings import RetentionSettings as Settings

MIGRATIONS = "services.retention.migrations"
__all__ = ["MIGRATIONS", "Settings", "wire"]
log = logging.getLogger("lifeboat.retention")
_decoder = msgspec.json.Decoder(BackupCompleted | BackupVerified)


def recorded(backup: BackupView, event: BackupCompleted | BackupVerified) -> bool:
    if isinstance(event, BackupCompleted):
        return backup.status == "completed"
    return backup.verification is not None


async def wire(runtime: Runtime) -> None:
    settings = runtime.settings
    assert isinstance(settings, Settings)
    broker, pool = runtime.broker, runtime.pool
    evaluator = Evaluator(pool, broker, settings.retention_failing_window)

    def serve(operation: str, request_type: type, handler) -> None:  # type: ignore[no-untyped-def]
        rpc.serve(broker, "retention", operation, request_type, handler)

    handlers = PolicyHandlers(pool, evaluator)
    serve("create_policy", CreatePolicy, handlers.create)
    serve("list_policies", ListPolicies, handlers.list)
    serve("get_policy", PolicyRef, handlers.get)
    serve("update_policy", UpdatePolicy, handlers.update)
    serve("delete_policy", PolicyRef, handlers.delete)
    serve("preview", PreviewRetention, handlers.preview)

    async def on_backup_event(body: bytes) -> None:
        try:
            event = _decoder.decode(body)
        except msgspec.ValidationError:
            return  # other backup events change nothing retention decides on
        try:
            ref = BackupRef(actor=RETENTION, backup_id=event.backup_id)
            backup = await rpc.call(broker, "catalog", "get_backup", ref, BackupView)
        except Refused:
            return  # deleted meanwhile
        if not recorded(backup, event):
            raise NotYet(f"the catalog has not recorded backup {backup.id}'s outcome yet")
        if backup.database_id is not None:
            await evaluator.evaluate(backup.database_id)

    consume(
        broker,
        stream=EVENTS,
        subject=subjects.event("backup", "*"),
        durable="retention-backups",
        handle=on_backup_event,
    )

    async def sweep() -> None:
        while not runtime.stop.is_set():
            try:
                managed = await rpc.call(
                    broker,
                    "catalog",
                    "managed_databases",
                    ListManagedDatabases(actor=RETENTION),
                    ManagedDatabases,
                )
                for database_id in managed.database_ids:
                    await evaluator.evaluate(database_id)
            except (ServiceUnavailable, Refused, OSError) as exc:
                log.warning("retention sweep stopped early, will retry: %s", exc)
            try:
                await asyncio.wait_for(runtime.stop.wait(), settings.retention_sweep_seconds)
            except TimeoutError:
                pass

    runtime.background.append(sweep)
