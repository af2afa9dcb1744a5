"""The schedule log (004's BackupScheduleLog): each fire, the backups the catalog created for
it, and what became of them — kept current from the catalog's and executors' events."""

from datetime import datetime
from typing import Any

import asyncpg
import msgspec

from contracts import subjects
from contracts.events import BackupCancelled, BackupCompleted, BackupFailed, FireHandled
from contracts.schedules import ScheduleLog
from libs.bus.consumer import apply_once, consume
from libs.bus.streams import EVENTS

CONSUMER = "scheduler-fires"
Outcome = FireHandled | BackupCompleted | BackupFailed | BackupCancelled
_decoder = msgspec.json.Decoder(Outcome)
FINISHED = {"completed", "failed", "cancelled"}


def fire_status(backup_statuses: list[str]) -> str | None:
    """A fire's status once every backup it asked for finished; None while any runs."""
    if not backup_statuses or not FINISHED.issuperset(backup_statuses):
        return None
    if "failed" in backup_statuses:
        return "failed"
    if all(status == "cancelled" for status in backup_statuses):
        return "cancelled"
    return "success"


def view(row: dict[str, Any]) -> ScheduleLog:
    completed_at: datetime | None = row["completed_at"]
    backup_ids = list(row["backup_ids"])
    return ScheduleLog(
        id=row["id"],
        schedule_id=row["schedule_id"],
        server_id=row["server_id"],
        backup_id=backup_ids[0] if backup_ids else None,
        backup_ids=backup_ids,
        fire_at=row["fire_at"],
        manual=row["manual"],
        status=row["status"],
        started_at=row["started_at"],
        completed_at=completed_at,
        duration_seconds=(completed_at - row["started_at"]).total_seconds() if completed_at else None,
        backup_size_bytes=int(row["backup_size_bytes"]) if row["backup_size_bytes"] is not None else None,
        logs=list(row["logs"]),
        error_message=row["error_message"],
    )


class FireLog:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    def bind(self, broker: Any) -> None:
        for context in ("catalog", "backup"):
            consume(
                broker,
                stream=EVENTS,
                subject=subjects.event(context, "*"),
                durable=f"{CONSUMER}-{context}",
                handle=self.handle,
            )

    async def handle(self, body: bytes) -> None:
        try:
            event = _decoder.decode(body)
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

        await apply_once(self.pool, CONSUMER, event.id, effect)

    async def _handled(self, conn: asyncpg.Connection, event: FireHandled) -> None:
        await conn.executemany(
            "INSERT INTO fire_backups (backup_id, fire_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            [(backup_id, event.fire_id) for backup_id in event.backup_ids],
        )
        lines = [f"backup {backup_id} requested" for backup_id in event.backup_ids]
        if not event.backup_ids:
            status = "cancelled" if event.skipped else "failed"
            await conn.execute(
                """UPDATE fires SET status = $2, completed_at = now(), error_message = $3,
                       logs = logs || $4::text[] WHERE id = $1""",
                event.fire_id,
                status,
                event.reason,
                [f"skipped: {event.reason}" if event.skipped else f"no backup requested: {event.reason}"],
            )
            return
        await conn.execute("UPDATE fires SET logs = logs || $2::text[] WHERE id = $1", event.fire_id, lines)

    async def _finished(
        self, conn: asyncpg.Connection, backup_id: int, status: str, size: int | None, error: str | None
    ) -> None:
        fire_id = await conn.fetchval("SELECT fire_id FROM fire_backups WHERE backup_id = $1", backup_id)
        if fire_id is None:
            return  # not a scheduled backup
        # Backups of one fire finish concurrently: one at a time decides the fire's outcome.
        await conn.execute("SELECT 1 FROM fires WHERE id = $1 FOR UPDATE", fire_id)
        await conn.execute(
            """UPDATE fire_backups SET status = $2, size_bytes = $3, error_message = $4, completed_at = now()
               WHERE backup_id = $1""",
            backup_id,
            status,
            size,
            error,
        )
        line = f"backup {backup_id} {status}" + (f": {error}" if error else "")
        statuses = [
            r["status"]
            for r in await conn.fetch("SELECT status FROM fire_backups WHERE fire_id = $1", fire_id)
        ]
        outcome = fire_status(statuses)
        await conn.execute(
            """UPDATE fires SET logs = logs || $2::text[],
                   status = coalesce($3, status),
                   completed_at = CASE WHEN $3::text IS NULL THEN completed_at ELSE now() END,
                   error_message = coalesce(error_message, $4)
               WHERE id = $1""",
            fire_id,
            [line],
            outcome,
            error,
        )
