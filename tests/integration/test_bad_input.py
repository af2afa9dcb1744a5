"""Bad input gets a 4xx in the documented format, never a 500, and changes nothing."""

import pytest

from contracts.envelope import Actor
from libs.db import connect
from services.gateway.auth.passwords import hash_password
from services.gateway.identity import users

GOOD = {"name": "db", "host": "db.internal", "port": 5432, "credentials": {"username": "u", "password": "p"}}


def _assert_error_format(reply, status: int) -> dict:
    assert reply.status_code == status, reply.text
    body = reply.json()
    assert {"detail", "code", "timestamp"} <= set(body) and body["timestamp"].endswith("Z")
    assert "Traceback" not in reply.text
    return body


@pytest.mark.parametrize(
    "body, field",
    [
        ({"host": "h"}, "name"),
        ({**GOOD, "port": "five"}, "port"),
        ({**GOOD, "port": 70000}, "port"),
        ({**GOOD, "engine_type": "oracle"}, "engine_type"),
        ({**GOOD, "host": "has space"}, "host"),
        ({**GOOD, "colour": "blue"}, "colour"),
        ({**GOOD, "credentials": {"username": "u", "password": 5}}, "credentials.password"),
        ({**GOOD, "tags": ["not", "a", "map"]}, "tags"),
    ],
)
async def test_invalid_fields_are_422_naming_the_field(api, body, field):
    error = _assert_error_format(await api.post("/servers", json=body), 422)
    assert field in error["detail"]
    assert (await api.get("/servers")).json() == []


async def test_malformed_json_is_400_and_a_body_of_the_wrong_type_422(api):
    _assert_error_format(
        await api.post("/servers", content=b'{"name": "db",', headers={"content-type": "application/json"}),
        400,
    )
    _assert_error_format(
        await api.post("/servers", content=b"[1, 2]", headers={"content-type": "application/json"}), 422
    )
    assert (await api.get("/servers")).json() == []


async def test_oversize_body_is_413(api):
    huge = {**GOOD, "description": "x" * (2 * 1024 * 1024)}
    _assert_error_format(await api.post("/servers", json=huge), 413)


async def test_unknown_ids_are_404(api):
    _assert_error_format(await api.get("/servers/999"), 404)
    _assert_error_format(await api.put("/servers/999", json={"name": "x"}), 404)
    _assert_error_format(await api.delete("/servers/999"), 404)
    _assert_error_format(await api.get("/servers/not-a-number"), 404)


async def test_missing_or_bad_token_is_401(api):
    token = api.headers.pop("Authorization")
    try:
        _assert_error_format(await api.get("/servers"), 401)
        _assert_error_format(await api.get("/servers", headers={"Authorization": "Bearer nonsense"}), 401)
        _assert_error_format(await api.get("/servers", headers={"Authorization": token + "x"}), 401)
    finally:
        api.headers["Authorization"] = token


async def test_a_viewer_cannot_change_servers(api, stack_settings):
    created = (await api.post("/servers", json=GOOD)).json()
    pool = await connect(stack_settings("gateway").database_url, "gateway")
    async with pool.acquire() as conn, conn.transaction():
        await users.insert(
            conn,
            username="viewer",
            password_hash=hash_password("viewer-password"),
            role="viewer",
            actor=Actor(service="test"),
        )
    await pool.close()
    login = await api.post("/auth/login", json={"username": "viewer", "password": "viewer-password"})
    as_viewer = {"Authorization": f"Bearer {login.json()['access_token']}"}
    assert (await api.get("/servers", headers=as_viewer)).status_code == 200
    _assert_error_format(await api.delete(f"/servers/{created['id']}", headers=as_viewer), 403)
    _assert_error_format(await api.post("/servers", json={**GOOD, "name": "x"}, headers=as_viewer), 403)
    assert [s["name"] for s in (await api.get("/servers")).json()] == ["db"]
