"""The catalog's verify operations: a request becomes a job (the outcome is recorded on the
backup when the executor reports it); `begin` hands the executor what it checks."""

import contextlib

import asyncpg

from contracts.backups import BeginVerify, VerifyAccepted, VerifyBackup, VerifySpec
from contracts.jobs import VerifyJob
from libs.bus.outbox import Outbox
from libs.errors import Refused, conflict
from services.catalog.domain import backups
from services.catalog.handlers.backups import endpoint_of, found_backup
from services.catalog.store.backups import get_backup


class VerificationHandlers:
    def __init__(self, pool: asyncpg.Pool, outbox: Outbox) -> None:
        self.pool = pool
        self.outbox = outbox

    async def verify(self, request: VerifyBackup) -> VerifyAccepted:
        async with self.pool.acquire() as conn, conn.transaction():
            backup = await found_backup(conn, request.backup_id)
            if backup.status != "completed":
                raise conflict(f"backup {backup.id} is {backup.status}; only completed backups verify")
            job = VerifyJob(backup_id=backup.id, test_restore=request.test_restore)
            await self.outbox.emit(conn, job)
        return VerifyAccepted(
            backup_id=backup.id,
            task_id=job.id,
            verification_status="pending",
            message="Verification queued",
        )

    async def begin(self, request: BeginVerify) -> VerifySpec:
        async with self.pool.acquire() as conn:
            backup = await get_backup(conn, request.backup_id)
            if backup is None or backup.status != "completed":
                raise backups.not_runnable(request.backup_id, backup.status if backup else "deleted")
            endpoint = None
            with contextlib.suppress(Refused):
                endpoint = await endpoint_of(conn, backup)
        assert backup.storage_key is not None  # every completed backup has its artifact's key
        return VerifySpec(
            backup_id=backup.id,
            job_id=request.job_id,
            destination=backup.destination,
            storage_key=backup.storage_key,
            checksum=backup.checksum,
            endpoint=endpoint,
        )
