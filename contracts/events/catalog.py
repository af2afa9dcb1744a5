"""Events of the catalog context. Credentials never appear here, sealed or not."""

from contracts.envelope import Event


class _Catalog(Event, frozen=True, kw_only=True):
    context = "catalog"


class ServerCreated(_Catalog, frozen=True, kw_only=True, tag="server.created"):
    server_id: int
    name: str
    engine_type: str
    host: str
    port: int
    environment: str | None = None
    has_credentials: bool = False


class ServerUpdated(_Catalog, frozen=True, kw_only=True, tag="server.updated"):
    server_id: int
    name: str
    engine_type: str
    updated_fields: list[str]
    credentials_changed: bool = False


class ServerDeleted(_Catalog, frozen=True, kw_only=True, tag="server.deleted"):
    server_id: int
    name: str
    engine_type: str
    host: str


class DatabaseCreated(_Catalog, frozen=True, kw_only=True, tag="database.created"):
    database_id: int
    name: str
    database_type: str
    engine_id: int | None
    host: str | None
    port: int | None
    database_name: str
    policy_id: int | None = None


class DatabaseUpdated(_Catalog, frozen=True, kw_only=True, tag="database.updated"):
    database_id: int
    name: str
    database_type: str
    engine_id: int | None
    changes: list[str]
    credentials_changed: bool = False


class DatabaseDeleted(_Catalog, frozen=True, kw_only=True, tag="database.deleted"):
    database_id: int
    name: str
    database_type: str
    engine_id: int | None
    database_name: str
