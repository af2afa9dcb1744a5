"""Servers through the gateway and the catalog, on real NATS and PostgreSQL."""

from libs.db import connect

SERVER = {
    "name": "Production DB Server",
    "description": "Main production database",
    "type": "docker",
    "environment": "production",
    "host": "192.168.1.100",
    "port": 5432,
    "credentials": {"username": "admin", "password": "secure-password", "ssh_key": "KEYDATA"},
    "tags": {"region": "us-east-1", "team": "platform"},
}


async def test_created_server_is_listed_without_credentials(api):
    created = await api.post("/servers", json=SERVER)
    assert created.status_code == 201, created.text
    listed = await api.get("/servers")
    assert listed.status_code == 200
    [server] = listed.json()
    assert server["name"] == "Production DB Server"
    assert server["has_password"] is True and server["has_ssh_key"] is True
    assert "credentials" not in server and "password" not in server
    assert "secure-password" not in listed.text and "KEYDATA" not in listed.text
    assert listed.headers["x-total-count"] == "1"


async def test_update_filters_and_delete(api):
    first = (await api.post("/servers", json=SERVER)).json()
    await api.post(
        "/servers",
        json={
            **SERVER,
            "name": "cache",
            "engine_type": "redis",
            "port": None,
            "credentials": None,
            "environment": "staging",
        },
    )
    updated = await api.put(f"/servers/{first['id']}", json={"name": "Renamed", "tags": {"region": "eu"}})
    assert updated.status_code == 200, updated.text
    assert updated.json()["name"] == "Renamed" and updated.json()["host"] == SERVER["host"]
    redis = (await api.get("/servers", params={"engine_type": "redis"})).json()
    assert [s["name"] for s in redis] == ["cache"] and redis[0]["port"] == 6379
    assert [s["name"] for s in (await api.get("/servers", params={"search": "renam"})).json()] == ["Renamed"]
    deleted = await api.delete(f"/servers/{first['id']}")
    assert deleted.status_code == 200 and "Renamed" in deleted.json()["message"]
    assert (await api.get(f"/servers/{first['id']}")).status_code == 404


async def test_duplicate_names_and_missing_password_are_refused(api):
    assert (await api.post("/servers", json=SERVER)).status_code == 201
    duplicate = await api.post("/servers", json={**SERVER, "name": "production db server"})
    assert duplicate.status_code == 409 and duplicate.json()["code"] == "CONFLICT"
    no_password = await api.post(
        "/servers",
        json={**SERVER, "name": "x", "auth_method": "user_password", "credentials": {"username": "u"}},
    )
    assert no_password.status_code == 422
    assert "credentials.password" in no_password.json()["detail"]
    assert len((await api.get("/servers")).json()) == 1


async def test_the_callers_trace_reaches_the_catalog_and_its_events(api, stack_settings):
    trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
    traceparent = f"00-{trace_id}-00f067aa0ba902b7-01"
    created = await api.post("/servers", json={**SERVER, "name": "traced"},
                             headers={"traceparent": traceparent})
    assert created.status_code == 201
    pool = await connect(stack_settings("catalog").database_url, "catalog")
    try:
        headers = await pool.fetchval("SELECT headers FROM outbox WHERE subject LIKE '%server_created'")
    finally:
        await pool.close()
    assert trace_id in headers["traceparent"]
