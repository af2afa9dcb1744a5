"""/schedules: 000's backup schedules (a database on a server, a time zone, a retention policy),
owned by the scheduler. The same schedules are 004's `/backup-scheduler/schedules`."""

from datetime import datetime
from typing import Any, Literal

import msgspec
from litestar import Request, Router, delete, get, post, put
from msgspec import UNSET, UnsetType

from contracts.catalog import Deleted, Name, Text
from contracts.databases import DatabaseName
from contracts.operations.scheduler import Scheduler
from contracts.schedules import (
    CreateSchedule,
    CronExpression,
    DeleteSchedule,
    GetSchedule,
    IntervalHours,
    ListSchedules,
    MaxBackups,
    ScheduleView,
    TimeZone,
    UpdateSchedule,
)
from libs.structs import given
from services.gateway.auth import guards
from services.gateway.routes.fields import Id, IdFilter, PathId
from services.gateway.state import Gateway, actor


class ScheduleCreate(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    name: Name
    description: Text | None = None
    server_id: Id
    database_name: DatabaseName | None = None
    cron_expression: CronExpression
    timezone: TimeZone = "UTC"
    backup_type: Literal["full"] = "full"
    retention_policy_id: Id | None = None
    enabled: bool = True
    notify_on_success: bool = False
    notify_on_failure: bool = True
    interval_hours: IntervalHours | None = None
    max_backups: MaxBackups = 100
    only_when_running: bool = False


class ScheduleUpdate(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    name: Name | UnsetType = UNSET
    description: Text | None | UnsetType = UNSET
    server_id: Id | UnsetType = UNSET
    database_name: DatabaseName | None | UnsetType = UNSET
    cron_expression: CronExpression | UnsetType = UNSET
    timezone: TimeZone | UnsetType = UNSET
    # Only full backups are scheduled; accepted so that a client may send back what it read.
    backup_type: Literal["full"] | UnsetType = UNSET
    retention_policy_id: Id | None | UnsetType = UNSET
    enabled: bool | UnsetType = UNSET
    notify_on_success: bool | UnsetType = UNSET
    notify_on_failure: bool | UnsetType = UNSET
    interval_hours: IntervalHours | None | UnsetType = UNSET
    max_backups: MaxBackups | UnsetType = UNSET
    only_when_running: bool | UnsetType = UNSET


class Schedule(msgspec.Struct, frozen=True, kw_only=True):
    """000's schedule object, with the fields 004 adds."""

    id: int
    name: str
    description: str | None
    server_id: int | None
    database_id: int | None
    database_name: str | None
    cron_expression: str
    timezone: str
    backup_type: str
    retention_policy_id: int | None
    enabled: bool
    notify_on_success: bool
    notify_on_failure: bool
    interval_hours: float | None
    max_backups: int
    only_when_running: bool
    last_run: datetime | None
    next_run: datetime | None
    created_at: datetime
    updated_at: datetime


def schedule_view(view: ScheduleView) -> Schedule:
    return Schedule(
        id=view.id,
        name=view.name,
        description=view.description,
        server_id=view.server_id,
        database_id=view.database_id,
        database_name=view.database_name,
        cron_expression=view.cron_expression,
        timezone=view.timezone,
        backup_type=view.backup_type,
        retention_policy_id=view.retention_policy_id,
        enabled=view.enabled,
        notify_on_success=view.notify_on_success,
        notify_on_failure=view.notify_on_failure,
        interval_hours=view.interval_hours,
        max_backups=view.max_backups,
        only_when_running=view.only_when_running,
        last_run=view.last_run_at,
        next_run=view.next_run_at,
        created_at=view.created_at,
        updated_at=view.updated_at,
    )


def update_fields(data: ScheduleUpdate) -> dict[str, Any]:
    return given(data, exclude=("backup_type",))


@get("/", operation_id="listSchedules", guards=[guards.viewer])
async def list_schedules(
    request: Request[Any, Any, Any], gateway: Gateway, server_id: IdFilter = None
) -> list[Schedule]:
    query = ListSchedules(actor=actor(request), server_id=server_id)
    found = await gateway.ask(Scheduler.list_schedules, query)
    return [schedule_view(s) for s in found.items]


@post("/", operation_id="createSchedule", guards=[guards.operator], status_code=201)
async def create_schedule(
    data: ScheduleCreate, request: Request[Any, Any, Any], gateway: Gateway
) -> Schedule:
    create = CreateSchedule(actor=actor(request), **msgspec.structs.asdict(data))
    return schedule_view(await gateway.ask(Scheduler.create_schedule, create))


@get("/{schedule_id:int}", operation_id="getSchedule", guards=[guards.viewer])
async def get_schedule(schedule_id: PathId, request: Request[Any, Any, Any], gateway: Gateway) -> Schedule:
    ref = GetSchedule(actor=actor(request), schedule_id=schedule_id)
    return schedule_view(await gateway.ask(Scheduler.get_schedule, ref))


@put("/{schedule_id:int}", operation_id="updateSchedule", guards=[guards.operator])
async def update_schedule(
    schedule_id: PathId, data: ScheduleUpdate, request: Request[Any, Any, Any], gateway: Gateway
) -> Schedule:
    update = UpdateSchedule(actor=actor(request), schedule_id=schedule_id, **update_fields(data))
    return schedule_view(await gateway.ask(Scheduler.update_schedule, update))


@delete("/{schedule_id:int}", operation_id="deleteSchedule", guards=[guards.operator], status_code=200)
async def delete_schedule(schedule_id: PathId, request: Request[Any, Any, Any], gateway: Gateway) -> Deleted:
    ref = DeleteSchedule(actor=actor(request), schedule_id=schedule_id)
    return await gateway.ask(Scheduler.delete_schedule, ref)


router = Router(
    path="/schedules",
    tags=["schedules"],
    route_handlers=[list_schedules, create_schedule, get_schedule, update_schedule, delete_schedule],
)
