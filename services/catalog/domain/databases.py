"""Rules for database configurations, as pure functions of data."""

from pathlib import Path
from typing import Any

import msgspec

from contracts.catalog import ServerView
from contracts.databases import CreateDatabase, DatabaseView, UpdateDatabase
from libs.confinement import OUTSIDE_ROOTS, confined
from libs.errors import invalid
from libs.structs import given
from services.catalog.domain.servers import DEFAULT_PORTS
from services.catalog.store.rows import DatabaseRow

# Engines whose dump tools need a login; SQLite is a file and Redis may run without a password.
NEEDS_LOGIN = {"postgresql", "mysql", "mariadb"}
FAMILY = {"mysql": "mysql", "mariadb": "mysql"}
REQUEST_FIELDS = {"actor", "correlation_id", "database_id"}


def _family(engine_type: str) -> str:
    return FAMILY.get(engine_type, engine_type)


def check(values: dict[str, Any], server: ServerView | None) -> None:
    """The rules every stored configuration satisfies, whichever request produced it."""
    kind = values["database_type"]
    if values["use_engine_credentials"] and server is None:
        raise invalid("engine_id", "required when use_engine_credentials is true")
    if server is not None and _family(server.engine_type) != _family(kind):
        raise invalid("database_type", f"{kind} does not match the {server.engine_type} server")
    if values["host"] is None and kind != "sqlite":
        raise invalid("host", "required when no engine_id is given")
    if not values["use_engine_credentials"] and kind in NEEDS_LOGIN:
        if not values["username"]:
            raise invalid("username", "required unless use_engine_credentials is true")
        if values["sealed_password"] is None:
            raise invalid("password", "required unless use_engine_credentials is true")


def check_confined(values: dict[str, Any], sqlite_roots: tuple[Path, ...]) -> None:
    """A SQLite database's file lies under a root (lexically here; the executor, which sees the
    files, checks again with symlinks resolved before it touches anything)."""
    if values["database_type"] == "sqlite":
        if confined(values["database_name"], sqlite_roots, follow_symlinks=False) is None:
            raise invalid("database_name", OUTSIDE_ROOTS)


def new_database_values(request: CreateDatabase, server: ServerView | None) -> dict[str, Any]:
    host = request.host or (server.host if server else None)
    port = request.port
    if port is None:
        port = server.port if server and host == server.host else DEFAULT_PORTS.get(request.database_type)
    values = {
        "name": request.name.strip(),
        "database_type": request.database_type,
        "server_id": request.engine_id,
        "use_engine_credentials": request.use_engine_credentials,
        "host": host,
        "port": port,
        "database_name": request.database_name,
        "username": request.username,
        "sealed_password": msgspec.to_builtins(request.password) if request.password else None,
        "policy_id": request.policy_id,
        "enabled": request.enabled,
        "compression": request.compression,
        "backup_destination": request.backup_destination,
        "tags": request.tags,
    }
    check(values, server)
    return values


def changed_values(request: UpdateDatabase) -> dict[str, Any]:
    changes = given(request, exclude=REQUEST_FIELDS)
    if "engine_id" in changes:
        changes["server_id"] = changes.pop("engine_id")
    if "password" in changes:
        changes["sealed_password"] = msgspec.to_builtins(changes.pop("password"))
    if "name" in changes:
        changes["name"] = changes["name"].strip()
    return changes


def view(row: DatabaseRow) -> DatabaseView:
    return DatabaseView(
        id=row.id,
        name=row.name,
        database_type=row.database_type,
        engine_id=row.server_id,
        engine_name=row.engine_name,
        use_engine_credentials=row.use_engine_credentials,
        host=row.host,
        port=row.port,
        database_name=row.database_name,
        username=row.username,
        has_password=row.sealed_password is not None,
        policy_id=row.policy_id,
        retention_days=row.retention_days,
        enabled=row.enabled,
        compression=row.compression,
        backup_destination=row.backup_destination,
        tags=row.tags,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
