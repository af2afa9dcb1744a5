"""004's /backup-scheduler contract, 000's /schedules and /retention-policies (with 001's tiers),
through the gateway, the catalog, the scheduler and the retention service on real NATS and PostgreSQL."""

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import httpx
import pytest

from libs.schedules import INTERVALS
from lifeboat.provision import ensure_first_admin
from tests.support.credentials import ADMIN_PASSWORD
from tests.support.services import running

SERVER = {
    "name": "Production DB Server",
    "type": "docker",
    "environment": "production",
    "host": "192.168.1.100",
    "port": 5432,
    "credentials": {"username": "admin", "password": "secure-password"},
}
CREATE = {
    "name": "Nightly",
    "description": "Every six hours",
    "enabled": True,
    "cron_expression": "0 */6 * * *",
    "interval_hours": 6,
    "max_backups": 14,
    "only_when_running": True,
}
SCHEDULE_FIELDS = {
    "id", "server_id", "name", "description", "enabled", "cron_expression", "interval_hours",
    "max_backups", "only_when_running", "backup_type", "created_at", "updated_at", "last_run_at",
    "next_run_at", "created_by",
}  # fmt: skip
LOG_FIELDS = {
    "id", "schedule_id", "server_id", "backup_id", "status", "started_at", "completed_at", "duration_seconds",
    "backup_size_bytes", "logs", "error_message",
}  # fmt: skip
STATUS_FIELDS = {
    "running",
    "total_schedules",
    "active_schedules",
    "last_check_at",
    "next_check_at",
    "current_jobs",
}
TIERS = ("hourly", "daily", "weekly", "monthly", "yearly")


@pytest.fixture
async def api(stack_settings) -> AsyncIterator[httpx.AsyncClient]:
    """Gateway, catalog, scheduler and retention; an HTTP client logged in as the first admin."""
    async with (
        running("gateway", stack_settings("gateway")),
        running("catalog", stack_settings("catalog")),
        running("scheduler", stack_settings("scheduler")),
        running("retention", stack_settings("retention")),
    ):
        await ensure_first_admin(stack_settings("gateway").database_url, "admin", ADMIN_PASSWORD)
        base = f"http://127.0.0.1:{stack_settings.http_port}/api/v1"
        async with httpx.AsyncClient(base_url=base, timeout=10) as client:
            client.headers["Authorization"] = (await _login(client, "admin", ADMIN_PASSWORD))["Authorization"]
            yield client


async def _login(client: httpx.AsyncClient, username: str, password: str) -> dict[str, str]:
    reply = await client.post("/auth/login", json={"username": username, "password": password})
    reply.raise_for_status()
    return {"Authorization": f"Bearer {reply.json()['access_token']}"}


async def _user(api: httpx.AsyncClient, role: str) -> dict[str, str]:
    """A new account with `role`; the headers that act as it."""
    password = f"{role}-password-123"
    created = await api.post("/users", json={"username": f"{role}1", "password": password, "role": role})
    assert created.status_code == 201, created.text
    return await _login(api, f"{role}1", password)


async def _server(api: httpx.AsyncClient, name: str = SERVER["name"]) -> int:
    created = await api.post("/servers", json={**SERVER, "name": name})
    assert created.status_code == 201, created.text
    return int(created.json()["id"])


def _instant(value: Any) -> None:
    assert isinstance(value, str) and datetime.fromisoformat(value).tzinfo is not None, value


def _maybe(value: Any, check: Any) -> None:
    if value is not None:
        check(value)


def _error(reply: httpx.Response, status: int) -> dict[str, Any]:
    """004's error format: {"detail": "...", "status": n} (and never a stack trace)."""
    assert reply.status_code == status, reply.text
    body = reply.json()
    assert isinstance(body["detail"], str) and body["detail"]
    assert body["status"] == status
    assert "Traceback" not in reply.text
    return body


def _check_schedule(body: dict[str, Any]) -> dict[str, Any]:
    assert set(body) == SCHEDULE_FIELDS
    assert isinstance(body["id"], str) and body["id"].isdigit()
    assert isinstance(body["server_id"], int) and isinstance(body["created_by"], int)
    assert isinstance(body["name"], str) and isinstance(body["cron_expression"], str)
    _maybe(body["description"], lambda v: isinstance(v, str) or pytest.fail(v))
    assert isinstance(body["enabled"], bool) and isinstance(body["only_when_running"], bool)
    _maybe(body["interval_hours"], lambda v: isinstance(v, int | float) or pytest.fail(v))
    assert isinstance(body["max_backups"], int) and not isinstance(body["max_backups"], bool)
    assert body["backup_type"] == "scheduled"
    _instant(body["created_at"])
    _instant(body["updated_at"])
    _maybe(body["last_run_at"], _instant)
    _maybe(body["next_run_at"], _instant)
    return body


def _check_status(body: dict[str, Any]) -> dict[str, Any]:
    assert set(body) == STATUS_FIELDS
    assert isinstance(body["running"], bool)
    assert isinstance(body["total_schedules"], int) and isinstance(body["active_schedules"], int)
    _maybe(body["last_check_at"], _instant)
    _maybe(body["next_check_at"], _instant)
    assert isinstance(body["current_jobs"], list)
    for job in body["current_jobs"]:
        assert set(job) == {"schedule_id", "server_id", "started_at", "estimated_completion"}
        assert isinstance(job["schedule_id"], str) and isinstance(job["server_id"], int)
        _instant(job["started_at"])
        _maybe(job["estimated_completion"], _instant)
    return body


def _check_log(body: dict[str, Any]) -> dict[str, Any]:
    assert set(body) == LOG_FIELDS
    assert isinstance(body["id"], str) and isinstance(body["schedule_id"], str)
    assert isinstance(body["server_id"], int)
    _maybe(body["backup_id"], lambda v: isinstance(v, str) or pytest.fail(v))
    assert body["status"] in ("success", "failed", "running", "cancelled")
    _instant(body["started_at"])
    _maybe(body["completed_at"], _instant)
    _maybe(body["duration_seconds"], lambda v: isinstance(v, int | float) or pytest.fail(v))
    _maybe(body["backup_size_bytes"], lambda v: isinstance(v, int) or pytest.fail(v))
    assert isinstance(body["logs"], list) and all(isinstance(line, str) for line in body["logs"])
    _maybe(body["error_message"], lambda v: isinstance(v, str) or pytest.fail(v))
    return body


# --- 004: /backup-scheduler ------------------------------------------------------------------


async def test_004_schedule_lifecycle_with_every_field(api):
    server_id = await _server(api)
    other_server = await _server(api, "Staging")

    created = await api.post("/backup-scheduler/schedules", json={**CREATE, "server_id": server_id})
    assert created.status_code == 201, created.text
    schedule = _check_schedule(created.json())
    sid = schedule["id"]
    assert {k: schedule[k] for k in (*CREATE, "server_id")} == {**CREATE, "server_id": server_id}
    assert schedule["created_by"] == 1 and schedule["next_run_at"] is not None

    listed = await api.get("/backup-scheduler/schedules")
    assert listed.status_code == 200 and [_check_schedule(s)["id"] for s in listed.json()] == [sid]
    mine = await api.get("/backup-scheduler/schedules", params={"server_id": server_id})
    assert [s["id"] for s in mine.json()] == [sid]
    assert (await api.get("/backup-scheduler/schedules", params={"server_id": other_server})).json() == []

    changes = {
        "name": "Twice a day",
        "description": "Every twelve hours",
        "enabled": False,
        "cron_expression": "30 */12 * * *",
        "interval_hours": 12,
        "max_backups": 7,
        "only_when_running": False,
    }
    updated = await api.put(f"/backup-scheduler/schedules/{sid}", json=changes)
    assert updated.status_code == 200, updated.text
    schedule = _check_schedule(updated.json())
    assert {k: schedule[k] for k in changes} == changes and schedule["id"] == sid
    partial = _check_schedule(
        (await api.put(f"/backup-scheduler/schedules/{sid}", json={"max_backups": 9})).json()
    )
    assert partial["max_backups"] == 9 and partial["name"] == "Twice a day"

    enabled = await api.post(f"/backup-scheduler/schedules/{sid}/enable")
    assert enabled.status_code == 200 and _check_schedule(enabled.json())["enabled"] is True
    disabled = await api.post(f"/backup-scheduler/schedules/{sid}/disable")
    assert disabled.status_code == 200 and _check_schedule(disabled.json())["enabled"] is False

    for _ in range(2):
        triggered = await api.post(f"/backup-scheduler/schedules/{sid}/trigger")
        assert triggered.status_code == 202, triggered.text
        assert triggered.json()["schedule_id"] == sid

    logs = await api.get("/backup-scheduler/logs")
    assert logs.status_code == 200
    page = logs.json()
    assert set(page) == {"items", "total", "limit", "offset", "has_more"}
    assert (page["total"], page["limit"], page["offset"], page["has_more"]) == (2, 20, 0, False)
    assert all(_check_log(item)["schedule_id"] == sid for item in page["items"])
    assert {item["server_id"] for item in page["items"]} == {server_id}
    first = (await api.get("/backup-scheduler/logs", params={"schedule_id": sid, "limit": 1})).json()
    assert (len(first["items"]), first["total"], first["limit"], first["has_more"]) == (1, 2, 1, True)
    second = (await api.get("/backup-scheduler/logs", params={"limit": 1, "offset": 1})).json()
    assert (len(second["items"]), second["offset"], second["has_more"]) == (1, 1, False)
    assert second["items"][0]["id"] != first["items"][0]["id"]
    by_server = (await api.get("/backup-scheduler/logs", params={"server_id": server_id})).json()
    assert by_server["total"] == 2
    assert (await api.get("/backup-scheduler/logs", params={"server_id": other_server})).json()["items"] == []

    status = _check_status((await api.get("/backup-scheduler/scheduler/status")).json())
    assert (status["total_schedules"], status["active_schedules"]) == (1, 0)

    deleted = await api.delete(f"/backup-scheduler/schedules/{sid}")
    assert deleted.status_code == 204 and deleted.content == b""
    assert (await api.get("/backup-scheduler/schedules")).json() == []
    for method, path in [
        ("PUT", f"/backup-scheduler/schedules/{sid}"),
        ("DELETE", f"/backup-scheduler/schedules/{sid}"),
        ("POST", f"/backup-scheduler/schedules/{sid}/enable"),
        ("POST", f"/backup-scheduler/schedules/{sid}/disable"),
        ("POST", f"/backup-scheduler/schedules/{sid}/trigger"),
        ("PUT", "/backup-scheduler/schedules/not-a-number"),
        ("POST", "/backup-scheduler/schedules/not-a-number/enable"),
    ]:
        _error(await api.request(method, path, json={"name": "x"} if method == "PUT" else None), 404)
    # an id no row can have is invalid input (issue 9), a 400 naming it on 004's routes
    oversized = _error(await api.delete("/backup-scheduler/schedules/99999999999999999999999"), 400)
    assert "schedule_id" in oversized["detail"]


async def test_004_optional_fields_may_be_left_out(api):
    server_id = await _server(api)
    body = {k: v for k, v in CREATE.items() if k not in ("description", "interval_hours")}
    created = await api.post("/backup-scheduler/schedules", json={**body, "server_id": server_id})
    assert created.status_code == 201, created.text
    schedule = _check_schedule(created.json())
    assert schedule["description"] is None and schedule["interval_hours"] is None


async def test_004_intervals(api):
    reply = await api.get("/backup-scheduler/intervals")
    assert reply.status_code == 200
    assert reply.json() == [
        {"hours": i.hours, "label": i.label, "cron_expression": i.cron_expression} for i in INTERVALS
    ]
    for interval in reply.json():
        assert set(interval) == {"hours", "label", "cron_expression"}
        assert isinstance(interval["hours"], int | float) and interval["hours"] > 0


async def test_004_scheduler_control(api):
    status = _check_status((await api.get("/backup-scheduler/scheduler/status")).json())
    assert status["total_schedules"] == 0 and status["current_jobs"] == []
    stopped = await api.post("/backup-scheduler/scheduler/stop")
    assert stopped.status_code == 200 and _check_status(stopped.json())["running"] is False
    assert (await api.get("/backup-scheduler/scheduler/status")).json()["running"] is False
    started = await api.post("/backup-scheduler/scheduler/start")
    assert started.status_code == 200 and _check_status(started.json())["running"] is True
    restarted = await api.post("/backup-scheduler/scheduler/restart")
    assert restarted.status_code == 200 and _check_status(restarted.json())["running"] is True


async def test_004_bad_input_is_400_and_stores_nothing(api):
    server_id = await _server(api)
    good = {**CREATE, "server_id": server_id}
    cases = [
        ({"cron_expression": "61 * * * *"}, "cron_expression"),
        ({"cron_expression": "* * *"}, "cron_expression"),
        ({"interval_hours": 0}, "interval_hours"),
        ({"interval_hours": -1}, "interval_hours"),
        ({"max_backups": 0}, "max_backups"),
        ({"server_id": server_id + 1000}, "server_id"),
        ({"max_backups": "many"}, "max_backups"),
        ({"colour": "blue"}, "colour"),
        ({"name": ""}, "name"),
    ]
    for change, field in cases:
        error = _error(await api.post("/backup-scheduler/schedules", json={**good, **change}), 400)
        assert field in error["detail"], (change, error)
    missing = {k: v for k, v in good.items() if k != "only_when_running"}
    assert (
        "only_when_running"
        in _error(await api.post("/backup-scheduler/schedules", json=missing), 400)["detail"]
    )
    _error(
        await api.post(
            "/backup-scheduler/schedules", content=b'{"name": ', headers={"content-type": "application/json"}
        ),
        400,
    )
    assert (await api.get("/backup-scheduler/schedules")).json() == []

    created = _check_schedule((await api.post("/backup-scheduler/schedules", json=good)).json())
    for change, field in cases[:5]:
        error = _error(await api.put(f"/backup-scheduler/schedules/{created['id']}", json=change), 400)
        assert field in error["detail"], (change, error)
    assert [_check_schedule(s) for s in (await api.get("/backup-scheduler/schedules")).json()] == [created]
    _error(await api.get("/backup-scheduler/logs", params={"limit": 0}), 400)

    duplicate = await api.post("/backup-scheduler/schedules", json={**good, "description": "again"})
    assert CREATE["name"] in _error(duplicate, 409)["detail"]
    other = _check_schedule(
        (await api.post("/backup-scheduler/schedules", json={**good, "name": "Other"})).json()
    )
    _error(await api.put(f"/backup-scheduler/schedules/{other['id']}", json={"name": CREATE["name"]}), 409)
    assert len((await api.get("/backup-scheduler/schedules")).json()) == 2


async def test_004_roles_and_authentication(api):
    server_id = await _server(api)
    created = await api.post("/backup-scheduler/schedules", json={**CREATE, "server_id": server_id})
    sid = _check_schedule(created.json())["id"]
    viewer, operator = await _user(api, "viewer"), await _user(api, "operator")
    reads = [
        ("GET", "/backup-scheduler/schedules"),
        ("GET", "/backup-scheduler/scheduler/status"),
        ("GET", "/backup-scheduler/logs"),
        ("GET", "/backup-scheduler/intervals"),
    ]
    manage = [
        ("POST", "/backup-scheduler/schedules", {**CREATE, "name": "By someone", "server_id": server_id}),
        ("PUT", f"/backup-scheduler/schedules/{sid}", {"max_backups": 3}),
        ("POST", f"/backup-scheduler/schedules/{sid}/disable", None),
        ("POST", f"/backup-scheduler/schedules/{sid}/enable", None),
        ("POST", f"/backup-scheduler/schedules/{sid}/trigger", None),
    ]
    control = [
        ("POST", f"/backup-scheduler/scheduler/{action}", None) for action in ("stop", "start", "restart")
    ]
    delete = ("DELETE", f"/backup-scheduler/schedules/{sid}", None)

    async with httpx.AsyncClient(base_url=api.base_url, timeout=10) as anonymous:
        for method, path, body in [*((m, p, None) for m, p in reads), *manage, *control, delete]:
            _error(await anonymous.request(method, path, json=body), 401)
    for method, path in reads:
        assert (await api.request(method, path, headers=viewer)).status_code == 200, path
    for method, path, body in [*manage, *control, delete]:
        _error(await api.request(method, path, json=body, headers=viewer), 403)
    for method, path, body in manage:
        reply = await api.request(method, path, json=body, headers=operator)
        assert reply.status_code in (200, 201, 202), (path, reply.text)
    for method, path, body in control:
        _error(await api.request(method, path, json=body, headers=operator), 403)
        assert (await api.request(method, path, json=body)).status_code == 200, path
    assert (await api.request(*delete[:2], headers=operator)).status_code == 204


# --- 000: /schedules ---------------------------------------------------------------------------


async def test_000_schedules_round_trip(api):
    server_id = await _server(api)
    default_policy = next(p for p in (await api.get("/retention-policies")).json() if p["is_system"])
    body = {
        "name": "Daily Production Backup",
        "description": "Automated daily backup",
        "server_id": server_id,
        "database_name": "myapp_production",
        "cron_expression": "0 2 * * *",
        "timezone": "Europe/Paris",
        "backup_type": "full",
        "retention_policy_id": default_policy["id"],
        "enabled": True,
        "notify_on_success": False,
        "notify_on_failure": True,
    }
    created = await api.post("/schedules", json=body)
    assert created.status_code == 201, created.text
    schedule = created.json()
    assert {k: schedule[k] for k in body} == body
    assert isinstance(schedule["id"], int)
    _instant(schedule["created_at"])
    _instant(schedule["updated_at"])
    _instant(schedule["next_run"])
    assert schedule["last_run"] is None
    assert (schedule["max_backups"], schedule["only_when_running"], schedule["interval_hours"]) == (
        100,
        False,
        None,
    )

    assert [s["id"] for s in (await api.get("/schedules")).json()] == [schedule["id"]]
    assert [s["id"] for s in (await api.get("/schedules", params={"server_id": server_id})).json()] == [
        schedule["id"]
    ]
    assert (await api.get("/schedules", params={"server_id": server_id + 1})).json() == []
    assert (await api.get(f"/schedules/{schedule['id']}")).json() == schedule
    # the same schedule, seen through 004
    [seen] = (await api.get("/backup-scheduler/schedules")).json()
    assert seen["id"] == str(schedule["id"]) and seen["name"] == body["name"]

    paused = await api.put(f"/schedules/{schedule['id']}", json={"enabled": False})
    assert paused.status_code == 200 and paused.json()["enabled"] is False
    assert paused.json()["name"] == body["name"]

    mars = await api.post("/schedules", json={**body, "name": "On Mars", "timezone": "Mars/Base"})
    assert mars.status_code == 422 and "timezone" in mars.json()["detail"]
    assert mars.json()["status"] == 422
    assert (await api.post("/schedules", json=body)).status_code == 409
    assert len((await api.get("/schedules")).json()) == 1

    deleted = await api.delete(f"/schedules/{schedule['id']}")
    assert deleted.status_code == 200 and body["name"] in deleted.json()["message"]
    for method in ("GET", "PUT", "DELETE"):
        reply = await api.request(
            method, f"/schedules/{schedule['id']}", json={} if method == "PUT" else None
        )
        assert reply.status_code == 404 and reply.json()["status"] == 404


# --- /retention-policies -----------------------------------------------------------------------


def _check_policy(body: dict[str, Any]) -> dict[str, Any]:
    assert set(body) == {
        "id", "name", "description", "is_system", "keep_last_n", "keep_days", "keep_daily", "keep_weekly",
        "keep_monthly", "keep_hourly", "keep_yearly", *TIERS, "created_at", "updated_at",
    }  # fmt: skip
    for tier in TIERS:
        assert body[tier]["keep_count"] == body[f"keep_{tier}"]
        assert body[tier]["enabled"] is (body[f"keep_{tier}"] > 0)
    _instant(body["created_at"])
    _instant(body["updated_at"])
    return body


async def test_retention_policies_in_both_shapes(api):
    [default] = [_check_policy(p) for p in (await api.get("/retention-policies")).json()]
    assert default["name"] == "Default Policy" and default["is_system"] is True
    assert (default["keep_daily"], default["keep_weekly"], default["keep_monthly"]) == (7, 4, 12)
    assert default["hourly"] == {"enabled": False, "keep_count": 0}

    flat = {
        "name": "Long-term Retention",
        "description": "Keep backups for compliance",
        "keep_days": 2555,
        "keep_daily": 30,
        "keep_weekly": 52,
        "keep_monthly": 84,
    }
    created = await api.post("/retention-policies", json=flat)
    assert created.status_code == 201, created.text
    long_term = _check_policy(created.json())
    assert {k: long_term[k] for k in flat} == flat and long_term["is_system"] is False
    assert long_term["daily"] == {"enabled": True, "keep_count": 30} and long_term["keep_last_n"] is None

    tiers = {
        "name": "High Retention Policy",
        "description": "For critical databases",
        "hourly": {"enabled": True, "keep_count": 24, "interval_hours": 1},
        "daily": {"enabled": True, "keep_count": 30, "time": "02:00"},
        "weekly": {"enabled": True, "keep_count": 8, "time": "02:00", "day_of_week": 0},
        "monthly": {"enabled": True, "keep_count": 24, "time": "02:00", "day_of_month": 1},
        "yearly": {"enabled": False, "keep_count": 5, "time": "02:00", "day_of_month": 1, "month": 1},
    }
    created = await api.post("/retention-policies", json=tiers)
    assert created.status_code == 201, created.text
    high = _check_policy(created.json())
    for tier in ("hourly", "daily", "weekly", "monthly"):
        assert high[tier] == tiers[tier]
    assert high["yearly"] == {**tiers["yearly"], "keep_count": 0} and high["keep_yearly"] == 0
    assert (high["keep_hourly"], high["keep_daily"], high["keep_weekly"]) == (24, 30, 8)

    conflict = await api.post("/retention-policies", json={**tiers, "name": "x", "keep_daily": 7})
    assert conflict.status_code == 422 and conflict.json()["detail"].startswith("daily")
    for bad_tier in (
        {"time": "25:00"},
        {"day_of_week": 7},
        {"day_of_month": 32},
        {"month": 0},
        {"interval_hours": 0},
    ):
        bad = await api.post(
            "/retention-policies", json={"name": "x", "weekly": {"keep_count": 2, **bad_tier}}
        )
        assert bad.status_code == 422, (bad_tier, bad.text)
    assert (await api.post("/retention-policies", json=flat)).status_code == 409
    assert len((await api.get("/retention-policies")).json()) == 3

    path = f"/retention-policies/{high['id']}"
    assert _check_policy((await api.get(path)).json()) == high
    updated = await api.put(
        path, json={"name": "Updated Policy Name", "daily": {"keep_count": 14, "time": "03:00"}}
    )
    assert updated.status_code == 200, updated.text
    changed = _check_policy(updated.json())
    assert changed["name"] == "Updated Policy Name"
    assert changed["daily"] == {"enabled": True, "keep_count": 14, "time": "03:00"}
    assert changed["weekly"] == tiers["weekly"], "tiers not sent keep their options"
    assert _check_policy((await api.put(path, json={"keep_weekly": 0})).json())["weekly"]["enabled"] is False

    deleted = await api.delete(path)
    assert deleted.status_code == 200 and "Updated Policy Name" in deleted.json()["message"]
    for method in ("GET", "PUT", "DELETE"):
        reply = await api.request(method, path, json={"name": "y"} if method == "PUT" else None)
        assert reply.status_code == 404 and reply.json()["status"] == 404

    system = await api.delete(f"/retention-policies/{default['id']}")
    assert system.status_code == 400 and system.json()["status"] == 400
    assert any(p["is_system"] for p in (await api.get("/retention-policies")).json())


async def test_retention_preview_and_roles(api):
    [default] = (await api.get("/retention-policies")).json()
    database = await api.post(
        "/databases",
        json={
            "name": "Orders",
            "database_type": "postgresql",
            "host": "db.internal",
            "port": 5432,
            "database_name": "orders",
            "username": "backup",
            "password": "db-secret",
        },
    )
    assert database.status_code == 201, database.text
    database_id = database.json()["database"]["id"]
    preview = await api.get(
        f"/retention-policies/{default['id']}/preview", params={"database_id": database_id}
    )
    assert preview.status_code == 200, preview.text
    body = preview.json()
    assert (body["policy_id"], body["database_id"], body["keep"], body["delete"]) == (
        default["id"],
        database_id,
        [],
        [],
    )
    # a missing query parameter is a validation error naming it (issue 9; it was a 400 before)
    missing = await api.get(f"/retention-policies/{default['id']}/preview")
    assert missing.status_code == 422 and "database_id" in missing.json()["detail"]
    assert missing.json()["errors"] == [{"loc": ["query", "database_id"], "msg": "field required"}]

    viewer = await _user(api, "viewer")
    assert (await api.get("/retention-policies", headers=viewer)).status_code == 200
    assert (await api.get("/schedules", headers=viewer)).status_code == 200
    denied = await api.post("/retention-policies", json={"name": "v", "keep_daily": 1}, headers=viewer)
    assert denied.status_code == 403 and denied.json()["status"] == 403
    assert (await api.delete(f"/retention-policies/{default['id']}", headers=viewer)).status_code == 403
    assert (await api.post("/schedules", json={}, headers=viewer)).status_code == 403
