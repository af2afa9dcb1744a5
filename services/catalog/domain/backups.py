"""Rules for backup records, as pure functions of data: what a request records, where a job
connects, when an executor may claim it."""

import re
import uuid
from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

import msgspec

from contracts.backups import BackupView, CreateBackup
from contracts.catalog import EngineType
from contracts.connections import Endpoint
from contracts.secrets import SealedSecret
from libs.errors import Refused, invalid
from services.catalog.store.rows import BackupRow, DatabaseRow, RestoreRow, ServerRow

FILE_FORMATS = {"postgresql": "pgdump", "mysql": "sql", "mariadb": "sql", "sqlite": "sqlite3", "redis": "rdb"}
ACTIVE = ("pending", "in_progress")


def not_runnable(backup_id: int, status: str) -> Refused:
    return Refused(409, "JOB_NOT_RUNNABLE", f"backup {backup_id} is {status}; the job will not run")


def claim(row: BackupRow | RestoreRow, fence: int, executor: str) -> dict[str, Any]:
    """The columns a backup or restore record takes when an executor claims its job with
    fencing token `fence`; an attempt older than the record's is refused."""
    if fence <= row.fence:
        raise Refused(409, "STALE_ATTEMPT", f"attempt {fence} is older than {row.fence}")
    return {
        "status": "in_progress",
        "fence": fence,
        "attempts": row.attempts + 1,
        "executor": executor,
        "started_at": row.started_at or datetime.now(UTC),
    }


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-.")[:60] or "db"


def storage_key(db_type: str, owner: str, database_name: str, backup_id: int, at: datetime) -> str:
    """`<engine>/<owner>/<database>/<YYYYmmdd_HHMMSS>_b<id>.<format>` — the executor adds the
    attempt (`.a<fence>`) and `.lbart`, so attempts never write to each other's keys."""
    stamp = at.strftime("%Y%m%d_%H%M%S")
    name = f"{stamp}_b{backup_id}.{FILE_FORMATS.get(db_type, 'dump')}"
    return f"{db_type}/{_slug(owner)}/{_slug(database_name)}/{name}"


def engine_of(database: DatabaseRow | None, server: ServerRow | None) -> EngineType:
    if database is not None:
        return database.database_type
    assert server is not None
    return server.engine_type


def new_backup_values(
    request: CreateBackup,
    database: DatabaseRow | None,
    server: ServerRow | None,
    name: str,
    *,
    backup_id: int,
    job_id: str,
    destinations: Collection[str],
    at: datetime,
) -> dict[str, Any]:
    """The record of a requested backup of database `name`: configured (`database`, and its
    server if any) or named on `server`."""
    db_type = engine_of(database, server)
    if request.db_type and request.db_type != db_type:
        raise invalid("db_type", f"{request.db_type} does not match the {db_type} database")
    destination = (database.backup_destination if database else None) or "default"
    if destination not in destinations:
        raise invalid("backup_destination", f"unknown backup destination {destination!r}")
    compression = (
        "none"
        if not request.compress
        else request.compression_type or (database.compression if database else None) or "zstd"
    )
    owner = server.name if server else (database.host if database else None) or "local"
    return {
        "id": backup_id,
        "job_id": uuid.UUID(job_id),
        "database_id": database.id if database else None,
        "server_id": server.id if server else None,
        "database_name": name,
        "database_alias": database.name if database else None,
        "engine_name": server.name if server else None,
        "db_type": db_type,
        "backup_type": request.backup_type,
        "triggered_by": request.triggered_by,
        "compression": compression,
        "destination": destination,
        "storage_key": storage_key(db_type, owner, name, backup_id, at),
        "requested_by": request.actor.username,
    }


def endpoint_for(database: DatabaseRow | None, server: ServerRow | None, name: str) -> Endpoint:
    """Where to connect for database `name`: with a database's own login, or its server's."""
    use_server = database is None or database.use_engine_credentials
    if use_server and server is None:
        raise ValueError("no login: neither a database login nor a server")
    sealed: Any
    if use_server:
        assert server is not None
        username, sealed = server.username, server.sealed_credentials.get("password")
    else:
        assert database is not None
        username, sealed = database.username, database.sealed_password
    where = database if database is not None and (database.host or server is None) else server
    return Endpoint(
        engine=engine_of(database, server),
        host=where.host if where is not None else None,
        port=where.port if where is not None else None,
        database=name,
        username=username,
        password=msgspec.convert(sealed, SealedSecret) if sealed else None,
        password_purpose="server.password" if use_server else "database.password",
    )


def backup_view(row: BackupRow) -> BackupView:
    duration = row.duration_seconds
    return BackupView(
        id=row.id,
        job_id=str(row.job_id),
        server_id=row.server_id,
        engine_id=row.server_id,
        engine_name=row.engine_name,
        database_id=row.database_id,
        database_name=row.database_name,
        database_alias=row.database_alias,
        db_type=row.db_type,
        database_type=row.db_type,
        backup_type=row.backup_type,
        status=row.status,
        triggered_by=row.triggered_by,
        size_bytes=row.size_bytes,
        file_size_bytes=row.size_bytes,
        plain_size_bytes=row.plain_size_bytes,
        storage_path=row.storage_path,
        blob_name=row.storage_key if row.status == "completed" else None,
        destination=row.destination,
        file_format=row.file_format or FILE_FORMATS.get(row.db_type),
        is_encrypted=True,
        is_compressed=row.compression != "none",
        compression_type=row.compression,
        encryption_algorithm="AES-256-GCM",
        checksum=f"sha256:{row.checksum}" if row.checksum else None,
        tool_version=row.tool_version,
        started_at=row.started_at,
        completed_at=row.completed_at,
        duration_seconds=round(duration, 3) if duration is not None else None,
        error_message=row.error_message,
        error_cause=row.error_cause,
        attempts=row.attempts,
        verified=row.verified,
        verification_date=row.verification_date,
        verification=row.verification,
        tier=row.tier,
        retention_until=row.retention_until,
        restore_count=row.restore_count,
        last_restore_date=row.last_restore_date,
        created_at=row.created_at,
    )
