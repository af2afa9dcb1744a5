"""/backups and /restores: backup records, their progress, downloads, restores and verification,
owned by the catalog and run by the executors (000 spine; 001's history filters and blob
operations; 003's status, verify and restore status)."""

from datetime import UTC, date, datetime
from typing import Annotated, Any

import msgspec
from litestar import Request, Router, delete, get, post
from litestar.exceptions import ValidationException
from litestar.params import Parameter
from litestar.response import Stream

from contracts.backups import (
    BackupAccepted,
    BackupStatus,
    BackupType,
    BackupView,
    BlobName,
    CancelBackup,
    ColumnName,
    CreateBackup,
    CreateRestore,
    DeleteBackup,
    DeleteFiles,
    DeleteFilesResult,
    FileList,
    GetBackup,
    ListBackups,
    ListFiles,
    MaskingRule,
    MaskStrategy,
    RestoreAccepted,
    RestoreRef,
    RestoreView,
    TriggeredBy,
    VerifyAccepted,
    VerifyBackup,
)
from contracts.catalog import Deleted, EngineType
from contracts.databases import Compression, DatabaseName
from contracts.downloads import BackupDownloadLink, DownloadUrl, FileDownloadLink
from contracts.operations.catalog import Catalog
from libs.errors import Refused, invalid
from libs.storage import StorageError, validate_key
from libs.storage.destinations import DestinationError
from services.gateway.auth import guards
from services.gateway.encoded import EncodedPage, as_views
from services.gateway.routes.fields import (
    MAX_ID,
    DestinationName,
    Id,
    IdFilter,
    KeyPrefix,
    Offset,
    PageNumber,
    PathId,
)
from services.gateway.state import Gateway, actor

MAX_DOWNLOAD_HOURS = 7 * 24
BlobKey = Annotated[str, Parameter(min_length=1, max_length=1024)]


class BackupCreate(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    server_id: Id | None = None
    database_id: Id | None = None
    database_name: DatabaseName | None = None
    db_type: EngineType | None = None
    backup_type: BackupType = "full"
    compress: bool = True
    compression_type: Compression | None = None
    encrypt: bool = True


class BackupList(msgspec.Struct, frozen=True):
    total: int
    items: list[BackupView]
    count: int
    limit: int
    offset: int
    has_more: bool


class BackupStatusView(msgspec.Struct, frozen=True):
    """003's status of a backup operation."""

    backup_id: int
    status: str
    progress_percent: int | None
    current_phase: str | None
    started_at: datetime | None
    elapsed_seconds: float | None
    estimated_remaining_seconds: float | None
    bytes_processed: int | None
    total_bytes: int | None
    phases_completed: list[str]
    phases_remaining: list[str]
    current_operation: str | None
    error_message: str | None


class DownloadLink(msgspec.Struct, frozen=True):
    download_url: str
    expires_at: datetime
    blob_name: str
    expires_in_hours: float


class MaskingRuleInput(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    strategy: MaskStrategy
    value: Annotated[str, msgspec.Meta(max_length=1000)] | None = None


RuleValue = MaskStrategy | MaskingRuleInput


class RestoreCreate(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    target_server_id: Id | None = None
    target_database: DatabaseName | None = None
    mask_sensitive_data: bool = False
    masking_rules: Annotated[dict[ColumnName, RuleValue], msgspec.Meta(max_length=1000)] = {}
    dry_run: bool = False
    replace_existing: bool = False


Component = Annotated[str, msgspec.Meta(max_length=100)]


class VerifyCreate(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    deep_verification: bool = True
    test_restore: bool = False
    components: Annotated[list[Component], msgspec.Meta(max_length=50)] = []


class BulkDelete(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    blob_names: Annotated[list[BlobName], msgspec.Meta(min_length=1, max_length=1000)]


class BulkDeleted(msgspec.Struct, frozen=True):
    message: str
    deleted_count: int
    not_found_count: int
    error_count: int
    results: DeleteFilesResult


class FileDeleted(msgspec.Struct, frozen=True):
    message: str
    blob_name: str


@post("/", operation_id="createBackup", guards=[guards.operator], status_code=202)
async def create_backup(
    data: BackupCreate, request: Request[Any, Any, Any], gateway: Gateway
) -> BackupAccepted:
    fields = msgspec.structs.asdict(data)
    if data.database_id is None and data.server_id is None:
        raise invalid("server_id", "field required (or database_id)")
    return await gateway.ask(Catalog.create_backup, CreateBackup(actor=actor(request), **fields))


@get("/", operation_id="listBackups", guards=[guards.viewer])
async def list_backups(
    request: Request[Any, Any, Any],
    gateway: Gateway,
    server_id: IdFilter = None,
    engine_id: IdFilter = None,
    database_id: IdFilter = None,
    db_type: EngineType | None = None,
    database_type: EngineType | None = None,
    status: BackupStatus | None = None,
    triggered_by: TriggeredBy | None = None,
    verified: bool | None = None,
    start_date: date | None = None,
    end_date: date | None = None,
    limit: Annotated[int, Parameter(ge=1, le=500)] = 100,
    offset: Offset = 0,
    page: PageNumber = None,
    page_size: Annotated[int | None, Parameter(ge=1, le=100)] = None,
) -> BackupList:
    if page is not None or page_size is not None:  # 001's paging
        limit = page_size or 25
        offset = ((page or 1) - 1) * limit
    query = ListBackups(
        actor=actor(request),
        server_id=server_id if server_id is not None else engine_id,
        database_id=database_id,
        db_type=db_type or database_type,
        status=status,
        triggered_by=triggered_by,
        verified=verified,
        start_date=start_date,
        end_date=end_date,
        limit=limit,
        offset=offset,
    )
    found = await gateway.ask_as(Catalog.list_backups, query, EncodedPage)
    return BackupList(
        total=found.total,
        items=as_views(found.items),
        count=len(found.items),
        limit=limit,
        offset=offset,
        has_more=offset + len(found.items) < found.total,
    )


async def _backup(gateway: Gateway, request: Request[Any, Any, Any], backup_id: int) -> BackupView:
    return await gateway.ask(Catalog.get_backup, GetBackup(actor=actor(request), backup_id=backup_id))


@get("/{backup_id:int}", operation_id="getBackup", guards=[guards.viewer])
async def get_backup(backup_id: PathId, request: Request[Any, Any, Any], gateway: Gateway) -> BackupView:
    return await _backup(gateway, request, backup_id)


@get("/{backup_id:int}/status", operation_id="getBackupStatus", guards=[guards.viewer])
async def backup_status(
    backup_id: PathId, request: Request[Any, Any, Any], gateway: Gateway
) -> BackupStatusView:
    backup = await _backup(gateway, request, backup_id)
    live = gateway.live.latest.get(backup_id) if backup.status == "in_progress" else None
    done = backup.status == "completed"
    elapsed = None
    if backup.started_at:
        end = backup.completed_at or datetime.now(UTC)
        elapsed = round((end - backup.started_at).total_seconds(), 2)
    return BackupStatusView(
        backup_id=backup.id,
        status=backup.status,
        progress_percent=100
        if done
        else (live.percent if live else 0 if backup.status == "pending" else None),
        current_phase=live.phase if live else ("completed" if done else backup.status),
        started_at=backup.started_at,
        elapsed_seconds=elapsed,
        estimated_remaining_seconds=live.remaining_seconds if live else (0.0 if done else None),
        bytes_processed=live.bytes_processed if live else backup.plain_size_bytes,
        total_bytes=live.total_bytes if live else backup.plain_size_bytes,
        phases_completed=live.phases_completed if live else [],
        phases_remaining=live.phases_remaining if live else [],
        current_operation=f"{live.phase}: {backup.database_name}" if live else None,
        error_message=backup.error_message,
    )


@post("/{backup_id:int}/cancel", operation_id="cancelBackup", guards=[guards.operator], status_code=200)
async def cancel_backup(backup_id: PathId, request: Request[Any, Any, Any], gateway: Gateway) -> BackupView:
    ref = CancelBackup(actor=actor(request), backup_id=backup_id)
    return await gateway.ask(Catalog.cancel_backup, ref)


@delete("/{backup_id:int}", operation_id="deleteBackup", guards=[guards.operator], status_code=200)
async def delete_backup(backup_id: PathId, request: Request[Any, Any, Any], gateway: Gateway) -> Deleted:
    ref = DeleteBackup(actor=actor(request), backup_id=backup_id)
    return await gateway.ask(Catalog.delete_backup, ref)


def _checked_key(source: str, field: str, name: str) -> None:
    """A name no artifact can have is invalid input (422), not a storage failure."""
    try:
        validate_key(name)
    except StorageError as exc:
        raise ValidationException(
            detail=f"invalid {field}", extra=[{"key": field, "source": source, "message": str(exc)}]
        ) from None


def _link(request: Request[Any, Any, Any], found: DownloadUrl, hours: float) -> DownloadLink:
    url = found.url
    if url.startswith("/"):  # served by this gateway (local storage): at the address the client used
        url = str(request.base_url).rstrip("/") + url
    return DownloadLink(
        download_url=url, expires_at=found.expires_at, blob_name=found.key, expires_in_hours=hours
    )


@post("/{backup_id:int}/download", operation_id="downloadBackup", guards=[guards.operator], status_code=200)
async def download_backup(
    backup_id: PathId,
    request: Request[Any, Any, Any],
    gateway: Gateway,
    expiry_hours: Annotated[float, Parameter(gt=0, le=MAX_DOWNLOAD_HOURS)] = 1,
) -> DownloadLink:
    ask = BackupDownloadLink(
        actor=actor(request), backup_id=backup_id, expires_seconds=int(expiry_hours * 3600)
    )
    return _link(request, await gateway.ask(Catalog.backup_download_link, ask), expiry_hours)


@get("/download", operation_id="downloadBackupFile", guards=[guards.operator])
async def download_file(
    request: Request[Any, Any, Any],
    gateway: Gateway,
    blob_name: BlobKey,
    expiry_hours: Annotated[float, Parameter(gt=0, le=MAX_DOWNLOAD_HOURS)] = 24,
    destination: Annotated[str, Parameter(max_length=100)] = "default",
) -> DownloadLink:
    _checked_key("query", "blob_name", blob_name)
    ask = FileDownloadLink(
        actor=actor(request), key=blob_name, destination=destination, expires_seconds=int(expiry_hours * 3600)
    )
    return _link(request, await gateway.ask(Catalog.file_download_link, ask), expiry_hours)


@get("/files/content", operation_id="fetchSignedBackupFile", security=[], include_in_schema=True)
async def fetch_file(
    gateway: Gateway,
    destination: Annotated[str, Parameter(max_length=100)],
    key: BlobKey,
    expires: Annotated[int, Parameter(ge=0, le=MAX_ID)],
    kid: Annotated[str, Parameter(max_length=200)],
    signature: Annotated[str, Parameter(max_length=200)],
) -> Stream:
    """Public, but only with a valid, unexpired signature from `/backups/{id}/download`."""
    why_not = gateway.downloads.check(destination, key, expires, kid, signature)
    if why_not:
        raise Refused(403, "INVALID_SIGNATURE", why_not)
    try:
        storage = gateway.destinations.get(destination)
        if not await storage.exists(key):
            raise Refused(404, "NOT_FOUND", f"backup file {key!r} not found")
    except (DestinationError, StorageError) as exc:
        raise Refused(404, "NOT_FOUND", str(exc)) from None
    filename = key.rsplit("/", 1)[-1]
    return Stream(
        storage.read(key),
        media_type="application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@get("/files", operation_id="listBackupFiles", guards=[guards.viewer])
async def list_files(
    request: Request[Any, Any, Any],
    gateway: Gateway,
    prefix: KeyPrefix = "",
    limit: Annotated[int, Parameter(ge=1, le=1000)] = 100,
    destination: DestinationName = None,
) -> FileList:
    query = ListFiles(actor=actor(request), prefix=prefix, limit=limit, destination=destination)
    return await gateway.ask(Catalog.list_files, query)


@delete("/delete", operation_id="deleteBackupFile", guards=[guards.operator], status_code=200)
async def delete_file(
    request: Request[Any, Any, Any],
    gateway: Gateway,
    blob_name: Annotated[str | None, Parameter(max_length=1024)] = None,
    destination: DestinationName = None,
) -> FileDeleted:
    if not blob_name:
        raise Refused(400, "BAD_REQUEST", "blob_name parameter is required", "blob_name")
    _checked_key("query", "blob_name", blob_name)
    command = DeleteFiles(actor=actor(request), blob_names=[blob_name], destination=destination)
    result = await gateway.ask(Catalog.delete_files, command)
    if result.errors:
        raise Refused(502, "STORAGE_ERROR", result.errors[0])
    if not result.deleted:
        raise Refused(404, "NOT_FOUND", f"backup file {blob_name!r} not found")
    return FileDeleted(message=f"Backup '{blob_name}' deleted successfully", blob_name=blob_name)


@post("/delete-bulk", operation_id="deleteBackupFiles", guards=[guards.operator], status_code=200)
async def delete_files(
    data: BulkDelete, request: Request[Any, Any, Any], gateway: Gateway, destination: DestinationName = None
) -> BulkDeleted:
    for index, name in enumerate(data.blob_names):
        _checked_key("body", f"blob_names.{index}", name)
    command = DeleteFiles(actor=actor(request), blob_names=data.blob_names, destination=destination)
    result = await gateway.ask(Catalog.delete_files, command)
    return BulkDeleted(
        message=f"Deleted {len(result.deleted)} backup(s)",
        deleted_count=len(result.deleted),
        not_found_count=len(result.not_found),
        error_count=len(result.errors),
        results=result,
    )


@post("/{backup_id:int}/restore", operation_id="restoreBackup", guards=[guards.operator], status_code=202)
async def restore_backup(
    backup_id: PathId, data: RestoreCreate, request: Request[Any, Any, Any], gateway: Gateway
) -> RestoreAccepted:
    rules = {
        column: MaskingRule(strategy=rule)
        if isinstance(rule, str)
        else MaskingRule(**msgspec.structs.asdict(rule))
        for column, rule in data.masking_rules.items()
    }
    fields = {**msgspec.structs.asdict(data), "masking_rules": rules}
    command = CreateRestore(actor=actor(request), backup_id=backup_id, **fields)
    return await gateway.ask(Catalog.create_restore, command)


@post("/{backup_id:int}/verify", operation_id="verifyBackup", guards=[guards.operator], status_code=202)
async def verify_backup(
    backup_id: PathId, request: Request[Any, Any, Any], gateway: Gateway, data: VerifyCreate | None = None
) -> VerifyAccepted:
    options = data or VerifyCreate()
    command = VerifyBackup(
        actor=actor(request),
        backup_id=backup_id,
        test_restore=options.test_restore,
        deep_verification=options.deep_verification,
    )
    return await gateway.ask(Catalog.verify_backup, command)


class RestoreStatusView(msgspec.Struct, frozen=True):
    """003's restore status, with the record's outcome."""

    restore: RestoreView
    restore_id: int
    backup_id: int
    status: str
    progress_percent: int | None
    current_phase: str | None
    bytes_restored: int | None
    total_bytes: int | None
    elapsed_seconds: float | None
    estimated_remaining_seconds: float | None
    phases_completed: list[str]
    phases_remaining: list[str]
    warnings: list[str]
    errors: list[str]


@get("/{restore_id:int}", operation_id="getRestore", guards=[guards.viewer])
async def get_restore(
    restore_id: PathId, request: Request[Any, Any, Any], gateway: Gateway
) -> RestoreStatusView:
    ref = RestoreRef(actor=actor(request), restore_id=restore_id)
    restore = await gateway.ask(Catalog.get_restore, ref)
    live = gateway.live.restores.get(restore_id) if restore.status == "in_progress" else None
    done = restore.status == "completed"
    return RestoreStatusView(
        restore=restore,
        restore_id=restore.restore_id,
        backup_id=restore.backup_id,
        status=restore.status,
        progress_percent=100 if done else (live.percent if live else None),
        current_phase=live.phase if live else restore.status,
        bytes_restored=live.bytes_processed if live else restore.bytes_restored,
        total_bytes=live.total_bytes if live else None,
        elapsed_seconds=live.elapsed_seconds if live else restore.duration_seconds,
        estimated_remaining_seconds=live.remaining_seconds if live else None,
        phases_completed=live.phases_completed if live else [],
        phases_remaining=live.phases_remaining if live else [],
        warnings=restore.warnings,
        errors=restore.errors,
    )


router = Router(
    path="/backups",
    tags=["backups"],
    route_handlers=[
        create_backup,
        list_backups,
        get_backup,
        backup_status,
        cancel_backup,
        delete_backup,
        download_backup,
        download_file,
        fetch_file,
        list_files,
        delete_file,
        delete_files,
        restore_backup,
        verify_backup,
    ],
)
restores_router = Router(path="/restores", tags=["backups"], route_handlers=[get_restore])
