"""The gateway's scheduling routes: 000/004 schedule shapes and 000/001 retention policy shapes."""

import json
import typing
from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from contracts.retention import PolicyView
from contracts.schedules import ScheduleLog, ScheduleLogPage, SchedulerJob, SchedulerStatus, ScheduleView
from libs.errors import Refused
from services.gateway.errors import refusal_response
from services.gateway.routes import backup_scheduler as v004
from services.gateway.routes import fields
from services.gateway.routes import retention_policies as policies
from services.gateway.routes import schedules as v000

NOW = datetime(2024, 1, 15, 2, 0, tzinfo=UTC)


def _schedule(**overrides):
    fields = {
        "id": 7,
        "name": "Daily Production Backup",
        "description": "Automated daily backup",
        "server_id": 3,
        "database_id": 11,
        "database_name": "myapp_production",
        "cron_expression": "0 2 * * *",
        "timezone": "Europe/Paris",
        "interval_hours": 24.0,
        "backup_type": "full",
        "retention_policy_id": 1,
        "max_backups": 30,
        "only_when_running": True,
        "enabled": True,
        "notify_on_success": False,
        "notify_on_failure": True,
        "created_by": 5,
        "created_at": NOW - timedelta(days=14),
        "updated_at": NOW - timedelta(days=1),
        "last_run_at": NOW,
        "next_run_at": NOW + timedelta(days=1),
    }
    return ScheduleView(**{**fields, **overrides})


def _json(struct):
    return json.loads(msgspec.json.encode(struct))


# --- 000's /schedules ----------------------------------------------------------------------


def test_000_schedule_renames_run_times_and_keeps_every_field():
    body = _json(v000.schedule_view(_schedule()))
    assert body["last_run"] == "2024-01-15T02:00:00Z" and body["next_run"] == "2024-01-16T02:00:00Z"
    assert "last_run_at" not in body and "next_run_at" not in body
    assert {k: body[k] for k in ("id", "server_id", "database_name", "timezone", "retention_policy_id")} == {
        "id": 7,
        "server_id": 3,
        "database_name": "myapp_production",
        "timezone": "Europe/Paris",
        "retention_policy_id": 1,
    }
    assert set(body) == {
        "id", "name", "description", "server_id", "database_id", "database_name", "cron_expression",
        "timezone", "backup_type", "retention_policy_id", "enabled", "notify_on_success",
        "notify_on_failure", "interval_hours", "max_backups", "only_when_running", "last_run", "next_run",
        "created_at", "updated_at",
    }  # fmt: skip


def test_000_update_forwards_only_what_was_sent_and_never_backup_type():
    update = msgspec.json.decode(b'{"enabled": false, "backup_type": "full"}', type=v000.ScheduleUpdate)
    assert v000.update_fields(update) == {"enabled": False}
    cleared = msgspec.json.decode(b'{"description": null}', type=v000.ScheduleUpdate)
    assert v000.update_fields(cleared) == {"description": None}


def test_000_create_defaults_and_rejects_shapes():
    body = b'{"name": "n", "server_id": 1, "cron_expression": "0 2 * * *"}'
    create = msgspec.json.decode(body, type=v000.ScheduleCreate)
    assert (create.timezone, create.enabled, create.max_backups, create.notify_on_failure) == (
        "UTC",
        True,
        100,
        True,
    )
    for bad in ({"interval_hours": 0}, {"max_backups": 0}, {"backup_type": "incremental"}, {"server_id": 0}):
        with pytest.raises(msgspec.ValidationError):
            msgspec.json.decode(json.dumps({**json.loads(body), **bad}), type=v000.ScheduleCreate)


@pytest.mark.parametrize("value", [0, -1, fields.MAX_ID + 1])
def test_path_ids_no_row_can_have_are_outside_the_declared_range(value):
    """Issue 9 made them a 422 naming the field (the route sweep in test_input_bounds), not a 404."""
    declared = typing.get_args(fields.PathId)[1]
    assert not declared.ge <= value <= declared.le
    assert declared.ge <= fields.MAX_ID <= declared.le


# --- 004's /backup-scheduler ---------------------------------------------------------------


def test_004_schedule_has_string_ids_and_no_nulls_where_004_has_none():
    body = _json(v004.backup_schedule(_schedule()))
    assert body == {
        "id": "7",
        "server_id": 3,
        "name": "Daily Production Backup",
        "description": "Automated daily backup",
        "enabled": True,
        "cron_expression": "0 2 * * *",
        "interval_hours": 24.0,
        "max_backups": 30,
        "only_when_running": True,
        "backup_type": "scheduled",
        "created_at": "2024-01-01T02:00:00Z",
        "updated_at": "2024-01-14T02:00:00Z",
        "last_run_at": "2024-01-15T02:00:00Z",
        "next_run_at": "2024-01-16T02:00:00Z",
        "created_by": 5,
    }
    orphan = _json(v004.backup_schedule(_schedule(created_by=None, server_id=None, last_run_at=None)))
    assert orphan["created_by"] == 0 and orphan["server_id"] == 0 and orphan["last_run_at"] is None


def test_004_create_request_requires_what_004_does_not_mark_optional():
    required = {"server_id": 1, "name": "n", "enabled": True, "cron_expression": "0 * * * *",
                "max_backups": 5, "only_when_running": False}  # fmt: skip
    created = msgspec.json.decode(json.dumps(required), type=v004.BackupScheduleCreateRequest)
    assert created.description is None and created.interval_hours is None
    for field in required:
        partial = {k: v for k, v in required.items() if k != field}
        with pytest.raises(msgspec.ValidationError, match=field):
            msgspec.json.decode(json.dumps(partial), type=v004.BackupScheduleCreateRequest)
    for bad in ({"interval_hours": 0}, {"interval_hours": -1}, {"max_backups": 0}, {"id": "1"}):
        with pytest.raises(msgspec.ValidationError):
            msgspec.json.decode(json.dumps({**required, **bad}), type=v004.BackupScheduleCreateRequest)


def test_004_status_and_jobs():
    status = SchedulerStatus(
        running=True,
        total_schedules=4,
        active_schedules=3,
        last_check_at=NOW,
        next_check_at=None,
        current_jobs=[SchedulerJob(schedule_id=7, server_id=None, started_at=NOW, estimated_completion=None)],
        leader="scheduler-1",
    )
    body = _json(v004.scheduler_status(status))
    assert body == {
        "running": True,
        "total_schedules": 4,
        "active_schedules": 3,
        "last_check_at": "2024-01-15T02:00:00Z",
        "next_check_at": None,
        "current_jobs": [
            {
                "schedule_id": "7",
                "server_id": 0,
                "started_at": "2024-01-15T02:00:00Z",
                "estimated_completion": None,
            }
        ],
    }


def _log(id_, backup_id):
    return ScheduleLog(
        id=id_,
        schedule_id=7,
        server_id=3,
        backup_id=backup_id,
        backup_ids=[] if backup_id is None else [backup_id],
        fire_at=NOW,
        manual=False,
        status="success" if backup_id else "failed",
        started_at=NOW,
        completed_at=NOW + timedelta(seconds=90),
        duration_seconds=90.0,
        backup_size_bytes=1024 if backup_id else None,
        logs=["started", "done"],
        error_message=None if backup_id else "server unreachable",
    )


def test_004_log_page_has_string_ids_and_pagination():
    page = ScheduleLogPage(items=[_log(21, 99), _log(20, None)], total=5)
    body = _json(v004.log_page(page, limit=2, offset=0))
    assert (body["total"], body["limit"], body["offset"], body["has_more"]) == (5, 2, 0, True)
    first, second = body["items"]
    assert first["id"] == "21" and first["schedule_id"] == "7" and first["backup_id"] == "99"
    assert second["backup_id"] is None and second["error_message"] == "server unreachable"
    assert set(first) == {
        "id", "schedule_id", "server_id", "backup_id", "status", "started_at", "completed_at",
        "duration_seconds", "backup_size_bytes", "logs", "error_message",
    }  # fmt: skip
    last = v004.log_page(ScheduleLogPage(items=[_log(1, 2)], total=5), limit=2, offset=4)
    assert last.has_more is False


def test_a_validation_refusal_can_be_answered_as_004s_400():
    refused = Refused(422, "VALIDATION_ERROR", "cron_expression: not a cron expression", "cron_expression")
    response = refusal_response(refused, 400)
    assert response.status_code == 400
    assert response.content["status"] == 400 and "cron_expression" in response.content["detail"]
    assert refusal_response(Refused(409, "CONFLICT", "taken")).content["status"] == 409


# --- /retention-policies: 000's counts and 001's tiers ---------------------------------------


def _policy_view(**overrides):
    fields = {
        "id": 1,
        "name": "Default Policy",
        "description": "Standard backup retention",
        "is_system": True,
        "keep_last_n": None,
        "keep_days": None,
        "keep_hourly": 0,
        "keep_daily": 7,
        "keep_weekly": 4,
        "keep_monthly": 12,
        "keep_yearly": 0,
        "tier_options": {"daily": {"time": "02:00"}, "weekly": {"time": "02:00", "day_of_week": 0}},
        "created_at": NOW,
        "updated_at": NOW,
    }
    return PolicyView(**{**fields, **overrides})


def test_policy_renders_both_shapes():
    body = _json(policies.policy_view(_policy_view()))
    assert (body["keep_daily"], body["keep_weekly"], body["keep_monthly"]) == (7, 4, 12)
    assert body["hourly"] == {"enabled": False, "keep_count": 0}
    assert body["daily"] == {"enabled": True, "keep_count": 7, "time": "02:00"}
    assert body["weekly"] == {"enabled": True, "keep_count": 4, "time": "02:00", "day_of_week": 0}
    assert body["monthly"] == {"enabled": True, "keep_count": 12}
    assert body["is_system"] is True and "tier_options" not in body


def _create(body):
    return msgspec.json.decode(json.dumps({"name": "p", **body}), type=policies.PolicyCreate)


def _sent(fields):
    return {k: v for k, v in fields.items() if v is not None}


def test_tiers_become_counts_and_options():
    data = _create({
        "hourly": {"enabled": True, "keep_count": 24, "interval_hours": 1},
        "daily": {"enabled": True, "keep_count": 30, "time": "02:00"},
        "yearly": {"enabled": False, "keep_count": 5, "month": 1},
        "keep_weekly": 8,
    })  # fmt: skip
    fields, options = policies.merge_tiers(data)
    assert _sent(fields) == {
        "name": "p",
        "keep_hourly": 24,
        "keep_daily": 30,
        "keep_yearly": 0,
        "keep_weekly": 8,
    }
    assert options == {"hourly": {"interval_hours": 1}, "daily": {"time": "02:00"}, "yearly": {"month": 1}}


def test_000_fields_alone_are_passed_through():
    fields, options = policies.merge_tiers(_create({"keep_days": 2555, "keep_daily": 30, "keep_monthly": 84}))
    assert _sent(fields) == {"name": "p", "keep_days": 2555, "keep_daily": 30, "keep_monthly": 84}
    assert options == {}


def test_a_tier_and_its_count_must_agree():
    agreeing = policies.merge_tiers(_create({"keep_daily": 7, "daily": {"keep_count": 7}}))[0]
    assert agreeing["keep_daily"] == 7
    with pytest.raises(Refused) as refused:
        policies.merge_tiers(_create({"keep_daily": 7, "daily": {"enabled": True, "keep_count": 14}}))
    assert refused.value.status == 422 and refused.value.field == "daily"
    with pytest.raises(Refused) as disabled:
        policies.merge_tiers(_create({"keep_weekly": 4, "weekly": {"enabled": False}}))
    assert disabled.value.field == "weekly"


@pytest.mark.parametrize(
    "tier", [{"enabled": True}, {"enabled": True, "keep_count": 0}, {"keep_count": None}]
)
def test_an_enabled_tier_keeps_a_stated_number_of_backups(tier):
    with pytest.raises(Refused) as refused:
        policies.merge_tiers(_create({"daily": tier}))
    assert refused.value.field == "daily.keep_count"


@pytest.mark.parametrize(
    "extra",
    [
        {"time": "24:00"},
        {"time": "2:00"},
        {"time": "02:60"},
        {"day_of_week": 7},
        {"day_of_week": -1},
        {"day_of_month": 0},
        {"day_of_month": 32},
        {"month": 13},
        {"interval_hours": 0},
        {"keep_count": -1},
        {"unknown": 1},
    ],
)
def test_tier_options_are_validated(extra):
    with pytest.raises(msgspec.ValidationError):
        _create({"daily": {"enabled": True, "keep_count": 3, **extra}})


def test_sent_options_replace_current_ones_key_by_key():
    current = {"daily": {"time": "02:00"}, "weekly": {"time": "02:00", "day_of_week": 0}}
    merged = policies.apply_options(current, {"weekly": {"day_of_week": 3, "time": None}, "hourly": {}})
    assert merged == {"daily": {"time": "02:00"}, "weekly": {"day_of_week": 3}}
    assert current["weekly"] == {"time": "02:00", "day_of_week": 0}, "the current options are not changed"
    assert policies.apply_options({}, {"daily": {"time": None}}) == {}
