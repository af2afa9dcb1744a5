"""The audit log through the gateway, on real NATS and PostgreSQL: what it records, how it is
filtered, exported and counted, and that it cannot be quietly changed."""

import asyncio
import csv
import io
import uuid

import asyncpg
import httpx
import msgspec
import nats
import pytest

from contracts import subjects
from contracts.envelope import Actor
from libs.bus.broker import make_broker
from libs.db import connect
from services.gateway.auth.passwords import hash_password
from services.gateway.identity import users

SERVER = {"name": "alpha-db", "host": "10.0.0.5", "port": 5432, "engine_type": "postgresql"}


async def _until(predicate, timeout: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await predicate():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.1)


async def _logs(api: httpx.AsyncClient, **params) -> dict:
    reply = await api.get("/audit/logs", params=params)
    assert reply.status_code == 200, reply.text
    return reply.json()


async def _recorded(api: httpx.AsyncClient, count: int, **params) -> dict:
    """Wait until `count` records match, as events reach the audit asynchronously."""
    async def enough() -> bool:
        return (await _logs(api, **params))["total"] >= count

    await _until(enough)
    return await _logs(api, **params)


async def _create_servers(api: httpx.AsyncClient, *names: str) -> list[dict]:
    created = [await api.post("/servers", json={**SERVER, "name": name}) for name in names]
    assert all(reply.status_code == 201 for reply in created), [r.text for r in created]
    return [reply.json() for reply in created]


async def test_created_servers_are_recorded_with_who_and_from_where_and_can_be_filtered(audit_api):
    alpha, beta = await _create_servers(audit_api, "alpha-db", "beta-cache")
    page = await _recorded(audit_api, 2, action="server_created")
    assert page["total"] == 2
    newest, oldest = page["items"]
    assert (newest["resource_id"], oldest["resource_id"]) == (beta["id"], alpha["id"])
    assert newest["username"] == "admin" and newest["ip_address"] == "127.0.0.1"
    assert isinstance(newest["user_id"], int) and newest["status"] == "success"
    assert (newest["resource_type"], newest["resource_name"], newest["event_type"]) == (
        "server", "beta-cache", "server.created")
    assert newest["details"]["host"] == "10.0.0.5" and "server_id" not in newest["details"]
    assert newest["created_at"].endswith("Z") and uuid.UUID(newest["event_id"])

    assert (await _logs(audit_api, resource_type="server"))["total"] == 2
    assert [i["resource_name"] for i in (await _logs(audit_api, search="BETA"))["items"]] == ["beta-cache"]
    assert (await _logs(audit_api, resource_name="alph"))["total"] == 1
    assert (await _logs(audit_api, search="server_crea"))["total"] == 2
    assert (await _logs(audit_api, user_id=newest["user_id"], action="server_created"))["total"] == 2
    assert (await _logs(audit_api, status="failed"))["total"] == 0
    limited = await _logs(audit_api, action="server_created", limit=1, offset=1)
    assert limited["total"] == 2 and [i["resource_id"] for i in limited["items"]] == [alpha["id"]]

    day = newest["occurred_at"][:10]
    assert (await _logs(audit_api, action="server_created", start_date=day, end_date=day))["total"] == 2
    assert (await _logs(audit_api, action="server_created", end_date="2000-01-01"))["total"] == 0
    assert (await _logs(audit_api, action="server_created", start_date="2999-01-01T00:00:00Z"))["total"] == 0

    bad = await audit_api.get("/audit/logs", params={"start_date": "yesterday"})
    assert bad.status_code == 422 and bad.json()["code"] == "VALIDATION_ERROR"
    assert "start_date" in bad.json()["detail"]
    assert (await audit_api.get("/audit/logs", params={"limit": 0})).status_code == 422
    assert (await audit_api.get("/audit/logs", params={"limit": 1001})).status_code == 422
    for odd in ({"search": "\x00"}, {"resource_name": "x" * 201}, {"user_id": 2**63}, {"status": "maybe"}):
        assert (await audit_api.get("/audit/logs", params=odd)).status_code == 422, odd
    assert (await audit_api.get("/audit/logs", params={"end_date": "9999-12-31"})).status_code == 422


async def test_export_stats_labels_and_verification(audit_api):
    await _create_servers(audit_api, "alpha-db", "beta-cache")
    admin_id = (await _recorded(audit_api, 2, action="server_created"))["items"][0]["user_id"]
    await _recorded(audit_api, 3, user_id=admin_id)  # the admin's login, then two servers

    export = await audit_api.get("/audit/export", params={"format": "csv", "resource_type": "server"})
    assert export.status_code == 200, export.text
    assert export.headers["content-type"].startswith("text/csv")
    assert export.headers["content-disposition"].startswith("attachment")
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert sorted(r["resource_name"] for r in rows) == ["alpha-db", "beta-cache"]
    assert {r["action"] for r in rows} == {"server_created"} and rows[0]["username"] == "admin"
    assert (await audit_api.get("/audit/export", params={"format": "xml"})).status_code == 422

    stats = (await audit_api.get("/audit/stats")).json()
    assert stats["by_action"]["server_created"] == 2 and stats["by_resource_type"]["server"] == 2
    assert stats["total"] == sum(stats["by_status"].values()) == sum(stats["by_action"].values())
    assert {"user_id": admin_id, "username": "admin", "count": 3} in stats["by_user"]
    future = (await audit_api.get("/audit/stats", params={"start_date": "2999-01-01"})).json()
    assert future["total"] == 0 and future["by_action"] == {}

    actions = (await audit_api.get("/audit/actions")).json()["actions"]
    assert {"value": "server_created", "label": "Server Created"} in actions
    types = (await audit_api.get("/audit/resource-types")).json()["resource_types"]
    assert {"value": "access_request", "label": "Access Request"} in types

    verified = (await audit_api.get("/audit/verify")).json()
    assert verified == {"valid": True, "checked": stats["total"], "first_broken_id": None}


async def test_the_log_is_append_only_records_each_event_once_and_shows_tampering(
    audit_api, stack_settings, servers
):
    [server] = await _create_servers(audit_api, "alpha-db")
    [record] = (await _recorded(audit_api, 1, action="server_created"))["items"]
    database_url = stack_settings("audit").database_url
    audit = await connect(database_url, "audit", max_size=1)
    catalog = await connect(database_url, "catalog", max_size=1)
    broker = make_broker(servers.nats.url, "test")
    await broker.connect()
    try:
        with pytest.raises(asyncpg.PostgresError, match="append-only"):
            await audit.execute("UPDATE audit_log SET username = 'someone-else' WHERE id = $1", record["id"])
        with pytest.raises(asyncpg.PostgresError, match="append-only"):
            await audit.execute("DELETE FROM audit_log WHERE id = $1", record["id"])

        # The same event again, as a relay that died before marking it published would send it.
        event = await catalog.fetchrow("SELECT subject, payload FROM outbox WHERE id = $1",
                                       record["event_id"])
        await broker.publish(bytes(event["payload"]), event["subject"], stream=subjects.EVENTS_STREAM)
        # An event of a type no service emits yet, with numbers jsonb rewrites.
        future = {"type": "backup.failed", "id": str(uuid.uuid4()).upper(), "producer": "executor",
                  "occurred_at": "2030-01-01T02:00:00+02:00", "actor": {"service": "executor"},
                  "backup_id": 7, "error": "disk full", "sizes": {"b": 1e20, "a": [0.1, 1.0, 2]}}
        ack = await broker.publish(msgspec.json.encode(future), subjects.event("executor", "backup_failed"),
                                   stream=subjects.EVENTS_STREAM)
        await _consumed_up_to(servers.nats.url, ack.seq)

        assert (await _logs(audit_api, action="server_created"))["total"] == 1
        [failed] = (await _logs(audit_api, action="backup_failed"))["items"]
        assert (failed["resource_id"], failed["status"]) == (7, "failed")
        assert failed["error_message"] == "disk full"
        assert (failed["username"], failed["occurred_at"]) == ("executor", "2030-01-01T00:00:00Z")
        assert (await audit_api.get("/audit/verify")).json()["valid"] is True

        async with audit.acquire() as conn, conn.transaction():
            await conn.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
            await conn.execute("""UPDATE audit_log SET details = details || '{"host": "evil"}'
                                  WHERE id = $1""", record["id"])
            await conn.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only")
        tampered = (await audit_api.get("/audit/verify")).json()
        assert tampered["valid"] is False and tampered["first_broken_id"] == record["id"]
        assert server["id"] == record["resource_id"]
    finally:
        await broker.stop()
        await audit.close()
        await catalog.close()


async def _consumed_up_to(nats_url: str, stream_seq: int) -> None:
    connection = await nats.connect(nats_url)
    js = connection.jetstream()

    async def acknowledged() -> bool:
        info = await js.consumer_info(subjects.EVENTS_STREAM, "audit")
        return info.ack_floor.stream_seq >= stream_seq

    try:
        await _until(acknowledged)
    finally:
        await connection.close()


async def test_only_admins_read_the_audit_log(audit_api, stack_settings):
    pool = await connect(stack_settings("gateway").database_url, "gateway", max_size=1)
    try:
        async with pool.acquire() as conn, conn.transaction():
            await users.insert(conn, username="vera", password_hash=hash_password("viewer-password"),
                               role="viewer", actor=Actor(service="test"))
    finally:
        await pool.close()
    login = await audit_api.post("/auth/login", json={"username": "vera", "password": "viewer-password"})
    assert login.status_code == 200, login.text
    viewer = {"Authorization": f"Bearer {login.json()['access_token']}"}
    for path in ("/audit/logs", "/audit/export", "/audit/stats", "/audit/verify", "/audit/actions"):
        refused = await audit_api.get(path, headers=viewer)
        assert refused.status_code == 403 and refused.json()["code"] == "FORBIDDEN", path
    anonymous = await audit_api.get("/audit/logs", headers={"Authorization": ""})
    assert anonymous.status_code == 401


async def test_the_log_keeps_the_order_in_which_events_were_published(audit_api, servers):
    """The audit's consumer gets events in batches; the chain must still be appended in the
    stream's order, or "newest first" would show a later change before an earlier one."""
    broker = make_broker(servers.nats.url, "test")
    await broker.connect()
    published = list(range(9000, 9040))
    try:
        for backup_id in published:
            event = {"type": "backup.failed", "id": str(uuid.uuid4()), "producer": "executor",
                     "occurred_at": "2030-01-02T00:00:00Z", "actor": {"service": "executor"},
                     "backup_id": backup_id, "error": "ordering"}
            subject = subjects.event("executor", "backup_failed")
            ack = await broker.publish(msgspec.json.encode(event), subject, stream=subjects.EVENTS_STREAM)
        await _consumed_up_to(servers.nats.url, ack.seq)
    finally:
        await broker.stop()
    items = (await _logs(audit_api, action="backup_failed", limit=1000))["items"]
    recorded = [i["resource_id"] for i in items if i["resource_id"] in set(published)]
    assert recorded == published[::-1]
