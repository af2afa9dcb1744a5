"""The scheduler's rules, as functions of data: what a request stores, when a schedule next
fires, how a fire is named, and what a fire's outcome is once its backups finished."""

import uuid
from datetime import datetime
from typing import Any, Protocol

from contracts.schedules import CreateSchedule, UpdateSchedule
from libs import schedules as timing
from libs.errors import invalid
from libs.structs import given

REQUEST_FIELDS = {"actor", "correlation_id", "schedule_id"}
TIMING_FIELDS = {"cron_expression", "timezone", "interval_hours"}
FINISHED = {"completed", "failed", "cancelled"}


class Timed(Protocol):
    """What a change of timing is decided from: the schedule as it is stored."""

    @property
    def cron_expression(self) -> str: ...
    @property
    def timezone(self) -> str: ...
    @property
    def interval_hours(self) -> float | None: ...
    @property
    def enabled(self) -> bool: ...


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


def changed_values(current: Timed, request: UpdateSchedule, now: datetime) -> dict[str, Any]:
    changes = given(request, exclude=REQUEST_FIELDS)
    if "name" in changes:
        changes["name"] = changes["name"].strip()
    if TIMING_FIELDS & changes.keys() or (changes.get("enabled") and not current.enabled):
        # A new timing, or a schedule switched back on, fires from now on, not for the past.
        stored = {
            "cron_expression": current.cron_expression,
            "timezone": current.timezone,
            "interval_hours": current.interval_hours,
        }
        schedule_timing = timing_of({**stored, **changes})
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


def fire_status(backup_statuses: list[str]) -> str | None:
    """A fire's status once every backup it asked for finished; None while any runs."""
    if not backup_statuses or not FINISHED.issuperset(backup_statuses):
        return None
    if "failed" in backup_statuses:
        return "failed"
    if all(status == "cancelled" for status in backup_statuses):
        return "cancelled"
    return "success"
