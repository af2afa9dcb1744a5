"""/servers: database servers, owned by the catalog. Credentials are sealed here, at the edge,
so that they cross NATS and rest in the catalog only as ciphertext."""

from typing import Annotated, Any

import msgspec
from litestar import Request, Response, Router, delete, get, post, put
from litestar.params import Parameter, QueryParameter
from msgspec import UNSET, UnsetType

from contracts.catalog import (
    AuthMethod,
    CreateServer,
    Deleted,
    DeleteServer,
    EngineType,
    HealthStatus,
    HostingType,
    Label,
    ListServers,
    Name,
    Port,
    SealedCredentials,
    ServerRef,
    ServerView,
    Tags,
    Text,
    UpdateServer,
    Username,
)
from contracts.operations.catalog import Catalog
from libs.crypto import seal
from libs.structs import given
from services.gateway.auth import guards
from services.gateway.encoded import EncodedPage, as_views
from services.gateway.routes import probes
from services.gateway.routes.fields import FilterText, HostName, Offset, PathId, SearchText
from services.gateway.state import Gateway, actor

Secret = Annotated[str, msgspec.Meta(min_length=1, max_length=16384)]


class Credentials(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    username: Username | None = None
    password: Secret | None = None
    ssh_key: Secret | None = None


class ServerCreate(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    name: Name
    description: Text | None = None
    type: HostingType = "vm"
    environment: Label | None = None
    engine_type: EngineType = "postgresql"
    host: HostName
    port: Port | None = None
    auth_method: AuthMethod | None = None
    discovery_enabled: bool = True
    credentials: Credentials | None = None
    tags: Tags = {}


class ServerUpdate(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    name: Name | UnsetType = UNSET
    description: Text | None | UnsetType = UNSET
    type: HostingType | UnsetType = UNSET
    environment: Label | None | UnsetType = UNSET
    engine_type: EngineType | UnsetType = UNSET
    host: HostName | UnsetType = UNSET
    port: Port | UnsetType = UNSET
    auth_method: AuthMethod | UnsetType = UNSET
    discovery_enabled: bool | UnsetType = UNSET
    credentials: Credentials | UnsetType = UNSET
    tags: Tags | UnsetType = UNSET


def _sealed(gateway: Gateway, credentials: Credentials) -> SealedCredentials:
    def sealed(purpose: str, secret: str | None) -> Any:
        return seal(gateway.keyring, secret.encode(), f"server.{purpose}") if secret else None

    return SealedCredentials(
        username=credentials.username,
        password=sealed("password", credentials.password),
        ssh_key=sealed("ssh_key", credentials.ssh_key),
    )


@get("/", operation_id="listServers", guards=[guards.viewer])
async def list_servers(
    request: Request[Any, Any, Any],
    gateway: Gateway,
    engine_type: EngineType | None = None,
    type_: Annotated[HostingType | None, QueryParameter(name="type")] = None,
    environment: FilterText = None,
    health_status: HealthStatus | None = None,
    search: SearchText = None,
    limit: Annotated[int, Parameter(ge=1, le=500)] = 100,
    offset: Offset = 0,
) -> Response[list[ServerView]]:
    page = await gateway.ask_as(
        Catalog.list_servers,
        ListServers(
            actor=actor(request),
            engine_type=engine_type,
            type=type_,
            environment=environment,
            health_status=health_status,
            search=search,
            limit=limit,
            offset=offset,
        ),
        EncodedPage,
    )
    return Response(as_views(page.items), headers={"X-Total-Count": str(page.total)})


@post("/", operation_id="createServer", guards=[guards.operator])
async def create_server(data: ServerCreate, request: Request[Any, Any, Any], gateway: Gateway) -> ServerView:
    fields = given(data)
    fields["credentials"] = _sealed(gateway, data.credentials) if data.credentials else None
    return await gateway.ask(Catalog.create_server, CreateServer(actor=actor(request), **fields))


@get("/{server_id:int}", operation_id="getServer", guards=[guards.viewer])
async def get_server(server_id: PathId, request: Request[Any, Any, Any], gateway: Gateway) -> ServerView:
    return await gateway.ask(Catalog.get_server, ServerRef(actor=actor(request), server_id=server_id))


@put("/{server_id:int}", operation_id="updateServer", guards=[guards.operator])
async def update_server(
    server_id: PathId, data: ServerUpdate, request: Request[Any, Any, Any], gateway: Gateway
) -> ServerView:
    fields = given(data)
    if isinstance(data.credentials, Credentials):
        fields["credentials"] = _sealed(gateway, data.credentials)
    return await gateway.ask(
        Catalog.update_server, UpdateServer(actor=actor(request), server_id=server_id, **fields)
    )


@delete("/{server_id:int}", operation_id="deleteServer", guards=[guards.admin], status_code=200)
async def delete_server(
    server_id: PathId, request: Request[Any, Any, Any], gateway: Gateway, delete_databases: bool = False
) -> Deleted:
    return await gateway.ask(
        Catalog.delete_server,
        DeleteServer(actor=actor(request), server_id=server_id, delete_databases=delete_databases),
    )


router = Router(
    path="/servers",
    tags=["servers"],
    route_handlers=[
        list_servers,
        create_server,
        get_server,
        update_server,
        delete_server,
        *probes.SERVER_HANDLERS,
    ],
)
