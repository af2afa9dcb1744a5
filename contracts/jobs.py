"""Jobs for the executor pool, published on the JOBS work-queue stream (`lb.job.executor.v1.*`).

A job carries ids only: the executor asks the catalog for the details (including sealed
credentials) when it begins, so nothing secret is persisted in the stream and a cancelled
job is refused at that moment. The job's `id` is its Nats-Msg-Id, for de-duplication.
"""

from typing import ClassVar

from contracts import subjects
from contracts.envelope import Event


class Job(Event, frozen=True, kw_only=True):
    context: ClassVar[str] = "executor"

    @classmethod
    def subject(cls) -> str:
        return subjects.job(cls.context, cls.type_name().replace(".", "_"), cls.event_version)


class BackupJob(Job, frozen=True, kw_only=True, tag="backup.run"):
    backup_id: int


class RestoreJob(Job, frozen=True, kw_only=True, tag="restore.run"):
    restore_id: int
    backup_id: int


class VerifyJob(Job, frozen=True, kw_only=True, tag="backup.verify"):
    backup_id: int
    test_restore: bool = False


AnyJob = BackupJob | RestoreJob | VerifyJob
