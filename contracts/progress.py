"""Progress of running jobs on core NATS (`lb.progress.executor.v1.<kind>`): many per second at
most a few per job, not persisted; the gateway keeps the latest per job and relays it."""

from datetime import datetime
from typing import Literal

import msgspec

from contracts import subjects

JobKind = Literal["backup", "restore", "verify"]


class JobProgress(msgspec.Struct, frozen=True, kw_only=True):
    kind: JobKind
    job_id: str
    backup_id: int
    restore_id: int | None = None
    status: str = "in_progress"
    phase: str
    phases_completed: list[str] = []
    phases_remaining: list[str] = []
    bytes_processed: int = 0
    total_bytes: int | None = None
    percent: int | None = None
    started_at: datetime
    elapsed_seconds: float = 0.0
    remaining_seconds: float | None = None
    current_operation: str | None = None


def subject(kind: JobKind) -> str:
    return subjects.progress("executor", kind)


ALL_PROGRESS = subjects.progress("executor", "*")
