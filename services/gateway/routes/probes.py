"""Connection tests, discovery and import (000's `/servers/{id}/test-connection` and
`/servers/{id}/databases`, 001's `/databases/test-connection`, engine discover and import),
and 001's `POST /databases/{id}/backup`. The catalog resolves stored logins; the executor
connects."""

from typing import Annotated, Any

import msgspec
from litestar import Request, get, post
from litestar.params import QueryParameter

from contracts.backups import CreateBackup
from contracts.catalog import EngineType, Port, Username
from contracts.connections import (
    ConnectionResult,
    DiscoverServer,
    Discovery,
    ImportDatabases,
    ImportResult,
    TestConnection,
    TestServerConnection,
)
from contracts.databases import DatabaseName
from contracts.operations.catalog import Catalog
from libs.crypto import seal
from services.gateway.auth import guards
from services.gateway.routes.fields import HostName, Id, PathId
from services.gateway.state import Gateway, actor

Secret = Annotated[str, msgspec.Meta(min_length=1, max_length=4096)]


class ConnectionTestRequest(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    database_type: EngineType
    host: HostName | None = None
    port: Port | None = None
    database_name: DatabaseName | None = None
    username: Username | None = None
    password: Secret | None = None
    engine_id: Id | None = None
    use_engine_credentials: bool = False


class ImportRequest(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    databases: Annotated[list[DatabaseName], msgspec.Meta(max_length=500)] = []
    policy_id: Id | None = None


class DiscoverRequest(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    import_databases: Annotated[list[DatabaseName], msgspec.Meta(max_length=500)] = []
    policy_id: Id | None = None


class BackupQueued(msgspec.Struct, frozen=True):
    message: str
    job_id: str
    queue_message_id: str
    backup_id: int
    status: str


@post(
    "/{server_id:int}/test-connection",
    operation_id="testServerConnection",
    guards=[guards.operator],
    status_code=200,
)
async def test_server_connection(
    server_id: PathId, request: Request[Any, Any, Any], gateway: Gateway
) -> ConnectionResult:
    command = TestServerConnection(actor=actor(request), server_id=server_id)
    return await gateway.ask_long(Catalog.test_server_connection, command)


@get("/{server_id:int}/databases", operation_id="listServerDatabases", guards=[guards.viewer])
async def list_server_databases(
    server_id: PathId, request: Request[Any, Any, Any], gateway: Gateway
) -> Discovery:
    command = DiscoverServer(actor=actor(request), server_id=server_id)
    return await gateway.ask_long(Catalog.discover_server, command)


@post(
    "/{server_id:int}/databases",
    operation_id="importServerDatabases",
    guards=[guards.operator],
    status_code=201,
)
async def import_server_databases(
    server_id: PathId, data: ImportRequest, request: Request[Any, Any, Any], gateway: Gateway
) -> ImportResult:
    command = ImportDatabases(
        actor=actor(request), server_id=server_id, databases=data.databases, policy_id=data.policy_id
    )
    return await gateway.ask_long(Catalog.import_databases, command)


@post(
    "/{server_id:int}/discover",
    operation_id="discoverServerDatabases",
    guards=[guards.operator],
    status_code=200,
)
async def discover_server(
    server_id: PathId,
    request: Request[Any, Any, Any],
    gateway: Gateway,
    data: DiscoverRequest | None = None,
    import_: Annotated[bool, QueryParameter(name="import")] = False,
) -> ImportResult:
    """001's discover: lists databases (`databases`, `existing`, `available`); with `?import=true`
    imports `import_databases` (or every available one when that list is empty)."""
    options = data or DiscoverRequest()
    wanted = options.import_databases if import_ else []
    command = ImportDatabases(
        actor=actor(request),
        server_id=server_id,
        databases=wanted,
        policy_id=options.policy_id,
        import_all=import_ and not wanted,
    )
    return await gateway.ask_long(Catalog.import_databases, command)


@post("/test-connection", operation_id="testDatabaseConnection", guards=[guards.operator], status_code=200)
async def test_database_connection(
    data: ConnectionTestRequest, request: Request[Any, Any, Any], gateway: Gateway
) -> ConnectionResult:
    fields = msgspec.structs.asdict(data)
    if data.password:
        fields["password"] = seal(gateway.keyring, data.password.encode(), "database.password")
    command = TestConnection(actor=actor(request), **fields)
    return await gateway.ask_long(Catalog.test_connection, command)


@post("/{database_id:int}/backup", operation_id="backupDatabase", guards=[guards.operator], status_code=202)
async def backup_database(
    database_id: PathId, request: Request[Any, Any, Any], gateway: Gateway
) -> BackupQueued:
    command = CreateBackup(actor=actor(request), database_id=database_id)
    accepted = await gateway.ask(Catalog.create_backup, command)
    return BackupQueued(
        message=accepted.message,
        job_id=accepted.job_id,
        queue_message_id=accepted.job_id,
        backup_id=accepted.id,
        status=accepted.status,
    )


SERVER_HANDLERS = [test_server_connection, list_server_databases, import_server_databases, discover_server]
DATABASE_HANDLERS = [test_database_connection, backup_database]
