"""The catalog's restore operations: a request becomes a record and a job in one transaction;
executors claim the job through `begin`, which fences stale attempts."""

import uuid
from pathlib import Path

import asyncpg
import msgspec

from contracts.backups import (
    BeginRestore,
    CreateRestore,
    MaskingRule,
    RestoreAccepted,
    RestoreRef,
    RestoreSpec,
    RestoreView,
)
from contracts.connections import Endpoint
from contracts.events import RestoreRequested
from contracts.jobs import RestoreJob
from libs.bus.outbox import Outbox
from libs.errors import Refused, invalid, not_found
from services.catalog.domain import backups, restores
from services.catalog.handlers.backups import endpoint_of, found_backup
from services.catalog.store import restores as store
from services.catalog.store.backups import get_backup
from services.catalog.store.pages import Executor
from services.catalog.store.rows import BackupRow, RestoreRow
from services.catalog.store.servers import get_server


async def found_restore(db: Executor, restore_id: int, *, for_update: bool = False) -> RestoreRow:
    row = await store.get_restore(db, restore_id, for_update=for_update)
    if row is None:
        raise not_found("restore", restore_id)
    return row


class RestoreHandlers:
    def __init__(self, pool: asyncpg.Pool, outbox: Outbox, sqlite_roots: tuple[Path, ...]) -> None:
        self.pool = pool
        self.outbox = outbox
        self.sqlite_roots = sqlite_roots

    async def create(self, request: CreateRestore) -> RestoreAccepted:
        async with self.pool.acquire() as conn, conn.transaction():
            backup = await found_backup(conn, request.backup_id)
            restores.check_restore(backup, request)
            endpoint = await self._target(conn, backup, request)
            if await store.active_restore_into(conn, endpoint.host, endpoint.port, endpoint.database):
                raise Refused(409, "RESTORE_IN_PROGRESS", f"a restore into {endpoint.database!r} is running")
            job_id = uuid.uuid4()
            values = restores.new_restore_values(backup, request, endpoint, job_id)
            restore_id = await store.insert_restore(conn, values)
            job = RestoreJob(id=str(job_id), restore_id=restore_id, backup_id=backup.id)
            await self.outbox.emit(conn, job)
            requested = RestoreRequested(
                restore_id=restore_id,
                backup_id=backup.id,
                job_id=str(job_id),
                target_server_id=values["target_server_id"],
                target_database=endpoint.database,
                masked=request.mask_sensitive_data,
                dry_run=request.dry_run,
            )
            await self.outbox.emit(conn, requested, cause=request)
        return RestoreAccepted(
            task_id=str(job_id),
            restore_id=restore_id,
            backup_id=backup.id,
            status="pending",
            message="Restore job queued",
        )

    async def _target(self, conn: asyncpg.Connection, backup: BackupRow, request: CreateRestore) -> Endpoint:
        """Where the restore goes: a server named in the request, or the backup's own."""
        name = restores.target_name(backup, request, self.sqlite_roots)
        if request.target_server_id is not None:
            server = await get_server(conn, request.target_server_id)
            if server is None:
                raise invalid("target_server_id", f"server {request.target_server_id} does not exist")
            restores.check_target_server(backup, server)
            return backups.endpoint_for(None, server, name)
        try:
            endpoint = await endpoint_of(conn, backup)
        except Refused:
            raise invalid("target_server_id", "required: the backup's own server no longer exists") from None
        return msgspec.structs.replace(endpoint, database=name)

    async def get(self, request: RestoreRef) -> RestoreView:
        return restores.restore_view(await found_restore(self.pool, request.restore_id))

    async def begin(self, request: BeginRestore) -> RestoreSpec:
        assert request.restore_id is not None
        async with self.pool.acquire() as conn, conn.transaction():
            row = await store.get_restore(conn, request.restore_id, for_update=True)
            if row is None or row.status not in backups.ACTIVE:
                raise Refused(409, "JOB_NOT_RUNNABLE", f"restore {request.restore_id} will not run")
            claimed = backups.claim(row, request.fence, request.executor)
            backup = await get_backup(conn, row.backup_id)
            if backup is None or backup.status != "completed":
                raise Refused(409, "JOB_NOT_RUNNABLE", "the backup of this restore is gone")
            await store.update_restore(conn, row.id, claimed)
        assert backup.storage_key is not None  # every completed backup has its artifact's key
        return RestoreSpec(
            restore_id=row.id,
            backup_id=backup.id,
            job_id=str(row.job_id),
            fence=request.fence,
            endpoint=msgspec.convert(row.target_endpoint, Endpoint),
            destination=backup.destination,
            storage_key=backup.storage_key,
            checksum=backup.checksum,
            masking_rules=msgspec.convert(row.masking_rules, dict[str, MaskingRule]),
            dry_run=row.dry_run,
            replace_existing=row.replace_existing,
        )
