"""/backup-scheduler: 004's backup scheduler API over the scheduler service. Ids are strings in
004's models (paths take the integer); invalid input is a 400, as 004 lists it, not a 422."""

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar import Request, Response, Router, delete, get, post, put
from litestar.exceptions import ValidationException
from litestar.params import Parameter
from msgspec import UNSET, UnsetType

from contracts.catalog import Name, Text
from contracts.operations.scheduler import Scheduler
from contracts.schedules import (
    ControlAction,
    ControlScheduler,
    CreateSchedule,
    CronExpression,
    DeleteSchedule,
    FireStatus,
    IntervalHours,
    ListScheduleLogs,
    ListSchedules,
    MaxBackups,
    ScheduleLog,
    ScheduleLogPage,
    SchedulerStatusQuery,
    ScheduleView,
    TriggerSchedule,
    UpdateSchedule,
)
from contracts.schedules import SchedulerJob as JobFact
from contracts.schedules import SchedulerStatus as StatusFact
from libs.errors import Refused
from libs.structs import given
from services.gateway.auth import guards
from services.gateway.errors import refusal_response, validation_response
from services.gateway.routes.fields import Id, IdFilter, Offset, PathId
from services.gateway.state import Gateway, actor


class BackupScheduleCreateRequest(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    server_id: Id
    name: Name
    description: Text | None = None
    enabled: bool
    cron_expression: CronExpression
    interval_hours: IntervalHours | None = None
    max_backups: MaxBackups
    only_when_running: bool


class BackupScheduleUpdateRequest(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    name: Name | UnsetType = UNSET
    description: Text | None | UnsetType = UNSET
    enabled: bool | UnsetType = UNSET
    cron_expression: CronExpression | UnsetType = UNSET
    interval_hours: IntervalHours | None | UnsetType = UNSET
    max_backups: MaxBackups | UnsetType = UNSET
    only_when_running: bool | UnsetType = UNSET


class BackupSchedule(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    server_id: int
    name: str
    description: str | None
    enabled: bool
    cron_expression: str
    interval_hours: float | None
    max_backups: int
    only_when_running: bool
    backup_type: Literal["scheduled", "manual"]
    created_at: datetime
    updated_at: datetime
    last_run_at: datetime | None
    next_run_at: datetime | None
    created_by: int


class SchedulerJob(msgspec.Struct, frozen=True, kw_only=True):
    schedule_id: str
    server_id: int
    started_at: datetime
    estimated_completion: datetime | None


class SchedulerStatus(msgspec.Struct, frozen=True, kw_only=True):
    running: bool
    total_schedules: int
    active_schedules: int
    last_check_at: datetime | None
    next_check_at: datetime | None
    current_jobs: list[SchedulerJob]


class BackupScheduleLog(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    schedule_id: str
    server_id: int
    backup_id: str | None
    status: FireStatus
    started_at: datetime
    completed_at: datetime | None
    duration_seconds: float | None
    backup_size_bytes: int | None
    logs: list[str]
    error_message: str | None


class BackupScheduleLogPage(msgspec.Struct, frozen=True, kw_only=True):
    items: list[BackupScheduleLog]
    total: int
    limit: int
    offset: int
    has_more: bool


class BackupScheduleInterval(msgspec.Struct, frozen=True, kw_only=True):
    hours: float
    label: str
    cron_expression: str


class TriggerAccepted(msgspec.Struct, frozen=True, kw_only=True):
    schedule_id: str
    fire_key: str
    message: str


def backup_schedule(view: ScheduleView) -> BackupSchedule:
    """004's BackupSchedule: string id; a number where 004 has no null (0 when nobody/no server)."""
    return BackupSchedule(
        id=str(view.id),
        server_id=view.server_id or 0,
        name=view.name,
        description=view.description,
        enabled=view.enabled,
        cron_expression=view.cron_expression,
        interval_hours=view.interval_hours,
        max_backups=view.max_backups,
        only_when_running=view.only_when_running,
        backup_type="scheduled",
        created_at=view.created_at,
        updated_at=view.updated_at,
        last_run_at=view.last_run_at,
        next_run_at=view.next_run_at,
        created_by=view.created_by or 0,
    )


def scheduler_job(job: JobFact) -> SchedulerJob:
    return SchedulerJob(
        schedule_id=str(job.schedule_id),
        server_id=job.server_id or 0,
        started_at=job.started_at,
        estimated_completion=job.estimated_completion,
    )


def scheduler_status(status: StatusFact) -> SchedulerStatus:
    return SchedulerStatus(
        running=status.running,
        total_schedules=status.total_schedules,
        active_schedules=status.active_schedules,
        last_check_at=status.last_check_at,
        next_check_at=status.next_check_at,
        current_jobs=[scheduler_job(j) for j in status.current_jobs],
    )


def schedule_log(log: ScheduleLog) -> BackupScheduleLog:
    return BackupScheduleLog(
        id=str(log.id),
        schedule_id=str(log.schedule_id),
        server_id=log.server_id or 0,
        backup_id=None if log.backup_id is None else str(log.backup_id),
        status=log.status,
        started_at=log.started_at,
        completed_at=log.completed_at,
        duration_seconds=log.duration_seconds,
        backup_size_bytes=log.backup_size_bytes,
        logs=log.logs,
        error_message=log.error_message,
    )


def log_page(page: ScheduleLogPage, limit: int, offset: int) -> BackupScheduleLogPage:
    return BackupScheduleLogPage(
        items=[schedule_log(entry) for entry in page.items],
        total=page.total,
        limit=limit,
        offset=offset,
        has_more=offset + len(page.items) < page.total,
    )


def intervals() -> list[BackupScheduleInterval]:
    # Imported here: the gateway must not fail to start over the scheduler's presets.
    from libs.schedules import INTERVALS

    return [
        BackupScheduleInterval(hours=i.hours, label=i.label, cron_expression=i.cron_expression)
        for i in INTERVALS
    ]


async def _update(
    gateway: Gateway, request: Request[Any, Any, Any], schedule_id: int, **fields: Any
) -> BackupSchedule:
    update = UpdateSchedule(actor=actor(request), schedule_id=schedule_id, **fields)
    return backup_schedule(await gateway.ask(Scheduler.update_schedule, update))


@get("/schedules", operation_id="listBackupSchedules", guards=[guards.viewer])
async def list_backup_schedules(
    request: Request[Any, Any, Any], gateway: Gateway, server_id: IdFilter = None
) -> list[BackupSchedule]:
    query = ListSchedules(actor=actor(request), server_id=server_id)
    found = await gateway.ask(Scheduler.list_schedules, query)
    return [backup_schedule(s) for s in found.items]


@post("/schedules", operation_id="createBackupSchedule", guards=[guards.operator], status_code=201)
async def create_backup_schedule(
    data: BackupScheduleCreateRequest, request: Request[Any, Any, Any], gateway: Gateway
) -> BackupSchedule:
    create = CreateSchedule(actor=actor(request), **msgspec.structs.asdict(data))
    return backup_schedule(await gateway.ask(Scheduler.create_schedule, create))


@put("/schedules/{schedule_id:int}", operation_id="updateBackupSchedule", guards=[guards.operator])
async def update_backup_schedule(
    schedule_id: PathId, data: BackupScheduleUpdateRequest, request: Request[Any, Any, Any], gateway: Gateway
) -> BackupSchedule:
    return await _update(gateway, request, schedule_id, **given(data))


@delete("/schedules/{schedule_id:int}", operation_id="deleteBackupSchedule", guards=[guards.operator])
async def delete_backup_schedule(
    schedule_id: PathId, request: Request[Any, Any, Any], gateway: Gateway
) -> None:
    ref = DeleteSchedule(actor=actor(request), schedule_id=schedule_id)
    await gateway.ask(Scheduler.delete_schedule, ref)


@post(
    "/schedules/{schedule_id:int}/enable",
    operation_id="enableBackupSchedule",
    guards=[guards.operator],
    status_code=200,
)
async def enable_backup_schedule(
    schedule_id: PathId, request: Request[Any, Any, Any], gateway: Gateway
) -> BackupSchedule:
    return await _update(gateway, request, schedule_id, enabled=True)


@post(
    "/schedules/{schedule_id:int}/disable",
    operation_id="disableBackupSchedule",
    guards=[guards.operator],
    status_code=200,
)
async def disable_backup_schedule(
    schedule_id: PathId, request: Request[Any, Any, Any], gateway: Gateway
) -> BackupSchedule:
    return await _update(gateway, request, schedule_id, enabled=False)


@post(
    "/schedules/{schedule_id:int}/trigger",
    operation_id="triggerBackupSchedule",
    guards=[guards.operator],
    status_code=202,
)
async def trigger_backup_schedule(
    schedule_id: PathId, request: Request[Any, Any, Any], gateway: Gateway
) -> TriggerAccepted:
    ref = TriggerSchedule(actor=actor(request), schedule_id=schedule_id)
    triggered = await gateway.ask(Scheduler.trigger_schedule, ref)
    return TriggerAccepted(
        schedule_id=str(triggered.schedule_id), fire_key=triggered.fire_key, message=triggered.message
    )


@get("/scheduler/status", operation_id="getBackupSchedulerStatus", guards=[guards.viewer])
async def get_scheduler_status(request: Request[Any, Any, Any], gateway: Gateway) -> SchedulerStatus:
    query = SchedulerStatusQuery(actor=actor(request))
    return scheduler_status(await gateway.ask(Scheduler.scheduler_status, query))


async def _control(
    gateway: Gateway, request: Request[Any, Any, Any], action: ControlAction
) -> SchedulerStatus:
    control = ControlScheduler(actor=actor(request), action=action)
    return scheduler_status(await gateway.ask(Scheduler.control_scheduler, control))


@post("/scheduler/start", operation_id="startBackupScheduler", guards=[guards.admin], status_code=200)
async def start_scheduler(request: Request[Any, Any, Any], gateway: Gateway) -> SchedulerStatus:
    return await _control(gateway, request, "start")


@post("/scheduler/stop", operation_id="stopBackupScheduler", guards=[guards.admin], status_code=200)
async def stop_scheduler(request: Request[Any, Any, Any], gateway: Gateway) -> SchedulerStatus:
    return await _control(gateway, request, "stop")


@post("/scheduler/restart", operation_id="restartBackupScheduler", guards=[guards.admin], status_code=200)
async def restart_scheduler(request: Request[Any, Any, Any], gateway: Gateway) -> SchedulerStatus:
    return await _control(gateway, request, "restart")


@get("/logs", operation_id="listBackupScheduleLogs", guards=[guards.viewer])
async def list_schedule_logs(
    request: Request[Any, Any, Any],
    gateway: Gateway,
    schedule_id: IdFilter = None,
    server_id: IdFilter = None,
    limit: Annotated[int, Parameter(ge=1, le=500)] = 20,
    offset: Offset = 0,
) -> BackupScheduleLogPage:
    query = ListScheduleLogs(
        actor=actor(request), schedule_id=schedule_id, server_id=server_id, limit=limit, offset=offset
    )
    page = await gateway.ask(Scheduler.list_logs, query)
    return log_page(page, limit, offset)


@get("/intervals", operation_id="listBackupScheduleIntervals", guards=[guards.viewer])
async def list_intervals() -> list[BackupScheduleInterval]:
    return intervals()


def _invalid_input(_: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    return validation_response(exc, 400)


def _refused(_: Request[Any, Any, Any], exc: Refused) -> Response[Any]:
    return refusal_response(exc, 400 if exc.status == 422 else None)


router = Router(
    path="/backup-scheduler",
    tags=["backup-scheduler"],
    route_handlers=[
        list_backup_schedules,
        create_backup_schedule,
        update_backup_schedule,
        delete_backup_schedule,
        enable_backup_schedule,
        disable_backup_schedule,
        trigger_backup_schedule,
        get_scheduler_status,
        start_scheduler,
        stop_scheduler,
        restart_scheduler,
        list_schedule_logs,
        list_intervals,
    ],
    exception_handlers={ValidationException: _invalid_input, Refused: _refused},
)
