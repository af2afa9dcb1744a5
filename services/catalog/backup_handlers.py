"""The catalog's backup, restore and verify operations: each request becomes a record and a
job in one transaction; executors claim jobs through `begin_*`, which fences stale attempts."""

import contextlib
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import msgspec

from contracts.backups import (
    BackupAccepted,
    BackupPage,
    BackupRef,
    BackupSpec,
    BackupView,
    BeginJob,
    CreateBackup,
    CreateRestore,
    ListBackups,
    MaskingRule,
    RestoreAccepted,
    RestoreRef,
    RestoreSpec,
    RestoreView,
    VerifyAccepted,
    VerifyBackup,
    VerifySpec,
)
from contracts.catalog import Deleted
from contracts.connections import Endpoint
from contracts.events import BackupCancelled, BackupDeleted, BackupRequested, RestoreRequested
from contracts.jobs import BackupJob, RestoreJob, VerifyJob
from libs.bus.outbox import emit
from libs.confinement import OUTSIDE_ROOTS, confined
from libs.crypto.manifest import manifest_key
from libs.errors import Refused, conflict, invalid, not_found
from libs.storage.destinations import DestinationError, Destinations
from services.catalog import backup_store, backups, store

PRODUCER = "catalog"


def _gone(backup_id: int, status: str) -> Refused:
    return Refused(409, "JOB_NOT_RUNNABLE", f"backup {backup_id} is {status}; the job will not run")


class BackupHandlers:
    def __init__(
        self, pool: asyncpg.Pool, destinations: Destinations, sqlite_roots: tuple[Path, ...]
    ) -> None:
        self.pool = pool
        self.destinations = destinations
        self.sqlite_roots = sqlite_roots

    # --- backups -------------------------------------------------------------------------

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
        database, server, name = await self._what_to_back_up(conn, request)
        db_type = (database or {}).get("database_type") or (server or {})["engine_type"]
        if request.db_type and request.db_type != db_type:
            raise invalid("db_type", f"{request.db_type} does not match the {db_type} database")
        destination = (database or {}).get("backup_destination") or "default"
        if destination not in self.destinations.names():
            raise invalid("backup_destination", f"unknown backup destination {destination!r}")
        compression = (
            "none"
            if not request.compress
            else request.compression_type or (database or {}).get("compression") or "zstd"
        )
        backup_id = await backup_store.next_backup_id(conn)
        job = BackupJob(backup_id=backup_id, producer=PRODUCER, correlation_id=request.correlation_id)
        owner = server["name"] if server else (database or {}).get("host") or "local"
        await backup_store.insert_backup(
            conn,
            {
                "id": backup_id,
                "job_id": uuid.UUID(job.id),
                "database_id": (database or {}).get("id"),
                "server_id": server["id"] if server else None,
                "database_name": name,
                "database_alias": (database or {}).get("name"),
                "engine_name": server["name"] if server else None,
                "db_type": db_type,
                "backup_type": request.backup_type,
                "triggered_by": request.triggered_by,
                "compression": compression,
                "destination": destination,
                "storage_key": backups.storage_key(db_type, owner, name, backup_id, datetime.now(UTC)),
                "requested_by": request.actor.username,
                "schedule_id": schedule_id,
                "fire_key": fire_key,
            },
        )
        await emit(conn, job)
        await emit(
            conn,
            BackupRequested(
                backup_id=backup_id,
                job_id=job.id,
                database_id=(database or {}).get("id"),
                server_id=server["id"] if server else None,
                database_name=name,
                db_type=db_type,
                triggered_by=request.triggered_by,
                schedule_id=schedule_id,
                producer=PRODUCER,
                actor=request.actor,
                correlation_id=request.correlation_id,
            ),
        )
        return BackupAccepted(
            id=backup_id, status="pending", message="Backup job queued", task_id=job.id, job_id=job.id
        )

    async def _what_to_back_up(
        self, conn: asyncpg.Connection, request: CreateBackup
    ) -> tuple[dict[str, Any] | None, dict[str, Any] | None, str]:
        """The database configuration (if any), its server (if any) and the database name."""
        if request.database_id is not None:
            database = await store.get_database(conn, request.database_id)
            if database is None:
                raise not_found("database", request.database_id)
            server = await store.get_server(conn, database["server_id"]) if database["server_id"] else None
            return database, server, database["database_name"]
        if request.server_id is None:
            raise invalid("server_id", "required (or database_id)")
        if not request.database_name:
            raise invalid("database_name", "required with server_id")
        server = await store.get_server(conn, request.server_id)
        if server is None:
            raise invalid("server_id", f"server {request.server_id} does not exist")
        configured = await conn.fetchrow(
            f"{store.DATABASES} WHERE d.server_id = $1 AND d.database_name = $2 ORDER BY d.id LIMIT 1",
            server["id"],
            request.database_name,
        )
        return (dict(configured) if configured else None), server, request.database_name

    async def list(self, request: ListBackups) -> BackupPage:
        rows, total = await backup_store.list_backups(self.pool, request)
        return BackupPage(items=[backups.backup_view(r) for r in rows], total=total)

    async def get(self, request: BackupRef) -> BackupView:
        row = await backup_store.get_backup(self.pool, request.backup_id)
        if row is None:
            raise Refused(404, "BACKUP_NOT_FOUND", f"backup {request.backup_id} not found")
        return backups.backup_view(row)

    async def cancel(self, request: BackupRef) -> BackupView:
        async with self.pool.acquire() as conn, conn.transaction():
            row = await backup_store.get_backup(conn, request.backup_id, for_update=True)
            if row is None:
                raise Refused(404, "BACKUP_NOT_FOUND", f"backup {request.backup_id} not found")
            if row["status"] not in backups.ACTIVE:
                raise conflict(f"backup {row['id']} is already {row['status']}", "status")
            await backup_store.update_backup(
                conn,
                row["id"],
                {"status": "cancelled", "completed_at": datetime.now(UTC), "error_message": "cancelled"},
            )
            await emit(
                conn,
                BackupCancelled(
                    backup_id=row["id"],
                    job_id=str(row["job_id"]),
                    producer=PRODUCER,
                    actor=request.actor,
                    correlation_id=request.correlation_id,
                ),
            )
            row = await backup_store.get_backup(conn, row["id"])
        assert row is not None
        return backups.backup_view(row)

    async def delete(self, request: BackupRef) -> Deleted:
        async with self.pool.acquire() as conn, conn.transaction():
            row = await backup_store.get_backup(conn, request.backup_id, for_update=True)
            if row is None:
                raise Refused(404, "BACKUP_NOT_FOUND", f"backup {request.backup_id} not found")
            if row["status"] in backups.ACTIVE:
                raise Refused(
                    409, "BACKUP_IN_PROGRESS", f"backup {row['id']} is {row['status']}; cancel it first"
                )
            await self._delete_artifact(row)
            await self.delete_record(conn, row, request)
        return Deleted(message=f"Backup '{row['id']}' deleted")

    async def _delete_artifact(self, row: dict[str, Any]) -> None:
        """Artifact first, then the record: a crash in between leaves a record without a file,
        which a repeated delete finishes, never a file nobody knows about."""
        if row["status"] != "completed" or not row["storage_key"]:
            return
        try:
            storage = self.destinations.get(row["destination"])
            await storage.delete(row["storage_key"])
            await storage.delete(manifest_key(row["storage_key"]))
        except DestinationError as exc:
            raise Refused(409, "STORAGE_UNAVAILABLE", str(exc)) from None

    async def delete_record(self, conn: asyncpg.Connection, row: dict[str, Any], request: Any) -> None:
        await backup_store.delete_backup(conn, row["id"])
        await emit(
            conn,
            BackupDeleted(
                backup_id=row["id"],
                database_id=row["database_id"],
                storage_key=row["storage_key"] if row["status"] == "completed" else None,
                producer=PRODUCER,
                actor=request.actor,
                correlation_id=request.correlation_id,
            ),
        )

    async def begin_backup(self, request: BeginJob) -> BackupSpec:
        async with self.pool.acquire() as conn, conn.transaction():
            row = await backup_store.get_backup(conn, request.backup_id, for_update=True)
            if row is None:
                raise _gone(request.backup_id, "deleted")
            if row["status"] not in backups.ACTIVE:
                raise _gone(row["id"], row["status"])
            claimed = backups.claim(row, request.fence, request.executor)
            endpoint = await self._endpoint_of(conn, row)
            await backup_store.update_backup(conn, row["id"], claimed)
        return BackupSpec(
            backup_id=row["id"],
            job_id=str(row["job_id"]),
            fence=request.fence,
            endpoint=endpoint,
            compression=row["compression"],
            destination=row["destination"],
            storage_key=row["storage_key"],
        )

    async def _endpoint_of(self, conn: asyncpg.Connection, row: dict[str, Any]) -> Endpoint:
        database = await store.get_database(conn, row["database_id"]) if row["database_id"] else None
        server = await store.get_server(conn, row["server_id"]) if row["server_id"] else None
        if database is None and server is None:
            raise Refused(409, "JOB_NOT_RUNNABLE", "the database and server of this backup were deleted")
        return backups.endpoint_for(database, server, row["database_name"])

    # --- restores ------------------------------------------------------------------------

    async def create_restore(self, request: CreateRestore) -> RestoreAccepted:
        async with self.pool.acquire() as conn, conn.transaction():
            backup = await backup_store.get_backup(conn, request.backup_id)
            if backup is None:
                raise Refused(404, "BACKUP_NOT_FOUND", f"backup {request.backup_id} not found")
            if backup["status"] != "completed":
                raise conflict(f"backup {backup['id']} is {backup['status']}; only completed backups restore")
            if request.mask_sensitive_data and not request.masking_rules:
                raise invalid("masking_rules", "required when mask_sensitive_data is true")
            if request.masking_rules and backup["db_type"] not in ("postgresql", "mysql", "mariadb"):
                raise invalid("masking_rules", f"masking is not supported for {backup['db_type']}")
            for column, rule in request.masking_rules.items():
                if rule.strategy == "fixed" and rule.value is None:
                    raise invalid(f"masking_rules.{column}.value", "required for the fixed strategy")
            endpoint = await self._restore_endpoint(conn, backup, request)
            if await backup_store.active_restore_into(conn, msgspec.to_builtins(endpoint)):
                raise Refused(409, "RESTORE_IN_PROGRESS", f"a restore into {endpoint.database!r} is running")
            job_id = uuid.uuid4()
            restore_id = await backup_store.insert_restore(
                conn,
                {
                    "job_id": job_id,
                    "backup_id": backup["id"],
                    "target_server_id": request.target_server_id or backup["server_id"],
                    "target_database": endpoint.database,
                    "target_endpoint": msgspec.to_builtins(endpoint),
                    "masking_rules": msgspec.to_builtins(
                        request.masking_rules if request.mask_sensitive_data else {}
                    ),
                    "mask_sensitive_data": request.mask_sensitive_data,
                    "dry_run": request.dry_run,
                    "replace_existing": request.replace_existing,
                    "requested_by": request.actor.username,
                },
            )
            await emit(
                conn,
                RestoreJob(id=str(job_id), restore_id=restore_id, backup_id=backup["id"], producer=PRODUCER),
            )
            await emit(
                conn,
                RestoreRequested(
                    restore_id=restore_id,
                    backup_id=backup["id"],
                    job_id=str(job_id),
                    target_server_id=request.target_server_id or backup["server_id"],
                    target_database=endpoint.database,
                    masked=request.mask_sensitive_data,
                    dry_run=request.dry_run,
                    producer=PRODUCER,
                    actor=request.actor,
                    correlation_id=request.correlation_id,
                ),
            )
        return RestoreAccepted(
            task_id=str(job_id),
            restore_id=restore_id,
            backup_id=backup["id"],
            status="pending",
            message="Restore job queued",
        )

    async def _restore_endpoint(
        self, conn: asyncpg.Connection, backup: dict[str, Any], request: CreateRestore
    ) -> Endpoint:
        name = request.target_database or backup["database_name"]
        if backup["db_type"] == "sqlite" and confined(name, self.sqlite_roots, follow_symlinks=False) is None:
            raise invalid("target_database", OUTSIDE_ROOTS)
        if request.target_server_id is not None:
            server = await store.get_server(conn, request.target_server_id)
            if server is None:
                raise invalid("target_server_id", f"server {request.target_server_id} does not exist")
            if backups.FILE_FORMATS.get(server["engine_type"]) != backups.FILE_FORMATS.get(backup["db_type"]):
                raise invalid(
                    "target_server_id",
                    f"a {backup['db_type']} backup cannot restore into {server['engine_type']}",
                )
            return backups.endpoint_for(None, server, name)
        try:
            endpoint = await self._endpoint_of(conn, backup)
        except Refused:
            raise invalid("target_server_id", "required: the backup's own server no longer exists") from None
        return msgspec.structs.replace(endpoint, database=name)

    async def get_restore(self, request: RestoreRef) -> RestoreView:
        row = await backup_store.get_restore(self.pool, request.restore_id)
        if row is None:
            raise not_found("restore", request.restore_id)
        return backups.restore_view(row)

    async def begin_restore(self, request: BeginJob) -> RestoreSpec:
        assert request.restore_id is not None
        async with self.pool.acquire() as conn, conn.transaction():
            row = await backup_store.get_restore(conn, request.restore_id, for_update=True)
            if row is None or row["status"] not in backups.ACTIVE:
                raise Refused(409, "JOB_NOT_RUNNABLE", f"restore {request.restore_id} will not run")
            claimed = backups.claim(row, request.fence, request.executor)
            backup = await backup_store.get_backup(conn, row["backup_id"])
            if backup is None or backup["status"] != "completed":
                raise Refused(409, "JOB_NOT_RUNNABLE", "the backup of this restore is gone")
            await backup_store.update_restore(conn, row["id"], claimed)
        return RestoreSpec(
            restore_id=row["id"],
            backup_id=backup["id"],
            job_id=str(row["job_id"]),
            fence=request.fence,
            endpoint=msgspec.convert(row["target_endpoint"], Endpoint),
            destination=backup["destination"],
            storage_key=backup["storage_key"],
            checksum=backup["checksum"],
            masking_rules=msgspec.convert(row["masking_rules"], dict[str, MaskingRule]),
            dry_run=row["dry_run"],
            replace_existing=row["replace_existing"],
        )

    # --- verification --------------------------------------------------------------------

    async def verify(self, request: VerifyBackup) -> VerifyAccepted:
        async with self.pool.acquire() as conn, conn.transaction():
            backup = await backup_store.get_backup(conn, request.backup_id)
            if backup is None:
                raise Refused(404, "BACKUP_NOT_FOUND", f"backup {request.backup_id} not found")
            if backup["status"] != "completed":
                raise conflict(f"backup {backup['id']} is {backup['status']}; only completed backups verify")
            job = VerifyJob(backup_id=backup["id"], test_restore=request.test_restore, producer=PRODUCER)
            await emit(conn, job)
        return VerifyAccepted(
            backup_id=backup["id"],
            task_id=job.id,
            verification_status="pending",
            message="Verification queued",
        )

    async def begin_verify(self, request: BeginJob) -> VerifySpec:
        async with self.pool.acquire() as conn:
            backup = await backup_store.get_backup(conn, request.backup_id)
            if backup is None or backup["status"] != "completed":
                raise _gone(request.backup_id, backup["status"] if backup else "deleted")
            endpoint = None
            with contextlib.suppress(Refused):
                endpoint = await self._endpoint_of(conn, backup)
        return VerifySpec(
            backup_id=backup["id"],
            job_id=request.job_id,
            destination=backup["destination"],
            storage_key=backup["storage_key"],
            checksum=backup["checksum"],
            endpoint=endpoint,
        )
