"""What a row of each catalog table is, as the store hands it out: frozen Structs built
positionally from a SELECT whose columns are `columns(Row, ...)`, in the Struct's field order.
Data only (no SQL, no driver), so the pure rules can read them."""

import uuid
from datetime import datetime
from typing import Any

import msgspec

from contracts.backups import BackupStatus, BackupType, TriggeredBy
from contracts.catalog import AuthMethod, EngineType, HealthStatus, HostingType
from contracts.databases import Compression


def columns(row: type[msgspec.Struct], alias: str, **computed: str) -> str:
    """The SELECT list that builds `row` positionally: `alias.field` for each field, or the
    expression given for it (a joined column, a subquery), in the Struct's field order."""
    return ", ".join(
        f"{computed[name]} AS {name}" if name in computed else f"{alias}.{name}"
        for name in row.__struct_fields__
    )


class ServerRow(msgspec.Struct, frozen=True):
    id: int
    name: str
    description: str | None
    type: HostingType
    environment: str | None
    engine_type: EngineType
    host: str
    port: int | None
    auth_method: AuthMethod
    username: str | None
    sealed_credentials: dict[str, Any]  # {"password": SealedSecret, "ssh_key": ...} as JSON
    discovery_enabled: bool
    tags: dict[str, str]
    health_status: HealthStatus
    last_heartbeat: datetime | None
    created_at: datetime
    updated_at: datetime
    database_count: int = 0


class DatabaseRow(msgspec.Struct, frozen=True):
    id: int
    name: str
    database_type: EngineType
    server_id: int | None
    use_engine_credentials: bool
    host: str | None
    port: int | None
    database_name: str
    username: str | None
    sealed_password: dict[str, Any] | None  # a SealedSecret as JSON
    policy_id: int | None
    enabled: bool
    compression: Compression
    backup_destination: str | None
    tags: dict[str, str]
    created_at: datetime
    updated_at: datetime
    retention_days: int | None
    engine_name: str | None  # the server's name


class BackupRow(msgspec.Struct, frozen=True):
    id: int
    job_id: uuid.UUID
    database_id: int | None
    server_id: int | None
    database_name: str
    database_alias: str | None
    engine_name: str | None
    db_type: EngineType
    backup_type: BackupType
    status: BackupStatus
    triggered_by: TriggeredBy
    compression: Compression
    destination: str
    storage_key: str | None
    storage_path: str | None
    size_bytes: int | None
    plain_size_bytes: int | None
    checksum: str | None
    sha256_plain: str | None
    key_id: str | None
    tool_version: str | None
    file_format: str | None
    fence: int
    attempts: int
    executor: str | None
    started_at: datetime | None
    completed_at: datetime | None
    duration_seconds: float | None
    error_message: str | None
    error_cause: str | None
    verified: bool
    verification_date: datetime | None
    verification: dict[str, object] | None
    tier: str | None
    retention_until: datetime | None
    requested_by: str | None
    created_at: datetime
    updated_at: datetime
    schedule_id: int | None
    fire_key: str | None
    restore_count: int  # completed restores from this backup
    last_restore_date: datetime | None


class RestoreRow(msgspec.Struct, frozen=True):
    id: int
    job_id: uuid.UUID
    backup_id: int
    target_server_id: int | None
    target_database: str
    target_endpoint: dict[str, Any]  # an Endpoint as JSON
    masking_rules: dict[str, Any]  # {column: MaskingRule} as JSON
    mask_sensitive_data: bool
    dry_run: bool
    replace_existing: bool
    status: BackupStatus
    fence: int
    attempts: int
    executor: str | None
    started_at: datetime | None
    completed_at: datetime | None
    duration_seconds: float | None
    bytes_restored: int | None
    masked_columns: dict[str, int]
    table_counts: dict[str, int]
    warnings: list[str]
    errors: list[str]
    requested_by: str | None
    created_at: datetime
    updated_at: datetime
