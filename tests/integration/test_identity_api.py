"""Users, access requests, settings and sessions through the gateway, on real NATS and PostgreSQL."""

import base64
import json

import asyncpg
import httpx
import pytest

from libs.crypto import Keyring, load_keyring
from services.gateway.auth.tokens import AccessTokens
from tests.support.credentials import ADMIN_PASSWORD

PASSWORD = "operator-password-1"
NEW_PASSWORD = "changed-password-2"
REGISTERED_PASSWORD = "registered-password-3"
SECRETS = (ADMIN_PASSWORD, PASSWORD, NEW_PASSWORD, REGISTERED_PASSWORD, "$argon2")


@pytest.fixture
async def client(api: httpx.AsyncClient) -> httpx.AsyncClient:
    """The admin's client, failing any test whose responses carry a password or a hash."""
    async def no_secrets(response: httpx.Response) -> None:
        body = (await response.aread()).decode(errors="replace")
        leaked = [s for s in SECRETS if s in body]
        assert not leaked, f"{response.request.url} leaked {leaked}"

    api.event_hooks = {"response": [no_secrets]}
    return api


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def add_user(client: httpx.AsyncClient, username: str, role: str = "operator") -> dict:
    reply = await client.post("/users", json={"username": username, "email": f"{username}@example.com",
                                              "password": PASSWORD, "full_name": username.title(),
                                              "role": role})
    assert reply.status_code == 201, reply.text
    return reply.json()["user"]


async def login(client: httpx.AsyncClient, username: str, password: str = PASSWORD) -> dict:
    reply = await client.post("/auth/login", json={"username": username, "password": password},
                              headers={"Authorization": ""})
    assert reply.status_code == 200, reply.text
    return reply.json()


async def test_user_crud_round_trip(client, stack_settings):
    created = await client.post("/users", json={"username": "op1", "email": "op@example.com",
                                                "password": PASSWORD, "full_name": "Operations User",
                                                "role": "operator"})
    assert created.status_code == 201 and created.json()["message"] == "User created"
    user = created.json()["user"]
    assert user["name"] == "Operations User" and user["is_active"] and user["status"] == "active"
    assert (await client.get(f"/users/{user['id']}")).json()["user"] == user
    listed = (await client.get("/users", params={"role": "operator", "search": "OPERATIONS"})).json()
    assert listed["total"] == 1 and [u["username"] for u in listed["users"]] == ["op1"]
    assert (await client.get("/users", params={"limit": 501})).status_code == 422
    updated = await client.put(f"/users/{user['id']}", json={"full_name": "Ops", "role": "viewer",
                                                             "password": NEW_PASSWORD})
    assert updated.status_code == 200 and updated.json()["message"] == "User updated"
    assert updated.json()["user"]["role"] == "viewer" and updated.json()["user"]["name"] == "Ops"
    await login(client, "op1", NEW_PASSWORD)
    deleted = await client.delete(f"/users/{user['id']}")
    assert deleted.status_code == 200 and deleted.json() == {"message": "User 'op1' deleted"}
    assert (await client.get(f"/users/{user['id']}")).status_code == 404
    conn = await asyncpg.connect(stack_settings("gateway").database_url)
    try:
        payloads = [json.loads(r["payload"]) for r in await conn.fetch("SELECT payload FROM gateway.outbox")]
    finally:
        await conn.close()
    events = {p["type"]: p for p in payloads}
    assert events["user.updated"]["changes"] == ["full_name", "password", "role"]
    assert {"user.created", "user.deleted"} <= events.keys()
    assert not any(s in json.dumps(payloads) for s in SECRETS)


async def test_duplicate_username_or_email_is_a_conflict(client):
    await add_user(client, "dup")
    same_name = await client.post("/users", json={"username": "DUP", "password": PASSWORD})
    assert same_name.status_code == 409 and same_name.json()["code"] == "CONFLICT"
    assert same_name.json()["errors"][0]["loc"] == ["body", "username"]
    same_email = await client.post("/users", json={"username": "other", "password": PASSWORD,
                                                   "email": "DUP@example.com"})
    assert same_email.status_code == 409 and "email" in same_email.json()["detail"]


async def test_viewer_is_refused_users_but_manages_own_preferences(client):
    await add_user(client, "vera", role="viewer")
    token = bearer((await login(client, "vera"))["access_token"])
    assert (await client.get("/users", headers=token)).status_code == 403
    me = await client.get("/users/me", headers=token)
    assert me.status_code == 200 and me.json()["is_first_run"] is True
    assert me.json()["user"]["page_size"] == 25 and me.json()["user"]["username"] == "vera"
    changed = await client.put("/users/me/preferences", json={"dark_mode": True, "page_size": 50},
                               headers=token)
    assert changed.json() == {"message": "Preferences updated",
                              "user": {"dark_mode": True, "page_size": 50}}
    too_small = await client.put("/users/me/preferences", json={"page_size": 5}, headers=token)
    assert too_small.status_code == 422 and "page_size" in too_small.json()["detail"]
    assert (await client.get("/settings", headers=token)).status_code == 200
    assert (await client.put("/settings", json={"dark_mode": True}, headers=token)).status_code == 403


async def test_disabling_a_user_ends_their_sessions(client):
    user = await add_user(client, "leaver")
    tokens = await login(client, "leaver")
    assert (await client.get("/users/me", headers=bearer(tokens["access_token"]))).status_code == 200
    disabled = await client.put(f"/users/{user['id']}", json={"is_active": False})
    assert disabled.json()["user"]["status"] == "disabled"
    assert (await client.get("/users/me", headers=bearer(tokens["access_token"]))).status_code == 401
    refreshed = await client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 401


async def test_admins_cannot_remove_themselves_or_the_last_admin(client):
    me = (await client.get("/users/me")).json()["user"]
    for change in ({"role": "operator"}, {"is_active": False}):
        refused = await client.put(f"/users/{me['id']}", json=change)
        assert refused.status_code == 409, refused.text
    assert (await client.delete(f"/users/{me['id']}")).status_code == 409
    other = await add_user(client, "second", role="admin")
    assert (await client.put(f"/users/{other['id']}", json={"role": "viewer"})).status_code == 200
    assert (await client.get("/users", params={"role": "admin"})).json()["total"] == 1


async def test_access_request_approved_user_logs_in_with_their_password(client):
    request = {"username": "newbie", "email": "newbie@example.com", "password": REGISTERED_PASSWORD,
               "full_name": "New User", "requested_role": "operator", "message": "backups please"}
    refused = await client.post("/auth/register", json=request, headers={"Authorization": ""})
    assert refused.status_code == 403 and refused.json()["code"] == "ACCESS_REQUESTS_DISABLED"
    assert (await client.put("/settings", json={"default_retention_days": 0})).status_code == 422
    enabled = await client.put("/settings", json={"access_requests_enabled": True})
    assert enabled.json()["settings"]["access_requests_enabled"] is True
    submitted = await client.post("/auth/register", json=request, headers={"Authorization": ""})
    assert submitted.status_code == 201, submitted.text
    body = submitted.json()
    assert body["message"] == "Access request submitted" and body["request"]["status"] == "pending"
    assert body["request"]["name"] == "New User"
    assert (await client.post("/auth/register", json=request)).status_code == 409
    assert (await client.post("/auth/register", json={**request, "username": "admin"})).status_code == 409
    listed = (await client.get("/access-requests", params={"status": "pending"})).json()
    assert listed["total"] == 1 and listed["requests"][0]["message"] == "backups please"
    approved = await client.post(f"/access-requests/{body['request']['id']}/approve", json={})
    assert approved.status_code == 200, approved.text
    assert approved.json()["user"]["role"] == "operator"
    again = await client.post(f"/access-requests/{body['request']['id']}/approve", json={})
    assert again.status_code == 409
    token = bearer((await login(client, "newbie", REGISTERED_PASSWORD))["access_token"])
    assert (await client.get("/users/me", headers=token)).json()["user"]["email"] == "newbie@example.com"


async def test_rejected_request_creates_no_user(client):
    await client.put("/settings", json={"access_requests_enabled": True})
    submitted = await client.post("/auth/register", json={"username": "nope", "password": PASSWORD})
    request_id = submitted.json()["request"]["id"]
    rejected = await client.post(f"/access-requests/{request_id}/reject", json={"reason": "who?"})
    assert rejected.json() == {"message": "Access request rejected"}
    assert (await client.post(f"/access-requests/{request_id}/reject")).status_code == 409
    assert (await client.post("/access-requests/9999/approve")).status_code == 404
    listed = (await client.get("/access-requests", params={"status": "rejected"})).json()
    assert listed["requests"][0]["reason"] == "who?"
    failed = await client.post("/auth/login", json={"username": "nope", "password": PASSWORD})
    assert failed.status_code == 401


async def test_client_auth_events(client):
    assert (await client.post("/auth/events", json={"event": "login"})).json() == {"success": True}
    assert (await client.post("/auth/events", json={"event": "logout"})).status_code == 200
    assert (await client.post("/auth/events", json={"event": "dance"})).status_code == 422


async def test_reused_refresh_token_revokes_its_family(client):
    first = await login(client, "admin", ADMIN_PASSWORD)
    rotated = await client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert rotated.status_code == 200
    replay = await client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert replay.status_code == 401
    newer = await client.post("/auth/refresh", json={"refresh_token": rotated.json()["refresh_token"]})
    assert newer.status_code == 401


async def test_logout_revokes_the_refresh_token(client):
    tokens = await login(client, "admin", ADMIN_PASSWORD)
    out = await client.post("/auth/logout", json={"refresh_token": tokens["refresh_token"]})
    assert out.status_code == 200
    again = await client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert again.status_code == 401


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


async def test_forged_and_expired_tokens_are_refused(client, stack_settings):
    real = load_keyring(stack_settings("gateway").master_key_path)
    me = (await client.get("/users/me")).json()["user"]
    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT', 'kid': real.current})}." + _b64(
        {"sub": str(me["id"]), "typ": "access", "exp": 2**31}) + "."
    impostor = Keyring(current=real.current, keys={real.current: base64.b64encode(b"k" * 32).decode()})
    for token in (unsigned, AccessTokens(impostor, 600).issue(me["id"], "admin"),
                  AccessTokens(real, -10).issue(me["id"], "admin")):
        reply = await client.get("/users/me", headers=bearer(token))
        assert reply.status_code == 401
        assert reply.json().keys() == {"detail", "code", "status", "timestamp"}


async def test_malformed_and_oversized_bodies(client):
    malformed = await client.post("/users", content=b'{"username": ',
                                  headers={"Content-Type": "application/json"})
    assert malformed.status_code == 400 and malformed.json()["code"]
    huge = await client.post("/users", json={"username": "x" * (1024 * 1024 + 1)})
    assert huge.status_code == 413


async def test_login_rate_limit(client):
    await add_user(client, "guesser")
    for _ in range(5):
        wrong = await client.post("/auth/login", json={"username": "guesser", "password": "wrong-pass"})
        assert wrong.status_code == 401
    right = await client.post("/auth/login", json={"username": "guesser", "password": PASSWORD})
    assert right.status_code == 429 and int(right.headers["retry-after"]) > 0
