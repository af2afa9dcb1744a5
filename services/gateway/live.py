"""What the gateway knows live: the latest progress of every running job (for `/status` and
WebSocket clients) and a fan-out of WebSocket messages in 000's shapes.

Every gateway instance subscribes to all progress and backup events on core NATS (no queue
group), so any instance can answer; progress is not persisted and is forgotten when a job ends.
"""

import asyncio
import contextlib
import time
from collections.abc import Iterator
from typing import Any

import msgspec
from faststream.nats import NatsBroker, NatsMessage

from contracts import progress
from contracts.events import BackupCompleted, BackupFailed, RestoreCompleted, RestoreFailed
from contracts.progress import JobProgress

QUEUE_LIMIT = 256
Finished = BackupCompleted | BackupFailed | RestoreCompleted | RestoreFailed


class LiveBoard:
    def __init__(self) -> None:
        self.latest: dict[int, JobProgress] = {}  # backup id -> progress of its backup job
        self.restores: dict[int, JobProgress] = {}
        self._clients: set[asyncio.Queue[dict[str, Any]]] = set()

    def bind(self, broker: NatsBroker) -> None:
        @broker.subscriber(progress.ALL_PROGRESS)
        async def on_progress(msg: NatsMessage) -> None:
            with contextlib.suppress(msgspec.ValidationError, msgspec.DecodeError):
                self.on_progress(msgspec.json.decode(msg.body, type=JobProgress))

        for event_type in (BackupCompleted, BackupFailed, RestoreCompleted, RestoreFailed):

            @broker.subscriber(event_type.subject())
            async def on_finished(msg: NatsMessage) -> None:
                with contextlib.suppress(msgspec.ValidationError, msgspec.DecodeError):
                    self.on_finished(msgspec.json.decode(msg.body, type=Finished))

    def on_progress(self, update: JobProgress) -> None:
        if update.kind == "backup":
            self.latest[update.backup_id] = update
            self.publish(
                {
                    "type": "backup_progress",
                    "backup_id": update.backup_id,
                    "progress": update.percent,
                    "status": update.status,
                    "phase": update.phase,
                    "bytes_processed": update.bytes_processed,
                    "total_bytes": update.total_bytes,
                    "elapsed_seconds": update.elapsed_seconds,
                    "estimated_remaining_seconds": update.remaining_seconds,
                }
            )
        elif update.kind == "restore" and update.restore_id is not None:
            self.restores[update.restore_id] = update
            self.publish(
                {
                    "type": "restore_progress",
                    "restore_id": update.restore_id,
                    "backup_id": update.backup_id,
                    "progress": update.percent,
                    "status": update.status,
                    "phase": update.phase,
                    "bytes_restored": update.bytes_processed,
                    "total_bytes": update.total_bytes,
                }
            )

    def on_finished(self, event: Finished) -> None:
        match event:
            case BackupCompleted():
                self.latest.pop(event.backup_id, None)
                self.publish(
                    {
                        "type": "backup_progress",
                        "backup_id": event.backup_id,
                        "progress": 100,
                        "status": "completed",
                    }
                )
                self.notify(
                    "info",
                    f"Backup {event.backup_id} completed",
                    {"backup_id": event.backup_id, "size_bytes": event.size_bytes},
                )
            case BackupFailed():
                self.latest.pop(event.backup_id, None)
                self.publish(
                    {
                        "type": "backup_progress",
                        "backup_id": event.backup_id,
                        "progress": None,
                        "status": "failed",
                    }
                )
                self.notify(
                    "error",
                    f"Backup {event.backup_id} failed",
                    {"backup_id": event.backup_id, "error": event.error, "cause": event.cause},
                )
            case RestoreCompleted():
                self.restores.pop(event.restore_id, None)
                self.publish(
                    {
                        "type": "restore_progress",
                        "restore_id": event.restore_id,
                        "backup_id": event.backup_id,
                        "progress": 100,
                        "status": "completed",
                    }
                )
                self.notify("info", f"Restore {event.restore_id} completed", {"restore_id": event.restore_id})
            case RestoreFailed():
                self.restores.pop(event.restore_id, None)
                self.publish(
                    {
                        "type": "restore_progress",
                        "restore_id": event.restore_id,
                        "backup_id": event.backup_id,
                        "progress": None,
                        "status": "failed",
                    }
                )
                self.notify(
                    "error",
                    f"Restore {event.restore_id} failed",
                    {"restore_id": event.restore_id, "error": event.error, "cause": event.cause},
                )

    def notify(self, level: str, message: str, details: dict[str, Any]) -> None:
        self.publish(
            {
                "type": "notification",
                "level": level,
                "message": message,
                "details": details,
                "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            }
        )

    def publish(self, message: dict[str, Any]) -> None:
        for queue in list(self._clients):
            if queue.qsize() < QUEUE_LIMIT:  # a slow client misses updates, never blocks others
                queue.put_nowait(message)

    @contextlib.contextmanager
    def client(self) -> Iterator[asyncio.Queue[dict[str, Any]]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._clients.add(queue)
        try:
            yield queue
        finally:
            self._clients.discard(queue)
