"""Rules for servers, as pure functions of data: defaults, credential checks, what changed."""

from typing import Any

import msgspec

from contracts.catalog import CreateServer, SealedCredentials, ServerView, UpdateServer
from libs.errors import invalid
from libs.structs import given
from services.catalog.store.rows import ServerRow

DEFAULT_PORTS = {"postgresql": 5432, "mysql": 3306, "mariadb": 3306, "redis": 6379}
REQUEST_FIELDS = {"actor", "correlation_id", "server_id"}


def default_port(engine_type: str, port: int | None) -> int | None:
    return port if port is not None else DEFAULT_PORTS.get(engine_type)


def auth_method(requested: str | None, credentials: SealedCredentials | None) -> str:
    if requested is not None:
        return requested
    return "user_password" if credentials and credentials.password else "none"


def check_credentials(method: str, credentials: SealedCredentials | None) -> None:
    if method == "user_password":
        if credentials is None or not credentials.username:
            raise invalid("credentials.username", "required when auth_method is user_password")
        if credentials.password is None:
            raise invalid("credentials.password", "required when auth_method is user_password")


def sealed_columns(credentials: SealedCredentials | None) -> dict[str, Any]:
    if credentials is None:
        return {}
    sealed = {"password": credentials.password, "ssh_key": credentials.ssh_key}
    return {k: msgspec.to_builtins(v) for k, v in sealed.items() if v is not None}


def new_server_values(request: CreateServer) -> dict[str, Any]:
    method = auth_method(request.auth_method, request.credentials)
    check_credentials(method, request.credentials)
    return {
        "name": request.name.strip(),
        "description": request.description,
        "type": request.type,
        "environment": request.environment,
        "engine_type": request.engine_type,
        "host": request.host,
        "port": default_port(request.engine_type, request.port),
        "auth_method": method,
        "username": request.credentials.username if request.credentials else None,
        "sealed_credentials": sealed_columns(request.credentials),
        "discovery_enabled": request.discovery_enabled,
        "tags": request.tags,
    }


def changed_values(request: UpdateServer, current: ServerView) -> dict[str, Any]:
    """The columns an update sets; credentials replace the stored ones as a whole."""
    sent = given(request, exclude=REQUEST_FIELDS)
    changes: dict[str, Any] = {k: v for k, v in sent.items() if k != "credentials"}
    if "name" in changes:
        changes["name"] = changes["name"].strip()
    credentials = sent.get("credentials")
    method = changes.get("auth_method", current.auth_method)
    if credentials is not None:
        method = auth_method(changes.get("auth_method"), credentials)
        check_credentials(method, credentials)
        changes.update(
            auth_method=method, username=credentials.username, sealed_credentials=sealed_columns(credentials)
        )
    elif "auth_method" in changes and method == "user_password" and not current.has_password:
        raise invalid("credentials.password", "required when auth_method is user_password")
    if (
        "engine_type" in changes
        and "port" not in changes
        and current.port == DEFAULT_PORTS.get(current.engine_type)
    ):
        changes["port"] = default_port(changes["engine_type"], None)
    return changes


def view(row: ServerRow) -> ServerView:
    return ServerView(
        id=row.id,
        name=row.name,
        description=row.description,
        type=row.type,
        environment=row.environment,
        engine_type=row.engine_type,
        host=row.host,
        port=row.port,
        auth_method=row.auth_method,
        username=row.username,
        has_password="password" in row.sealed_credentials,
        has_ssh_key="ssh_key" in row.sealed_credentials,
        discovery_enabled=row.discovery_enabled,
        database_count=row.database_count,
        tags=row.tags,
        health_status=row.health_status,
        last_heartbeat=row.last_heartbeat,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
