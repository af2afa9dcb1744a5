"""Rules for backup and restore records, as pure functions of data."""

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import msgspec

from contracts.backups import BackupView, RestoreView
from contracts.connections import Endpoint
from contracts.secrets import SealedSecret
from libs.errors import Refused

FILE_FORMATS = {"postgresql": "pgdump", "mysql": "sql", "mariadb": "sql", "sqlite": "sqlite3", "redis": "rdb"}
ACTIVE = ("pending", "in_progress")
ARTIFACT_SUFFIX = ".lbart"


def claim(row: dict[str, Any], fence: int, executor: str) -> dict[str, Any]:
    """The columns a backup or restore record takes when an executor claims its job with
    fencing token `fence`; an attempt older than the record's is refused."""
    if fence <= row["fence"]:
        raise Refused(409, "STALE_ATTEMPT", f"attempt {fence} is older than {row['fence']}")
    return {
        "status": "in_progress",
        "fence": fence,
        "attempts": row["attempts"] + 1,
        "executor": executor,
        "started_at": row["started_at"] or datetime.now(UTC),
    }


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-.")[:60] or "db"


def storage_key(db_type: str, owner: str, database_name: str, backup_id: int, at: datetime) -> str:
    """`<engine>/<owner>/<database>/<YYYYmmdd_HHMMSS>_b<id>.<format>` — the executor adds the
    attempt (`.a<fence>`) and `.lbart`, so attempts never write to each other's keys."""
    stamp = at.strftime("%Y%m%d_%H%M%S")
    name = f"{stamp}_b{backup_id}.{FILE_FORMATS.get(db_type, 'dump')}"
    return f"{db_type}/{_slug(owner)}/{_slug(database_name)}/{name}"


def endpoint_for(database: dict[str, Any] | None, server: dict[str, Any] | None, name: str) -> Endpoint:
    """Where to connect for database `name`: with a database's own login, or its server's."""
    use_server = database is None or database["use_engine_credentials"]
    if use_server and server is None:
        raise ValueError("no login: neither a database login nor a server")
    if use_server:
        assert server is not None
        username, sealed = server["username"], (server["sealed_credentials"] or {}).get("password")
    else:
        assert database is not None
        username, sealed = database["username"], database["sealed_password"]
    where = database if database and database["host"] else server or database or {}
    return Endpoint(
        engine=(database or {}).get("database_type") or (server or {})["engine_type"],
        host=where.get("host"),
        port=where.get("port"),
        database=name,
        username=username,
        password=msgspec.convert(sealed, SealedSecret) if sealed else None,
        password_purpose="server.password" if use_server else "database.password",
    )


def backup_view(row: Mapping[str, Any]) -> BackupView:
    duration = row["duration_seconds"]
    return BackupView(
        id=row["id"],
        job_id=str(row["job_id"]),
        server_id=row["server_id"],
        engine_id=row["server_id"],
        engine_name=row["engine_name"],
        database_id=row["database_id"],
        database_name=row["database_name"],
        database_alias=row["database_alias"],
        db_type=row["db_type"],
        database_type=row["db_type"],
        backup_type=row["backup_type"],
        status=row["status"],
        triggered_by=row["triggered_by"],
        size_bytes=row["size_bytes"],
        file_size_bytes=row["size_bytes"],
        plain_size_bytes=row["plain_size_bytes"],
        storage_path=row["storage_path"],
        blob_name=row["storage_key"] if row["status"] == "completed" else None,
        destination=row["destination"],
        file_format=row["file_format"] or FILE_FORMATS.get(row["db_type"]),
        is_encrypted=True,
        is_compressed=row["compression"] != "none",
        compression_type=row["compression"],
        encryption_algorithm="AES-256-GCM",
        checksum=f"sha256:{row['checksum']}" if row["checksum"] else None,
        tool_version=row["tool_version"],
        started_at=row["started_at"],
        completed_at=row["completed_at"],
        duration_seconds=round(duration, 3) if duration is not None else None,
        error_message=row["error_message"],
        error_cause=row["error_cause"],
        attempts=row["attempts"],
        verified=row["verified"],
        verification_date=row["verification_date"],
        verification=row["verification"],
        tier=row["tier"],
        retention_until=row["retention_until"],
        restore_count=row.get("restore_count") or 0,
        last_restore_date=row.get("last_restore_date"),
        created_at=row["created_at"],
    )


def restore_view(row: dict[str, Any]) -> RestoreView:
    return RestoreView(
        restore_id=row["id"],
        id=row["id"],
        backup_id=row["backup_id"],
        task_id=str(row["job_id"]),
        status=row["status"],
        target_server_id=row["target_server_id"],
        target_database=row["target_database"],
        mask_sensitive_data=row["mask_sensitive_data"],
        dry_run=row["dry_run"],
        replace_existing=row["replace_existing"],
        started_at=row["started_at"],
        completed_at=row["completed_at"],
        duration_seconds=row["duration_seconds"],
        bytes_restored=row["bytes_restored"],
        masked_columns=row["masked_columns"],
        table_counts=row["table_counts"],
        warnings=row["warnings"],
        errors=row["errors"],
        created_at=row["created_at"],
    )
