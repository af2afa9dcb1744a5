"""Events of schedules, their fires and retention. A fire's event id is derived from its fire
key, so JetStream's de-duplication and the catalog's unique constraint both see one fire once."""

import uuid
from datetime import datetime

from contracts.envelope import Event

FIRE_NAMESPACE = uuid.UUID("5f0c7c1e-8d4e-4f55-9a55-0b3c2a1f7e10")


def fire_event_id(fire_key: str) -> str:
    return str(uuid.uuid5(FIRE_NAMESPACE, fire_key))


class _Scheduler(Event, frozen=True, kw_only=True):
    context = "scheduler"


class ScheduleCreated(_Scheduler, frozen=True, kw_only=True, tag="schedule.created"):
    schedule_id: int
    name: str
    server_id: int | None
    database_name: str | None
    cron_expression: str
    timezone: str
    interval_hours: float | None = None
    max_backups: int
    enabled: bool


class ScheduleUpdated(_Scheduler, frozen=True, kw_only=True, tag="schedule.updated"):
    schedule_id: int
    name: str
    updated_fields: list[str]


class ScheduleDeleted(_Scheduler, frozen=True, kw_only=True, tag="schedule.deleted"):
    schedule_id: int
    name: str


class ScheduleFired(_Scheduler, frozen=True, kw_only=True, tag="schedule.fired"):
    """The scheduler's request for the backups of one fire time; the catalog creates them."""

    fire_id: int
    fire_key: str
    fire_at: datetime
    schedule_id: int
    schedule_name: str
    server_id: int | None
    database_id: int | None = None
    database_name: str | None = None
    backup_type: str = "full"
    only_when_running: bool = False
    manual: bool = False


class SchedulerControlled(_Scheduler, frozen=True, kw_only=True, tag="scheduler.controlled"):
    action: str
    running: bool


class FireHandled(Event, frozen=True, kw_only=True, tag="fire.handled"):
    """The catalog's answer to a fire: the backups it requested, or why it requested none."""

    context = "catalog"

    fire_id: int
    fire_key: str
    schedule_id: int
    backup_ids: list[int]
    skipped: bool = False
    reason: str | None = None


class _Retention(Event, frozen=True, kw_only=True):
    context = "retention"


class PolicyCreated(_Retention, frozen=True, kw_only=True, tag="policy.created"):
    policy_id: int
    name: str
    summary: str


class PolicyUpdated(_Retention, frozen=True, kw_only=True, tag="policy.updated"):
    policy_id: int
    name: str
    updated_fields: list[str]
    summary: str


class PolicyDeleted(_Retention, frozen=True, kw_only=True, tag="policy.deleted"):
    policy_id: int
    name: str
    is_system: bool = False


class RetentionApplied(_Retention, frozen=True, kw_only=True, tag="retention.applied"):
    database_id: int
    policy_id: int | None
    kept: int
    deleted: list[int]
    held: bool
    held_reason: str | None = None
