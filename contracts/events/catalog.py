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
