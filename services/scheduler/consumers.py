"""What the scheduler follows of other services' events: schedules follow the catalog (a deleted
server or database takes its schedules with it), and the schedule log follows each fire's
backups to their end (the catalog's and the executors' events)."""

import asyncpg
import msgspec

from contracts.events import (
    BackupCancelled,
    BackupCompleted,
    BackupFailed,
    DatabaseDeleted,
    FireHandled,
    ServerDeleted,
)
from libs.bus.consumer import apply_once
from services.scheduler import domain
from services.scheduler.store import fires, schedules

Outcome = FireHandled | BackupCompleted | BackupFailed | BackupCancelled
_deletions = msgspec.json.Decoder(ServerDeleted | DatabaseDeleted)
_outcomes = msgspec.json.Decoder(Outcome)


class CatalogDeletions:
    """A deleted server or database takes its schedules with it."""

    consumer = "scheduler"

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def handle(self, body: bytes) -> None:
        try:
            event = _deletions.decode(body)
        except msgspec.ValidationError:
            return

        async def effect(conn: asyncpg.Connection) -> None:
            if isinstance(event, ServerDeleted):
                await schedules.delete_for_server(conn, event.server_id)
            else:
                await schedules.delete_for_database(conn, event.database_id)

        await apply_once(self.pool, self.consumer, event.id, effect)


class FireLog:
    """The schedule log (004's BackupScheduleLog): the backups the catalog created for each fire,
    and what became of them."""

    consumer = "scheduler-fires"

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def handle(self, body: bytes) -> None:
        try:
            event = _outcomes.decode(body)
        except msgspec.ValidationError:
            return  # an event the log does not follow

        async def effect(conn: asyncpg.Connection) -> None:
            match event:
                case FireHandled():
                    await self._handled(conn, event)
                case BackupCompleted():
                    await self._finished(conn, event.backup_id, "completed", event.size_bytes, None)
                case BackupFailed():
                    await self._finished(
                        conn, event.backup_id, "failed", None, f"{event.cause}: {event.error}"
                    )
                case BackupCancelled():
                    await self._finished(conn, event.backup_id, "cancelled", None, None)

        await apply_once(self.pool, self.consumer, event.id, effect)

    async def _handled(self, conn: asyncpg.Connection, event: FireHandled) -> None:
        await fires.add_backups(conn, event.fire_id, event.backup_ids)
        if not event.backup_ids:
            status = "cancelled" if event.skipped else "failed"
            line = f"skipped: {event.reason}" if event.skipped else f"no backup requested: {event.reason}"
            await fires.close_fire(conn, event.fire_id, status, event.reason, line)
            return
        lines = [f"backup {backup_id} requested" for backup_id in event.backup_ids]
        await fires.append_logs(conn, event.fire_id, lines)

    async def _finished(
        self, conn: asyncpg.Connection, backup_id: int, status: str, size: int | None, error: str | None
    ) -> None:
        fire_id = await fires.fire_of_backup(conn, backup_id)
        if fire_id is None:
            return  # not a scheduled backup
        # Backups of one fire finish concurrently: one at a time decides the fire's outcome.
        await fires.lock_fire(conn, fire_id)
        await fires.finish_backup(conn, backup_id, status, size, error)
        line = f"backup {backup_id} {status}" + (f": {error}" if error else "")
        outcome = domain.fire_status(await fires.backup_statuses(conn, fire_id))
        await fires.record_outcome(conn, fire_id, line, outcome, error)
