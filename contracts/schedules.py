"""Requests and replies of the scheduler's RPC operations (`lb.rpc.scheduler.*`).

One schedule model serves both HTTP APIs: 000's `/schedules` (a database on a server, a time
zone, a retention policy) and 004's `/backup-scheduler` (a server, `interval_hours`,
`max_backups`, `only_when_running`). A schedule without `database_name` backs up every enabled
database configured on its server."""

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, UnsetType

from contracts.catalog import Limit, Name, Offset, Text
from contracts.databases import DatabaseName
from contracts.rpc import Request

CronExpression = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
TimeZone = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
IntervalHours = Annotated[float, msgspec.Meta(gt=0, le=8760)]
MaxBackups = Annotated[int, msgspec.Meta(ge=1, le=100_000)]
FireStatus = Literal["running", "success", "failed", "cancelled"]
ControlAction = Literal["start", "stop", "restart"]


class CreateSchedule(Request, frozen=True, kw_only=True):
    name: Name
    description: Text | None = None
    server_id: int
    database_name: DatabaseName | None = None
    database_id: int | None = None
    cron_expression: CronExpression
    timezone: TimeZone = "UTC"
    interval_hours: IntervalHours | None = None
    backup_type: Literal["full"] = "full"
    retention_policy_id: int | None = None
    max_backups: MaxBackups = 100
    only_when_running: bool = False
    enabled: bool = True
    notify_on_success: bool = False
    notify_on_failure: bool = True


class UpdateSchedule(Request, frozen=True, kw_only=True):
    schedule_id: int
    name: Name | UnsetType = UNSET
    description: Text | None | UnsetType = UNSET
    server_id: int | UnsetType = UNSET
    database_name: DatabaseName | None | UnsetType = UNSET
    cron_expression: CronExpression | UnsetType = UNSET
    timezone: TimeZone | UnsetType = UNSET
    interval_hours: IntervalHours | None | UnsetType = UNSET
    retention_policy_id: int | None | UnsetType = UNSET
    max_backups: MaxBackups | UnsetType = UNSET
    only_when_running: bool | UnsetType = UNSET
    enabled: bool | UnsetType = UNSET
    notify_on_success: bool | UnsetType = UNSET
    notify_on_failure: bool | UnsetType = UNSET


class ScheduleRef(Request, frozen=True, kw_only=True):
    schedule_id: int


class GetSchedule(ScheduleRef, frozen=True, kw_only=True):
    """One schedule."""


class DeleteSchedule(ScheduleRef, frozen=True, kw_only=True):
    """Delete a schedule."""


class TriggerSchedule(ScheduleRef, frozen=True, kw_only=True):
    """Fire a schedule now, outside its timetable."""


class ListSchedules(Request, frozen=True, kw_only=True):
    server_id: int | None = None
    database_id: int | None = None


class DatabaseSchedule(Request, frozen=True, kw_only=True):
    """002's `PATCH /databases/{id}` `schedule`: one schedule owned by the database; None removes it."""

    database_id: int
    database_name: str
    server_id: int | None
    cron_expression: CronExpression | None


class ScheduleFields(msgspec.Struct, frozen=True, kw_only=True):
    """What a schedule is: the fields its view and the scheduler's stored row share."""

    id: int
    name: str
    description: str | None
    server_id: int | None
    database_id: int | None
    database_name: str | None
    cron_expression: str
    timezone: str
    interval_hours: float | None
    backup_type: str
    retention_policy_id: int | None
    max_backups: int
    only_when_running: bool
    enabled: bool
    notify_on_success: bool
    notify_on_failure: bool
    created_by: int | None


class ScheduleView(ScheduleFields, frozen=True, kw_only=True):
    created_at: datetime
    updated_at: datetime
    last_run_at: datetime | None
    next_run_at: datetime | None


class ScheduleList(msgspec.Struct, frozen=True):
    items: list[ScheduleView]


class Triggered(msgspec.Struct, frozen=True, kw_only=True):
    schedule_id: int
    fire_key: str
    message: str


class ControlScheduler(Request, frozen=True, kw_only=True):
    action: ControlAction


class SchedulerStatusQuery(Request, frozen=True, kw_only=True):
    pass


class SchedulerJob(msgspec.Struct, frozen=True, kw_only=True):
    schedule_id: int
    server_id: int | None
    started_at: datetime
    estimated_completion: datetime | None


class SchedulerStatus(msgspec.Struct, frozen=True, kw_only=True):
    running: bool
    total_schedules: int
    active_schedules: int
    last_check_at: datetime | None
    next_check_at: datetime | None
    current_jobs: list[SchedulerJob]
    leader: str | None = None
    missed_fires: str = "once"


class ListScheduleLogs(Request, frozen=True, kw_only=True):
    schedule_id: int | None = None
    server_id: int | None = None
    limit: Limit = 20
    offset: Offset = 0


class ScheduleLog(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    schedule_id: int
    server_id: int | None
    backup_id: int | None
    backup_ids: list[int]
    fire_at: datetime
    manual: bool
    status: FireStatus
    started_at: datetime
    completed_at: datetime | None
    duration_seconds: float | None
    backup_size_bytes: int | None
    logs: list[str]
    error_message: str | None


class ScheduleLogPage(msgspec.Struct, frozen=True):
    items: list[ScheduleLog]
    total: int
