"""/databases: database configurations (001's DatabaseConfig), owned by the catalog. A password is
sealed here, at the edge, like server credentials."""

from typing import Annotated, Any

import msgspec
from litestar import Request, Router, delete, get, patch, post, put
from litestar.params import Parameter, QueryParameter
from msgspec import UNSET, UnsetType

from contracts.catalog import Deleted, EngineType, Label, Name, Port, Tags, Username
from contracts.databases import (
    Compression,
    CreateDatabase,
    DatabaseName,
    DatabaseView,
    DeleteDatabase,
    GetDatabase,
    ListDatabases,
    RetentionDays,
    UpdateDatabase,
)
from contracts.operations.catalog import Catalog
from contracts.operations.scheduler import Scheduler
from contracts.schedules import CronExpression, DatabaseSchedule, ListSchedules, ScheduleView
from libs import schedules as timing  # pure rules, shared so bad input is refused before any write
from libs.crypto import seal
from libs.errors import invalid
from libs.structs import given
from services.gateway.auth import guards
from services.gateway.routes import probes
from services.gateway.routes.fields import FilterText, HostName, Id, IdFilter, Offset, PathId, SearchText
from services.gateway.state import Gateway, actor

Secret = Annotated[str, msgspec.Meta(min_length=1, max_length=4096)]
# 001 sends `compression` as a boolean; we also take the codec by name. True means zstd.
CompressionChoice = bool | Compression


class DatabaseCreate(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    name: Name
    database_type: EngineType
    engine_id: Id | None = None
    use_engine_credentials: bool = False
    host: HostName | None = None
    port: Port | None = None
    database_name: DatabaseName
    username: Username | None = None
    password: Secret | None = None
    policy_id: Id | None = None
    enabled: bool = True
    compression: CompressionChoice = True
    backup_destination: Label | None = None
    tags: Tags = {}


class DatabaseUpdate(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    name: Name | UnsetType = UNSET
    database_type: EngineType | UnsetType = UNSET
    engine_id: Id | None | UnsetType = UNSET
    use_engine_credentials: bool | UnsetType = UNSET
    host: HostName | UnsetType = UNSET
    port: Port | None | UnsetType = UNSET
    database_name: DatabaseName | UnsetType = UNSET
    username: Username | None | UnsetType = UNSET
    password: Secret | UnsetType = UNSET
    policy_id: Id | None | UnsetType = UNSET
    enabled: bool | UnsetType = UNSET
    compression: CompressionChoice | UnsetType = UNSET
    backup_destination: Label | None | UnsetType = UNSET
    tags: Tags | UnsetType = UNSET
    retention_days: RetentionDays | None | UnsetType = UNSET


class DatabasePatch(DatabaseUpdate, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """002's PATCH: any field of PUT, plus the database's own `schedule` (a cron expression in
    UTC; null removes it)."""

    schedule: CronExpression | None | UnsetType = UNSET


class DatabaseList(msgspec.Struct, frozen=True):
    databases: list[DatabaseView]
    count: int
    total: int
    has_more: bool


class DatabaseReply(msgspec.Struct, frozen=True):
    database: DatabaseView


class DatabaseChanged(msgspec.Struct, frozen=True):
    message: str
    database: DatabaseView


class DatabasePatched(msgspec.Struct, frozen=True):
    message: str
    database: DatabaseView
    schedule: ScheduleView | None


def _fields(gateway: Gateway, data: msgspec.Struct) -> dict[str, Any]:
    fields = given(data)
    if isinstance(fields.get("compression"), bool):
        fields["compression"] = "zstd" if fields["compression"] else "none"
    if fields.get("password"):
        fields["password"] = seal(gateway.keyring, fields["password"].encode(), "database.password")
    return fields


@get("/", operation_id="listDatabases", guards=[guards.viewer])
async def list_databases(
    request: Request[Any, Any, Any],
    gateway: Gateway,
    enabled_only: bool = False,
    database_type: Annotated[EngineType | None, QueryParameter(name="type")] = None,
    search: SearchText = None,
    host: FilterText = None,
    policy_id: IdFilter = None,
    engine_id: IdFilter = None,
    limit: Annotated[int, Parameter(ge=1, le=500)] = 25,
    offset: Offset = 0,
) -> DatabaseList:
    query = ListDatabases(
        actor=actor(request),
        enabled_only=enabled_only,
        database_type=database_type,
        search=search,
        host=host,
        policy_id=policy_id,
        engine_id=engine_id,
        limit=limit,
        offset=offset,
    )
    page = await gateway.ask(Catalog.list_databases, query)
    return DatabaseList(
        databases=page.items,
        count=len(page.items),
        total=page.total,
        has_more=offset + len(page.items) < page.total,
    )


@post("/", operation_id="createDatabase", guards=[guards.operator])
async def create_database(
    data: DatabaseCreate, request: Request[Any, Any, Any], gateway: Gateway
) -> DatabaseChanged:
    create = CreateDatabase(actor=actor(request), **_fields(gateway, data))
    database = await gateway.ask(Catalog.create_database, create)
    return DatabaseChanged(message="Database configuration created", database=database)


@get("/{database_id:int}", operation_id="getDatabase", guards=[guards.viewer])
async def get_database(
    database_id: PathId, request: Request[Any, Any, Any], gateway: Gateway
) -> DatabaseReply:
    ref = GetDatabase(actor=actor(request), database_id=database_id)
    return DatabaseReply(database=await gateway.ask(Catalog.get_database, ref))


@put("/{database_id:int}", operation_id="updateDatabase", guards=[guards.operator])
async def update_database(
    database_id: PathId, data: DatabaseUpdate, request: Request[Any, Any, Any], gateway: Gateway
) -> DatabaseChanged:
    update = UpdateDatabase(actor=actor(request), database_id=database_id, **_fields(gateway, data))
    database = await gateway.ask(Catalog.update_database, update)
    return DatabaseChanged(message="Database configuration updated", database=database)


@patch("/{database_id:int}", operation_id="patchDatabase", guards=[guards.operator])
async def patch_database(
    database_id: PathId, data: DatabasePatch, request: Request[Any, Any, Any], gateway: Gateway
) -> DatabasePatched:
    """The cron expression is checked before anything is stored, so bad input changes nothing."""
    fields = _fields(gateway, data)
    cron = fields.pop("schedule", UNSET)
    if isinstance(cron, str):
        try:
            timing.check_cron(cron)
        except timing.TimingError as exc:
            raise invalid("schedule", str(exc).removeprefix("cron_expression: ")) from None
    database = await gateway.ask(
        Catalog.get_database, GetDatabase(actor=actor(request), database_id=database_id)
    )
    if fields:
        update = UpdateDatabase(actor=actor(request), database_id=database_id, **fields)
        database = await gateway.ask(Catalog.update_database, update)
    if cron is UNSET:
        query = ListSchedules(actor=actor(request), database_id=database_id)
        schedules = await gateway.ask(Scheduler.list_schedules, query)
    else:
        own_schedule = DatabaseSchedule(
            actor=actor(request),
            database_id=database_id,
            database_name=database.database_name,
            server_id=database.engine_id,
            cron_expression=cron,
        )
        schedules = await gateway.ask(Scheduler.set_database_schedule, own_schedule)
    own = [s for s in schedules.items if s.database_id == database_id]
    return DatabasePatched(message="Database updated", database=database, schedule=own[0] if own else None)


@delete("/{database_id:int}", operation_id="deleteDatabase", guards=[guards.operator], status_code=200)
async def delete_database(database_id: PathId, request: Request[Any, Any, Any], gateway: Gateway) -> Deleted:
    ref = DeleteDatabase(actor=actor(request), database_id=database_id)
    return await gateway.ask(Catalog.delete_database, ref)


router = Router(
    path="/databases",
    tags=["databases"],
    route_handlers=[
        *probes.DATABASE_HANDLERS,
        list_databases,
        create_database,
        get_database,
        update_database,
        patch_database,
        delete_database,
    ],
)
