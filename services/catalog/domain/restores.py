"""Rules for restore records, as pure functions of data: which backups restore where, with
which masking rules."""

import uuid
from pathlib import Path
from typing import Any

import msgspec

from contracts.backups import CreateRestore, RestoreView
from contracts.connections import Endpoint
from libs.confinement import OUTSIDE_ROOTS, confined
from libs.errors import conflict, invalid
from services.catalog.domain.backups import FILE_FORMATS
from services.catalog.store.rows import BackupRow, RestoreRow, ServerRow

MASKABLE = ("postgresql", "mysql", "mariadb")


def check_restore(backup: BackupRow, request: CreateRestore) -> None:
    if backup.status != "completed":
        raise conflict(f"backup {backup.id} is {backup.status}; only completed backups restore")
    if request.mask_sensitive_data and not request.masking_rules:
        raise invalid("masking_rules", "required when mask_sensitive_data is true")
    if request.masking_rules and backup.db_type not in MASKABLE:
        raise invalid("masking_rules", f"masking is not supported for {backup.db_type}")
    for column, rule in request.masking_rules.items():
        if rule.strategy == "fixed" and rule.value is None:
            raise invalid(f"masking_rules.{column}.value", "required for the fixed strategy")


def target_name(backup: BackupRow, request: CreateRestore, sqlite_roots: tuple[Path, ...]) -> str:
    """The database restored into; a SQLite file only under a root (lexically, as on create)."""
    name = request.target_database or backup.database_name
    if backup.db_type == "sqlite" and confined(name, sqlite_roots, follow_symlinks=False) is None:
        raise invalid("target_database", OUTSIDE_ROOTS)
    return name


def check_target_server(backup: BackupRow, server: ServerRow) -> None:
    if FILE_FORMATS.get(server.engine_type) != FILE_FORMATS.get(backup.db_type):
        raise invalid(
            "target_server_id", f"a {backup.db_type} backup cannot restore into {server.engine_type}"
        )


def new_restore_values(
    backup: BackupRow, request: CreateRestore, endpoint: Endpoint, job_id: uuid.UUID
) -> dict[str, Any]:
    return {
        "job_id": job_id,
        "backup_id": backup.id,
        "target_server_id": request.target_server_id or backup.server_id,
        "target_database": endpoint.database,
        "target_endpoint": msgspec.to_builtins(endpoint),
        "masking_rules": msgspec.to_builtins(request.masking_rules if request.mask_sensitive_data else {}),
        "mask_sensitive_data": request.mask_sensitive_data,
        "dry_run": request.dry_run,
        "replace_existing": request.replace_existing,
        "requested_by": request.actor.username,
    }


def restore_view(row: RestoreRow) -> RestoreView:
    return RestoreView(
        restore_id=row.id,
        id=row.id,
        backup_id=row.backup_id,
        task_id=str(row.job_id),
        status=row.status,
        target_server_id=row.target_server_id,
        target_database=row.target_database,
        mask_sensitive_data=row.mask_sensitive_data,
        dry_run=row.dry_run,
        replace_existing=row.replace_existing,
        started_at=row.started_at,
        completed_at=row.completed_at,
        duration_seconds=row.duration_seconds,
        bytes_restored=row.bytes_restored,
        masked_columns=row.masked_columns,
        table_counts=row.table_counts,
        warnings=row.warnings,
        errors=row.errors,
        created_at=row.created_at,
    )
