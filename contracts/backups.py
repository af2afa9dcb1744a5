"""Requests and replies of the catalog's backup, restore and verify operations, and the
executor's begin-job handshake (`lb.rpc.catalog.*`)."""

from datetime import date, datetime
from typing import Annotated, Literal

import msgspec

from contracts.catalog import EngineType, Limit, Offset
from contracts.connections import Endpoint
from contracts.databases import Compression, DatabaseName
from contracts.rpc import Request

BackupStatus = Literal["pending", "in_progress", "completed", "failed", "cancelled"]
BackupType = Literal["full"]
TriggeredBy = Literal["manual", "scheduler", "api"]
MaskStrategy = Literal["hash", "randomize", "null", "fixed"]
ColumnName = Annotated[str, msgspec.Meta(min_length=1, max_length=128)]


class CreateBackup(Request, frozen=True, kw_only=True):
    """`POST /backups` (000: server + database name) or `POST /databases/{id}/backup` (001)."""

    database_id: int | None = None
    server_id: int | None = None
    database_name: DatabaseName | None = None
    db_type: EngineType | None = None
    backup_type: BackupType = "full"
    compress: bool = True
    compression_type: Compression | None = None
    encrypt: bool = True
    triggered_by: TriggeredBy = "manual"


class BackupAccepted(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    status: str
    message: str
    task_id: str
    job_id: str


class ListBackups(Request, frozen=True, kw_only=True):
    server_id: int | None = None
    database_id: int | None = None
    db_type: EngineType | None = None
    status: BackupStatus | None = None
    triggered_by: TriggeredBy | None = None
    start_date: date | None = None
    end_date: date | None = None
    verified: bool | None = None
    limit: Limit = 100
    offset: Offset = 0


class BackupRef(Request, frozen=True, kw_only=True):
    backup_id: int


class GetBackup(BackupRef, frozen=True, kw_only=True):
    """One backup record."""


class CancelBackup(BackupRef, frozen=True, kw_only=True):
    """Cancel a pending or running backup."""


class DeleteBackup(BackupRef, frozen=True, kw_only=True):
    """Delete a backup record and its artifact."""


class BackupView(msgspec.Struct, frozen=True, kw_only=True):
    """A backup record with the field names of 000 (spine), 001 and 003."""

    id: int
    job_id: str
    server_id: int | None
    engine_id: int | None
    engine_name: str | None
    database_id: int | None
    database_name: str
    database_alias: str | None
    db_type: str
    database_type: str
    backup_type: str
    status: str
    triggered_by: str
    size_bytes: int | None
    file_size_bytes: int | None
    plain_size_bytes: int | None
    storage_path: str | None
    blob_name: str | None
    destination: str | None
    file_format: str | None
    is_encrypted: bool
    is_compressed: bool
    compression_type: str
    encryption_algorithm: str | None
    checksum: str | None
    tool_version: str | None
    started_at: datetime | None
    completed_at: datetime | None
    duration_seconds: float | None
    error_message: str | None
    error_cause: str | None
    attempts: int
    verified: bool
    verification_date: datetime | None
    verification: dict[str, object] | None
    tier: str | None
    retention_until: datetime | None
    restore_count: int
    last_restore_date: datetime | None
    created_at: datetime


class BackupPage(msgspec.Struct, frozen=True, kw_only=True):
    items: list[BackupView]
    total: int


class BackupSpec(msgspec.Struct, frozen=True, kw_only=True):
    """What an executor needs to run a backup job; the password sealed."""

    backup_id: int
    job_id: str
    fence: int
    endpoint: Endpoint
    compression: Compression
    destination: str
    storage_key: str


class BeginJob(Request, frozen=True, kw_only=True):
    """executor → catalog: claim job `job_id` for `executor` with fencing token `fence`."""

    job_id: str
    backup_id: int
    restore_id: int | None = None
    fence: int
    executor: str


class BeginBackup(BeginJob, frozen=True, kw_only=True):
    """executor → catalog: claim a backup job."""


class BeginRestore(BeginJob, frozen=True, kw_only=True):
    """executor → catalog: claim a restore job."""


class BeginVerify(BeginJob, frozen=True, kw_only=True):
    """executor → catalog: claim a verify job."""


class MaskingRule(msgspec.Struct, frozen=True, kw_only=True):
    strategy: MaskStrategy
    value: str | None = None


class CreateRestore(Request, frozen=True, kw_only=True):
    """`POST /backups/{id}/restore` (000), with 003's dry_run."""

    backup_id: int
    target_server_id: int | None = None
    target_database: DatabaseName | None = None
    mask_sensitive_data: bool = False
    masking_rules: dict[ColumnName, MaskingRule] = {}
    dry_run: bool = False
    replace_existing: bool = False


class RestoreAccepted(msgspec.Struct, frozen=True, kw_only=True):
    task_id: str
    restore_id: int
    backup_id: int
    status: str
    message: str


class RestoreRef(Request, frozen=True, kw_only=True):
    restore_id: int


class RestoreView(msgspec.Struct, frozen=True, kw_only=True):
    restore_id: int
    id: int
    backup_id: int
    task_id: str
    status: str
    target_server_id: int | None
    target_database: str
    mask_sensitive_data: bool
    dry_run: bool
    replace_existing: bool
    started_at: datetime | None
    completed_at: datetime | None
    duration_seconds: float | None
    bytes_restored: int | None
    masked_columns: dict[str, int]
    table_counts: dict[str, int]
    warnings: list[str]
    errors: list[str]
    created_at: datetime


class RestoreSpec(msgspec.Struct, frozen=True, kw_only=True):
    restore_id: int
    backup_id: int
    job_id: str
    fence: int
    endpoint: Endpoint
    destination: str
    storage_key: str
    checksum: str | None
    masking_rules: dict[str, MaskingRule]
    dry_run: bool
    replace_existing: bool


class VerifyBackup(Request, frozen=True, kw_only=True):
    backup_id: int
    test_restore: bool = False
    deep_verification: bool = True


class VerifyAccepted(msgspec.Struct, frozen=True, kw_only=True):
    backup_id: int
    task_id: str
    verification_status: str
    message: str


class VerifySpec(msgspec.Struct, frozen=True, kw_only=True):
    """A verify job's artifact, and the source's endpoint for a test restore (a throw-away
    database is created beside the source and dropped afterwards); None if the server is gone."""

    backup_id: int
    job_id: str
    destination: str
    storage_key: str
    checksum: str | None
    endpoint: Endpoint | None


class ListFiles(Request, frozen=True, kw_only=True):
    """001's `GET /backups/files`: artifacts in a destination, by key prefix."""

    prefix: str = ""
    limit: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 100
    destination: str | None = None


class StoredFile(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    size: int
    created_at: datetime
    last_modified: datetime
    content_type: str
    backup_id: int | None = None


class FileList(msgspec.Struct, frozen=True, kw_only=True):
    files: list[StoredFile]
    count: int


BlobName = Annotated[str, msgspec.Meta(min_length=1, max_length=1024)]


class DeleteFiles(Request, frozen=True, kw_only=True):
    """001's single and bulk file deletes; a completed backup stored there is deleted with it."""

    blob_names: Annotated[list[BlobName], msgspec.Meta(min_length=1, max_length=1000)]
    destination: str | None = None


class DeleteFilesResult(msgspec.Struct, frozen=True, kw_only=True):
    deleted: list[str]
    not_found: list[str]
    errors: list[str]
