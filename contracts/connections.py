"""Connection tests and discovery: gateway → catalog (which fills in stored credentials) →
executor (the only service that reaches users' databases). Passwords cross only sealed."""

from typing import Annotated

import msgspec

from contracts.catalog import EngineType, Host, Port, Username
from contracts.databases import DatabaseName, DatabaseView
from contracts.rpc import Request
from contracts.secrets import SealedSecret


class Endpoint(msgspec.Struct, frozen=True, kw_only=True):
    """Where a database lives and how to log in; the password sealed under the master key."""

    engine: EngineType
    host: str | None = None
    port: int | None = None
    database: str = ""
    username: str | None = None
    password: SealedSecret | None = None
    password_purpose: str = "database.password"  # what it was sealed for: bound into its AAD


class TestConnection(Request, frozen=True, kw_only=True):
    """`POST /databases/test-connection` (001): custom credentials or a server's."""

    database_type: EngineType
    host: Host | None = None
    port: Port | None = None
    database_name: DatabaseName | None = None
    username: Username | None = None
    password: SealedSecret | None = None
    engine_id: int | None = None
    use_engine_credentials: bool = False


class TestServerConnection(Request, frozen=True, kw_only=True):
    server_id: int


class ProbeEndpoint(Request, frozen=True, kw_only=True):
    """catalog → executor: test or discover on a fully resolved endpoint; the ids say whose
    endpoint it is, for the record of a refused connection."""

    endpoint: Endpoint
    server_id: int | None = None
    database_id: int | None = None


class TestEndpoint(ProbeEndpoint, frozen=True, kw_only=True):
    """catalog → executor: log in and report the server's version."""


class DiscoverEndpoint(ProbeEndpoint, frozen=True, kw_only=True):
    """catalog → executor: list the databases on the endpoint's server."""


class ConnectionResult(msgspec.Struct, frozen=True, kw_only=True):
    success: bool
    message: str
    latency_ms: int | None = None
    duration_ms: int | None = None
    error_type: str | None = None


class DiscoveredDatabase(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    size_mb: float | None
    size_bytes: int | None
    type: str


class Discovery(msgspec.Struct, frozen=True, kw_only=True):
    databases: list[DiscoveredDatabase]


class DiscoverServer(Request, frozen=True, kw_only=True):
    server_id: int


class ImportDatabases(Request, frozen=True, kw_only=True):
    """001's import of discovered databases on a server (engine)."""

    server_id: int
    databases: Annotated[list[DatabaseName], msgspec.Meta(max_length=500)] = []
    policy_id: int | None = None
    import_all: bool = False


class ImportResult(msgspec.Struct, frozen=True, kw_only=True):
    engine_id: int
    message: str
    imported: list[DatabaseView]
    skipped: list[str]
    databases: list[str]
    existing: list[str]
    available: list[str]
