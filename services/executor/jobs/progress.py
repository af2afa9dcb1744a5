"""Progress of one running job on core NATS, at most two messages a second plus one per phase
change; not persisted (the outcome is, through the outbox)."""

import asyncio
import contextlib
import time
from collections.abc import Callable
from datetime import UTC, datetime

import msgspec
from nats.aio.client import Client

from contracts import progress
from contracts.progress import JobKind, JobProgress

INTERVAL = 0.5


class Progress:
    def __init__(
        self,
        nc: Client,
        kind: JobKind,
        job_id: str,
        backup_id: int,
        phases: list[str],
        restore_id: int | None = None,
    ) -> None:
        self._nc = nc
        self._subject = progress.subject(kind)
        self._kind = kind
        self._job = (job_id, backup_id, restore_id)
        self._phases = phases
        self._phase = phases[0]
        self._started = time.monotonic()
        self._started_at = datetime.now(UTC)
        self._bytes: Callable[[], int] = lambda: 0
        self.total_bytes: int | None = None
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> "Progress":
        self._task = asyncio.create_task(self._tick())
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def phase(self, name: str, counter: Callable[[], int] | None = None) -> None:
        self._phase = name
        if counter is not None:
            self._bytes = counter
        self._send()

    def _message(self) -> JobProgress:
        done = self._bytes()
        elapsed = time.monotonic() - self._started
        index = self._phases.index(self._phase) if self._phase in self._phases else 0
        percent = remaining = None
        if self.total_bytes:
            fraction = min(done / self.total_bytes, 0.99)
            percent = int(fraction * 100)
            remaining = round(elapsed * (1 - fraction) / fraction, 1) if fraction > 0.01 else None
        job_id, backup_id, restore_id = self._job
        return JobProgress(
            kind=self._kind,
            job_id=job_id,
            backup_id=backup_id,
            restore_id=restore_id,
            phase=self._phase,
            phases_completed=self._phases[:index],
            phases_remaining=self._phases[index + 1 :],
            bytes_processed=done,
            total_bytes=self.total_bytes,
            percent=percent,
            started_at=self._started_at,
            elapsed_seconds=round(elapsed, 2),
            remaining_seconds=remaining,
        )

    def _send(self) -> None:
        with contextlib.suppress(Exception):  # progress is best effort; the outcome is not
            asyncio.get_running_loop().create_task(
                self._nc.publish(self._subject, msgspec.json.encode(self._message()))
            )

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(INTERVAL)
            self._send()
