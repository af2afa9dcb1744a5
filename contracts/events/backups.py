"""Events of backups, restores and verifications. The catalog records requests and their
outcome; the executor reports what happened. Storage keys and manifests travel here, never
dumps or credentials. Names follow 003's webhook events (`backup.completed`, ...)."""

from contracts.envelope import Event


class _Backup(Event, frozen=True, kw_only=True):
    context = "backup"


class BackupRequested(_Backup, frozen=True, kw_only=True, tag="backup.requested"):
    backup_id: int
    job_id: str
    database_id: int | None
    server_id: int | None
    database_name: str
    db_type: str
    triggered_by: str = "manual"
    schedule_id: int | None = None


class BackupStarted(_Backup, frozen=True, kw_only=True, tag="backup.started"):
    backup_id: int
    job_id: str
    fence: int
    executor: str


class BackupCompleted(_Backup, frozen=True, kw_only=True, tag="backup.completed"):
    backup_id: int
    job_id: str
    fence: int
    database_id: int | None = None
    server_id: int | None = None
    database_name: str = ""
    destination: str
    storage_key: str
    storage_path: str
    size_bytes: int
    plain_size_bytes: int
    sha256: str
    sha256_plain: str
    compression: str
    key_id: str
    tool_version: str
    file_format: str
    duration_seconds: float


class BackupFailed(_Backup, frozen=True, kw_only=True, tag="backup.failed"):
    backup_id: int
    job_id: str
    fence: int
    database_id: int | None = None
    server_id: int | None = None
    database_name: str = ""
    cause: str
    error: str


class BackupCancelled(_Backup, frozen=True, kw_only=True, tag="backup.cancelled"):
    backup_id: int
    job_id: str


class BackupDeleted(_Backup, frozen=True, kw_only=True, tag="backup.deleted"):
    backup_id: int
    database_id: int | None
    storage_key: str | None


class BackupVerified(_Backup, frozen=True, kw_only=True, tag="backup.verified"):
    backup_id: int
    job_id: str
    passed: bool
    checks: dict[str, str]
    issues: list[str] = []
    table_counts: dict[str, int] = {}
    duration_seconds: float = 0.0


class RestoreRequested(_Backup, frozen=True, kw_only=True, tag="restore.requested"):
    restore_id: int
    backup_id: int
    job_id: str
    target_server_id: int | None
    target_database: str
    masked: bool = False
    dry_run: bool = False


class RestoreStarted(_Backup, frozen=True, kw_only=True, tag="restore.started"):
    restore_id: int
    backup_id: int
    job_id: str
    fence: int
    executor: str


class RestoreCompleted(_Backup, frozen=True, kw_only=True, tag="restore.completed"):
    restore_id: int
    backup_id: int
    job_id: str
    fence: int
    bytes_restored: int
    masked_columns: dict[str, int] = {}
    table_counts: dict[str, int] = {}
    warnings: list[str] = []
    duration_seconds: float


class RestoreFailed(_Backup, frozen=True, kw_only=True, tag="restore.failed"):
    restore_id: int
    backup_id: int
    job_id: str
    fence: int
    cause: str
    error: str
