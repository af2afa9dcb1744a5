"""The catalog's backup operations: each request becomes a record and a job in one
transaction; executors claim jobs through `begin_backup`, which fences stale attempts."""

from datetime import UTC, datetime

import asyncpg

from contracts.backups import (
    BackupAccepted,
    BackupPage,
    BackupSpec,
    BackupView,
    BeginBackup,
    CancelBackup,
    CreateBackup,
    DeleteBackup,
    GetBackup,
    ListBackups,
)
from contracts.catalog import Deleted
from contracts.connections import Endpoint
from contracts.events import BackupCancelled, BackupDeleted, BackupRequested
from contracts.jobs import BackupJob
from contracts.rpc import Request
from libs.bus.outbox import Outbox
from libs.crypto.manifest import manifest_key
from libs.errors import Refused, conflict, invalid, not_found
from libs.storage.destinations import DestinationError, Destinations
from services.catalog.domain import backups
from services.catalog.handlers.databases import found_database
from services.catalog.store import backups as store
from services.catalog.store.databases import configured_database, get_database
from services.catalog.store.pages import Executor
from services.catalog.store.rows import BackupRow, DatabaseRow, ServerRow
from services.catalog.store.servers import get_server


async def found_backup(db: Executor, backup_id: int, *, for_update: bool = False) -> BackupRow:
    row = await store.get_backup(db, backup_id, for_update=for_update)
    if row is None:
        raise not_found("backup", backup_id)
    return row


async def endpoint_of(conn: asyncpg.Connection, backup: BackupRow) -> Endpoint:
    """Where the backed-up database is now, with the login its configuration or server has."""
    database = await get_database(conn, backup.database_id) if backup.database_id else None
    server = await get_server(conn, backup.server_id) if backup.server_id else None
    if database is None and server is None:
        raise Refused(409, "JOB_NOT_RUNNABLE", "the database and server of this backup were deleted")
    return backups.endpoint_for(database, server, backup.database_name)


async def _what_to_back_up(
    conn: asyncpg.Connection, request: CreateBackup
) -> tuple[DatabaseRow | None, ServerRow | None, str]:
    """The database configuration (if any), its server (if any) and the database name."""
    if request.database_id is not None:
        database = await found_database(conn, request.database_id)
        server = await get_server(conn, database.server_id) if database.server_id else None
        return database, server, database.database_name
    if request.server_id is None:
        raise invalid("server_id", "required (or database_id)")
    if not request.database_name:
        raise invalid("database_name", "required with server_id")
    server = await get_server(conn, request.server_id)
    if server is None:
        raise invalid("server_id", f"server {request.server_id} does not exist")
    configured = await configured_database(conn, server.id, request.database_name)
    return configured, server, request.database_name


class BackupHandlers:
    def __init__(self, pool: asyncpg.Pool, outbox: Outbox, destinations: Destinations) -> None:
        self.pool = pool
        self.outbox = outbox
        self.destinations = destinations

    async def create(self, request: CreateBackup) -> BackupAccepted:
        async with self.pool.acquire() as conn, conn.transaction():
            return await self.request_backup(conn, request)

    async def request_backup(
        self,
        conn: asyncpg.Connection,
        request: CreateBackup,
        *,
        schedule_id: int | None = None,
        fire_key: str | None = None,
    ) -> BackupAccepted:
        """Record a backup and its job in the caller's transaction: the one path by which a
        manual request and a schedule's fire become a backup."""
        database, server, name = await _what_to_back_up(conn, request)
        backup_id = await store.next_backup_id(conn)
        job = BackupJob(backup_id=backup_id, correlation_id=request.correlation_id)
        values = backups.new_backup_values(
            request,
            database,
            server,
            name,
            backup_id=backup_id,
            job_id=job.id,
            destinations=self.destinations.names(),
            at=datetime.now(UTC),
        )
        await store.insert_backup(conn, {**values, "schedule_id": schedule_id, "fire_key": fire_key})
        await self.outbox.emit(conn, job)
        requested = BackupRequested(
            backup_id=backup_id,
            job_id=job.id,
            database_id=values["database_id"],
            server_id=values["server_id"],
            database_name=name,
            db_type=values["db_type"],
            triggered_by=request.triggered_by,
            schedule_id=schedule_id,
        )
        await self.outbox.emit(conn, requested, cause=request)
        return BackupAccepted(
            id=backup_id, status="pending", message="Backup job queued", task_id=job.id, job_id=job.id
        )

    async def list(self, request: ListBackups) -> BackupPage:
        rows, total = await store.list_backups(self.pool, request)
        return BackupPage(items=[backups.backup_view(r) for r in rows], total=total)

    async def get(self, request: GetBackup) -> BackupView:
        return backups.backup_view(await found_backup(self.pool, request.backup_id))

    async def cancel(self, request: CancelBackup) -> BackupView:
        async with self.pool.acquire() as conn, conn.transaction():
            row = await found_backup(conn, request.backup_id, for_update=True)
            if row.status not in backups.ACTIVE:
                raise conflict(f"backup {row.id} is already {row.status}", "status")
            await store.update_backup(
                conn,
                row.id,
                {"status": "cancelled", "completed_at": datetime.now(UTC), "error_message": "cancelled"},
            )
            cancelled = BackupCancelled(backup_id=row.id, job_id=str(row.job_id))
            await self.outbox.emit(conn, cancelled, cause=request)
            row = await found_backup(conn, row.id)
        return backups.backup_view(row)

    async def delete(self, request: DeleteBackup) -> Deleted:
        async with self.pool.acquire() as conn, conn.transaction():
            row = await found_backup(conn, request.backup_id, for_update=True)
            if row.status in backups.ACTIVE:
                raise Refused(409, "BACKUP_IN_PROGRESS", f"backup {row.id} is {row.status}; cancel it first")
            await self._delete_artifact(row)
            await self.delete_record(conn, row, request)
        return Deleted(message=f"Backup '{row.id}' deleted")

    async def _delete_artifact(self, row: BackupRow) -> None:
        """Artifact first, then the record: a crash in between leaves a record without a file,
        which a repeated delete finishes, never a file nobody knows about."""
        if row.status != "completed" or not row.storage_key:
            return
        try:
            storage = self.destinations.get(row.destination)
            await storage.delete(row.storage_key)
            await storage.delete(manifest_key(row.storage_key))
        except DestinationError as exc:
            raise Refused(409, "STORAGE_UNAVAILABLE", str(exc)) from None

    async def delete_record(self, conn: asyncpg.Connection, row: BackupRow, cause: Request) -> None:
        """Delete one backup record in the caller's transaction (also a file's delete)."""
        await store.delete_backup(conn, row.id)
        deleted = BackupDeleted(
            backup_id=row.id,
            database_id=row.database_id,
            storage_key=row.storage_key if row.status == "completed" else None,
        )
        await self.outbox.emit(conn, deleted, cause=cause)

    async def begin_backup(self, request: BeginBackup) -> BackupSpec:
        async with self.pool.acquire() as conn, conn.transaction():
            row = await store.get_backup(conn, request.backup_id, for_update=True)
            if row is None:
                raise backups.not_runnable(request.backup_id, "deleted")
            if row.status not in backups.ACTIVE:
                raise backups.not_runnable(row.id, row.status)
            claimed = backups.claim(row, request.fence, request.executor)
            endpoint = await endpoint_of(conn, row)
            await store.update_backup(conn, row.id, claimed)
        assert row.storage_key is not None  # given when the backup was requested
        return BackupSpec(
            backup_id=row.id,
            job_id=str(row.job_id),
            fence=request.fence,
            endpoint=endpoint,
            compression=row.compression,
            destination=row.destination,
            storage_key=row.storage_key,
        )
