"""Requests and replies of the catalog's RPC operations (`lb.rpc.catalog.<op>`)."""

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, UnsetType

from contracts.rpc import Request
from contracts.secrets import SealedSecret

EngineType = Literal["postgresql", "mysql", "mariadb", "sqlite", "redis"]
HostingType = Literal["bare_metal", "vm", "docker", "kubernetes", "managed"]
AuthMethod = Literal["user_password", "connection_string", "none"]
HealthStatus = Literal["unknown", "healthy", "unhealthy"]

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=r"\S")]
Text = Annotated[str, msgspec.Meta(max_length=2000)]
Host = Annotated[str, msgspec.Meta(min_length=1, max_length=255, pattern=r"^[^\s/?#@]+$")]
Port = Annotated[int, msgspec.Meta(ge=1, le=65535)]
Label = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
Tags = Annotated[dict[Label, Annotated[str, msgspec.Meta(max_length=500)]], msgspec.Meta(max_length=50)]
Username = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Limit = Annotated[int, msgspec.Meta(ge=1, le=500)]
Offset = Annotated[int, msgspec.Meta(ge=0)]


class SealedCredentials(msgspec.Struct, frozen=True, kw_only=True):
    username: Username | None = None
    password: SealedSecret | None = None
    ssh_key: SealedSecret | None = None


class CreateServer(Request, frozen=True, kw_only=True):
    name: Name
    description: Text | None = None
    type: HostingType = "vm"
    environment: Label | None = None
    engine_type: EngineType = "postgresql"
    host: Host
    port: Port | None = None
    auth_method: AuthMethod | None = None
    discovery_enabled: bool = True
    credentials: SealedCredentials | None = None
    tags: Tags = {}


class UpdateServer(Request, frozen=True, kw_only=True):
    server_id: int
    name: Name | UnsetType = UNSET
    description: Text | None | UnsetType = UNSET
    type: HostingType | UnsetType = UNSET
    environment: Label | None | UnsetType = UNSET
    engine_type: EngineType | UnsetType = UNSET
    host: Host | UnsetType = UNSET
    port: Port | UnsetType = UNSET
    auth_method: AuthMethod | UnsetType = UNSET
    discovery_enabled: bool | UnsetType = UNSET
    credentials: SealedCredentials | UnsetType = UNSET
    tags: Tags | UnsetType = UNSET


class ListServers(Request, frozen=True, kw_only=True):
    engine_type: EngineType | None = None
    type: HostingType | None = None
    environment: str | None = None
    health_status: HealthStatus | None = None
    search: str | None = None
    limit: Limit = 100
    offset: Offset = 0


class ServerRef(Request, frozen=True, kw_only=True):
    server_id: int


class ServerView(msgspec.Struct, frozen=True, kw_only=True):
    """A server as every API shows it: never a password, key or sealed secret."""

    id: int
    name: str
    description: str | None
    type: str
    environment: str | None
    engine_type: str
    host: str
    port: int | None
    auth_method: str
    username: str | None
    has_password: bool
    has_ssh_key: bool
    discovery_enabled: bool
    database_count: int
    tags: dict[str, str]
    health_status: str
    last_heartbeat: datetime | None
    created_at: datetime
    updated_at: datetime


class ServerPage(msgspec.Struct, frozen=True, kw_only=True):
    items: list[ServerView]
    total: int


class DeleteServer(Request, frozen=True, kw_only=True):
    server_id: int
    delete_databases: bool = False


class Deleted(msgspec.Struct, frozen=True, kw_only=True):
    message: str
    databases_deleted: int = 0
