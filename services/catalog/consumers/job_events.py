"""The catalog records what executors report: started, completed, failed, verified.

Each event is applied once (processed-event ids in the same transaction) and only when it
comes from the attempt that holds the job now (its `fence` equals the record's): a stale
executor that finishes late cannot overwrite the outcome of the attempt that replaced it.
"""

import logging
from typing import Any

import asyncpg
import msgspec

from contracts.events import (
    BackupCompleted,
    BackupFailed,
    BackupStarted,
    BackupVerified,
    RestoreCompleted,
    RestoreFailed,
    RestoreStarted,
)
from libs.bus.consumer import apply_once
from libs.crypto.manifest import manifest_key
from libs.storage.destinations import Destinations
from services.catalog.domain.backups import ACTIVE
from services.catalog.store import backups as backup_store
from services.catalog.store import restores as restore_store
from services.catalog.store.rows import BackupRow

log = logging.getLogger("lifeboat.catalog.jobs")
Reported = (
    BackupStarted
    | BackupCompleted
    | BackupFailed
    | BackupVerified
    | RestoreStarted
    | RestoreCompleted
    | RestoreFailed
)
_decoder = msgspec.json.Decoder(Reported)


class JobEvents:
    durable = "catalog-jobs"  # the durable consumer, and what its processed events are kept under

    def __init__(self, pool: asyncpg.Pool, destinations: Destinations) -> None:
        self.pool = pool
        self.destinations = destinations

    async def handle(self, body: bytes) -> None:
        try:
            event = _decoder.decode(body)
        except msgspec.ValidationError:
            return  # requested/cancelled/deleted: the catalog's own events
        orphans: list[tuple[str, str]] = []  # (destination, key) of artifacts nobody wants

        async def effect(conn: asyncpg.Connection) -> None:
            match event:
                case BackupCompleted():
                    if not await self._backup_completed(conn, event):
                        orphans.append((event.destination, event.storage_key))
                case BackupFailed():
                    await self._backup_failed(conn, event)
                case BackupVerified():
                    await self._backup_verified(conn, event)
                case RestoreCompleted() | RestoreFailed():
                    await self._restore_finished(conn, event)

        await apply_once(self.pool, self.durable, event.id, effect)
        for destination, key in orphans:
            await self._remove_orphan(destination, key)

    async def _current(self, conn: asyncpg.Connection, backup_id: int, fence: int) -> BackupRow | None:
        row = await backup_store.get_backup(conn, backup_id, for_update=True)
        if row is None or row.fence != fence:
            return None
        return row

    async def _backup_completed(self, conn: asyncpg.Connection, event: BackupCompleted) -> bool:
        """Whether the completion was recorded: if not, its artifact is an orphan."""
        row = await self._current(conn, event.backup_id, event.fence)
        if row is None or row.status != "in_progress":
            log.warning(
                "backup %s completed after it was %s; removing the artifact",
                event.backup_id,
                row.status if row else "superseded or deleted",
            )
            return False
        await backup_store.update_backup(
            conn,
            row.id,
            {
                "status": "completed",
                "storage_key": event.storage_key,
                "storage_path": event.storage_path,
                "size_bytes": event.size_bytes,
                "plain_size_bytes": event.plain_size_bytes,
                "checksum": event.sha256,
                "sha256_plain": event.sha256_plain,
                "key_id": event.key_id,
                "tool_version": event.tool_version,
                "file_format": event.file_format,
                "completed_at": event.occurred_at,
                "duration_seconds": (event.occurred_at - row.started_at).total_seconds()
                if row.started_at
                else event.duration_seconds,
                "error_message": None,
                "error_cause": None,
            },
        )
        return True

    async def _backup_failed(self, conn: asyncpg.Connection, event: BackupFailed) -> None:
        row = await self._current(conn, event.backup_id, event.fence)
        if row is None or row.status not in ACTIVE:
            return
        await backup_store.update_backup(
            conn,
            row.id,
            {
                "status": "failed",
                "error_message": event.error,
                "error_cause": event.cause,
                "completed_at": event.occurred_at,
                "duration_seconds": (event.occurred_at - row.started_at).total_seconds()
                if row.started_at
                else None,
            },
        )

    async def _backup_verified(self, conn: asyncpg.Connection, event: BackupVerified) -> None:
        row = await backup_store.get_backup(conn, event.backup_id, for_update=True)
        if row is None:
            return
        await backup_store.update_backup(
            conn,
            row.id,
            {
                "verified": event.passed,
                "verification_date": event.occurred_at,
                "verification": {
                    "verification_status": "passed" if event.passed else "failed",
                    "verified_at": event.occurred_at.isoformat().replace("+00:00", "Z"),
                    "verification_duration_seconds": round(event.duration_seconds, 3),
                    "checks_performed": event.checks,
                    "issues": event.issues,
                    "table_counts": event.table_counts,
                },
            },
        )

    async def _restore_finished(
        self, conn: asyncpg.Connection, event: RestoreCompleted | RestoreFailed
    ) -> None:
        row = await restore_store.get_restore(conn, event.restore_id, for_update=True)
        if row is None or row.fence != event.fence or row.status not in ACTIVE:
            return
        started = row.started_at or event.occurred_at
        values: dict[str, Any] = {
            "completed_at": event.occurred_at,
            "duration_seconds": (event.occurred_at - started).total_seconds(),
        }
        if isinstance(event, RestoreCompleted):
            values.update(
                status="completed",
                bytes_restored=event.bytes_restored,
                masked_columns=event.masked_columns,
                table_counts=event.table_counts,
                warnings=event.warnings,
            )
        else:
            values.update(status="failed", errors=[*row.errors, f"{event.cause}: {event.error}"])
        await restore_store.update_restore(conn, row.id, values)

    async def _remove_orphan(self, destination: str, key: str) -> None:
        try:
            storage = self.destinations.get(destination)
            await storage.delete(key)
            await storage.delete(manifest_key(key))
        except Exception:
            log.exception("could not remove the artifact of a cancelled backup: %s", key)
