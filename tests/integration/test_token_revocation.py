"""An access token stops working the moment its session ends: after logout (the token's id is
denied until it expires, in the gateway's schema, so every gateway instance refuses it), and
after its user is disabled or deleted; a role change limits the very next request."""

from datetime import UTC, datetime, timedelta

import asyncpg
import httpx

from tests.integration.test_identity_api import add_user, bearer, client, login

__all__ = ["client"]


async def _status(client: httpx.AsyncClient, path: str, token: str) -> int:
    return (await client.get(path, headers=bearer(token))).status_code


async def test_logout_revokes_the_access_token_and_only_that_one(client):
    await add_user(client, "leaving", role="operator")
    session, other = await login(client, "leaving"), await login(client, "leaving")
    for token in (session["access_token"], other["access_token"]):
        assert await _status(client, "/auth/me", token) == 200

    out = await client.post(
        "/auth/logout",
        json={"refresh_token": session["refresh_token"]},
        headers=bearer(session["access_token"]),
    )
    assert out.status_code == 200, out.text

    for path in ("/auth/me", "/servers", "/databases", "/users/me"):
        refused = await client.get(path, headers=bearer(session["access_token"]))
        assert refused.status_code == 401, (path, refused.text)
        assert "revoked" in refused.json()["detail"]
    again = await client.post(
        "/auth/logout",
        json={"refresh_token": session["refresh_token"]},
        headers=bearer(session["access_token"]),
    )
    assert again.status_code == 401
    assert await _status(client, "/auth/me", other["access_token"]) == 200  # another session lives on
    assert await _status(client, "/servers", other["access_token"]) == 200
    assert (await client.get("/auth/me")).status_code == 200  # and so does the admin's


async def test_the_denylist_lives_in_the_gateway_schema_and_expired_rows_go(client, stack_settings):
    await add_user(client, "tidy", role="viewer")
    first, second = await login(client, "tidy"), await login(client, "tidy")
    conn = await asyncpg.connect(stack_settings("gateway").database_url)
    try:
        await conn.execute(
            "INSERT INTO gateway.revoked_access_tokens (jti, user_id, expires_at) VALUES ('stale', 1, $1)",
            datetime.now(UTC) - timedelta(minutes=1),
        )
        for session in (first, second):
            out = await client.post(
                "/auth/logout",
                json={"refresh_token": session["refresh_token"]},
                headers=bearer(session["access_token"]),
            )
            assert out.status_code == 200, out.text
        rows = await conn.fetch("SELECT jti, expires_at FROM gateway.revoked_access_tokens")
    finally:
        await conn.close()
    assert "stale" not in {r["jti"] for r in rows}
    assert len(rows) == 2 and all(r["expires_at"] > datetime.now(UTC) for r in rows)
    assert all(r["expires_at"] <= datetime.now(UTC) + timedelta(minutes=16) for r in rows)


async def test_disabling_or_deleting_a_user_ends_their_token_at_once(client):
    disabled = await add_user(client, "gone-quiet", role="operator")
    deleted = await add_user(client, "gone-away", role="operator")
    tokens = {u["id"]: (await login(client, u["username"]))["access_token"] for u in (disabled, deleted)}
    for token in tokens.values():
        assert await _status(client, "/servers", token) == 200

    assert (await client.put(f"/users/{disabled['id']}", json={"is_active": False})).status_code == 200
    assert (await client.delete(f"/users/{deleted['id']}")).status_code == 200
    for token in tokens.values():
        assert await _status(client, "/servers", token) == 401
        assert await _status(client, "/auth/me", token) == 401

    assert (await client.put(f"/users/{disabled['id']}", json={"is_active": True})).status_code == 200
    assert await _status(client, "/servers", tokens[disabled["id"]]) == 200  # re-enabled: it works again


async def test_a_role_change_applies_to_the_very_next_request(client):
    user = await add_user(client, "demoted", role="operator")
    token = (await login(client, "demoted"))["access_token"]
    server = {"name": "demotion-test", "host": "db.internal", "port": 5432}
    created = await client.post("/servers", json=server, headers=bearer(token))
    assert created.status_code == 201, created.text

    assert (await client.put(f"/users/{user['id']}", json={"role": "viewer"})).status_code == 200
    refused = await client.post("/servers", json={**server, "name": "again"}, headers=bearer(token))
    assert refused.status_code == 403, refused.text
    assert await _status(client, "/servers", token) == 200  # a viewer still reads
    assert (await client.get("/auth/me", headers=bearer(token))).json()["role"] == "viewer"

    assert await _status(client, "/users", token) == 403
    assert (await client.put(f"/users/{user['id']}", json={"role": "admin"})).status_code == 200
    assert await _status(client, "/users", token) == 200  # promoted: admin routes at once
