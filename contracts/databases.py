"""Requests and replies of the catalog's database operations (`lb.rpc.catalog.*_database`)."""

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, UnsetType

from contracts.catalog import EngineType, Host, Label, Limit, Name, Offset, Port, Tags, Username
from contracts.rpc import Request
from contracts.secrets import SealedSecret

Compression = Literal["zstd", "gzip", "none"]
DatabaseName = Annotated[str, msgspec.Meta(min_length=1, max_length=1024)]


RetentionDays = Annotated[int, msgspec.Meta(ge=1, le=36_500)]

class CreateDatabase(Request, frozen=True, kw_only=True):
    name: Name
    database_type: EngineType
    engine_id: int | None = None
    use_engine_credentials: bool = False
    host: Host | None = None
    port: Port | None = None
    database_name: DatabaseName
    username: Username | None = None
    password: SealedSecret | None = None
    policy_id: int | None = None
    enabled: bool = True
    compression: Compression = "zstd"
    backup_destination: Label | None = None
    tags: Tags = {}


class UpdateDatabase(Request, frozen=True, kw_only=True):
    database_id: int
    name: Name | UnsetType = UNSET
    database_type: EngineType | UnsetType = UNSET
    engine_id: int | None | UnsetType = UNSET
    use_engine_credentials: bool | UnsetType = UNSET
    host: Host | UnsetType = UNSET
    port: Port | None | UnsetType = UNSET
    database_name: DatabaseName | UnsetType = UNSET
    username: Username | None | UnsetType = UNSET
    password: SealedSecret | UnsetType = UNSET
    policy_id: int | None | UnsetType = UNSET
    retention_days: RetentionDays | None | UnsetType = UNSET
    enabled: bool | UnsetType = UNSET
    compression: Compression | UnsetType = UNSET
    backup_destination: Label | None | UnsetType = UNSET
    tags: Tags | UnsetType = UNSET


class ListDatabases(Request, frozen=True, kw_only=True):
    enabled_only: bool = False
    database_type: EngineType | None = None
    search: str | None = None
    host: str | None = None
    policy_id: int | None = None
    engine_id: int | None = None
    limit: Limit = 25
    offset: Offset = 0


class DatabaseRef(Request, frozen=True, kw_only=True):
    database_id: int


class GetDatabase(DatabaseRef, frozen=True, kw_only=True):
    """One database."""


class DeleteDatabase(DatabaseRef, frozen=True, kw_only=True):
    """Delete a database (its backups stay)."""


class DatabaseView(msgspec.Struct, frozen=True, kw_only=True):
    """A database as every API shows it: never its password."""

    id: int
    name: str
    database_type: str
    engine_id: int | None
    engine_name: str | None
    use_engine_credentials: bool
    host: str | None
    port: int | None
    database_name: str
    username: str | None
    has_password: bool
    policy_id: int | None
    retention_days: int | None = None
    enabled: bool
    compression: str
    backup_destination: str | None
    tags: dict[str, str]
    created_at: datetime
    updated_at: datetime


class DatabasePage(msgspec.Struct, frozen=True, kw_only=True):
    items: list[DatabaseView]
    total: int
