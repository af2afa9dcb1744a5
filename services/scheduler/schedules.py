"""Rules for schedules, as functions of data: what a request stores, when it next fires, and
how a stored row reads."""

import uuid
from datetime import datetime
from typing import Any

from contracts.schedules import CreateSchedule, ScheduleView, UpdateSchedule
from libs.errors import invalid
from libs.structs import given
from services.scheduler import timing

REQUEST_FIELDS = {"actor", "correlation_id", "schedule_id"}
TIMING_FIELDS = {"cron_expression", "timezone", "interval_hours"}


def timing_of(values: dict[str, Any]) -> timing.Timing:
    """The schedule's timing, validated; a bad one is refused naming its field."""
    try:
        return timing.check(
            timing.Timing(values["cron_expression"], values["timezone"], values.get("interval_hours"))
        )
    except timing.TimingError as exc:
        raise invalid(exc.field, str(exc).removeprefix(f"{exc.field}: ")) from None


def new_values(request: CreateSchedule, now: datetime) -> dict[str, Any]:
    values = given(request, exclude=REQUEST_FIELDS)
    values["name"] = values["name"].strip()
    values["created_by"] = request.actor.user_id
    return timed(values, now)


def changed_values(row: dict[str, Any], request: UpdateSchedule, now: datetime) -> dict[str, Any]:
    changes = given(request, exclude=REQUEST_FIELDS)
    if "name" in changes:
        changes["name"] = changes["name"].strip()
    merged = {**row, **changes}
    if TIMING_FIELDS & changes.keys() or (changes.get("enabled") and not row["enabled"]):
        # A new timing, or a schedule switched back on, fires from now on, not for the past.
        schedule_timing = timing_of(merged)
        if "cron_expression" in changes:
            changes["cron_expression"] = schedule_timing.cron_expression
        changes["next_fire_at"] = timing.next_fire(schedule_timing, now)
    return changes


def timed(values: dict[str, Any], now: datetime) -> dict[str, Any]:
    """`values` with the cron expression normalised and the first fire time after `now`."""
    schedule_timing = timing_of(values)
    return {
        **values,
        "cron_expression": schedule_timing.cron_expression,
        "next_fire_at": timing.next_fire(schedule_timing, now),
    }


def fire_key(schedule_id: int, fire_at: datetime) -> str:
    """The identity of one fire time of one schedule: the outbox message id and a unique key."""
    return f"schedule-{schedule_id}-{fire_at.strftime('%Y%m%dT%H%M%SZ')}"


def manual_fire_key(schedule_id: int) -> str:
    """A trigger is a fire of its own, outside the timetable: its key is never a fire time's."""
    return f"schedule-{schedule_id}-manual-{uuid.uuid4().hex}"


def view(row: dict[str, Any]) -> ScheduleView:
    return ScheduleView(
        id=row["id"],
        name=row["name"],
        description=row["description"],
        server_id=row["server_id"],
        database_id=row["database_id"],
        database_name=row["database_name"],
        cron_expression=row["cron_expression"],
        timezone=row["timezone"],
        interval_hours=row["interval_hours"],
        backup_type=row["backup_type"],
        retention_policy_id=row["retention_policy_id"],
        max_backups=row["max_backups"],
        only_when_running=row["only_when_running"],
        enabled=row["enabled"],
        notify_on_success=row["notify_on_success"],
        notify_on_failure=row["notify_on_failure"],
        created_by=row["created_by"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        last_run_at=row["last_run_at"],
        next_run_at=row["next_fire_at"] if row["enabled"] else None,
    )
