"""Retention cannot be tricked into deleting: every path that changes which policy applies to a
database (deleting a policy, reassigning it, a policy or schedule vanishing, an unknown id
written) either is refused or holds deletion — and no backup disappears by surprise.

Every database here has backups made on one day, so the Default Policy (newest of each day)
would delete all but the newest: that is the surprise each test shows does not happen."""

import uuid
from pathlib import Path
from typing import Any

import httpx

from tests.integration.backup_fixtures import finished_backup
from tests.integration.retention_fixtures import (
    SQL,
    backup_ids,
    make_backup,
    make_database,
    make_policy,
    retention_caught_up,
    until,
)

UNKNOWN = 987_654_321


async def _backups(client: httpx.AsyncClient, database_id: int, count: int) -> list[int]:
    made = [await make_backup(client, database_id) for _ in range(count)]
    assert all(b["status"] == "completed" for b in made), made
    await retention_caught_up(client)
    return sorted(b["id"] for b in made)


async def _preview(client: httpx.AsyncClient, policy_id: int, database_id: int) -> dict[str, Any]:
    reply = await client.get(f"/retention-policies/{policy_id}/preview", params={"database_id": database_id})
    assert reply.status_code == 200, reply.text
    return dict(reply.json())


async def _default_policy(client: httpx.AsyncClient) -> int:
    return int(next(p for p in (await client.get("/retention-policies")).json() if p["is_system"])["id"])


async def _server(client: httpx.AsyncClient) -> int:
    created = await client.post(
        "/servers",
        json={"name": f"files-{uuid.uuid4().hex[:6]}", "engine_type": "sqlite", "host": "localhost"},
    )
    assert created.status_code == 201, created.text
    return int(created.json()["id"])


async def _schedule(client: httpx.AsyncClient, server_id: int, **extra: Any) -> dict[str, Any]:
    created = await client.post(
        "/schedules",
        json={
            "name": f"s-{uuid.uuid4().hex[:6]}",
            "server_id": server_id,
            "cron_expression": "0 3 * * *",
            **extra,
        },
    )
    assert created.status_code == 201, created.text
    return dict(created.json())


async def _fire(client: httpx.AsyncClient, schedule_id: int, database_id: int) -> None:
    """Trigger the schedule and wait for the backup it makes of `database_id` to finish."""
    before = set(await backup_ids(client, database_id))
    assert (await client.post(f"/backup-scheduler/schedules/{schedule_id}/trigger")).status_code == 202

    async def new_backup() -> int | None:
        fresh = set(await backup_ids(client, database_id)) - before
        return fresh.pop() if fresh else None

    backup_id = await until(new_backup, timeout=60)
    assert backup_id, "the trigger made no backup"
    assert (await finished_backup(client, backup_id))["status"] == "completed"
    await retention_caught_up(client)


async def test_a_policy_in_use_is_not_deleted_and_no_backup_disappears(retention_api, tmp_path: Path):
    """The report's case: keep-last-50, delete the policy, a third backup completes."""
    client = retention_api
    policy_id = await make_policy(client, keep_last_n=50)
    database_id = await make_database(client, tmp_path, policy_id=policy_id)
    name = (await client.get(f"/databases/{database_id}")).json()["database"]["name"]
    made = await _backups(client, database_id, 2)

    refused = await client.delete(f"/retention-policies/{policy_id}")
    assert refused.status_code == 409, refused.text
    body = refused.json()
    assert body["code"] == "POLICY_IN_USE" and body["status"] == 409
    assert f"{database_id} {name!r}" in body["detail"] and "reassign_to" in body["detail"]
    assert (await client.get(f"/retention-policies/{policy_id}")).status_code == 200
    assert (await client.get(f"/databases/{database_id}")).json()["database"]["policy_id"] == policy_id

    made += await _backups(client, database_id, 1)
    assert await backup_ids(client, database_id) == made
    async with SQL(client) as conn:
        assert await conn.fetchval("SELECT count(*) FROM retention.deletions") == 0


async def test_reassignment_moves_databases_and_schedules_then_deletes(retention_api, tmp_path: Path):
    client = retention_api
    old, new = await make_policy(client, keep_last_n=50), await make_policy(client, keep_last_n=40)
    first = await make_database(client, tmp_path, policy_id=old)
    second = await make_database(client, tmp_path, policy_id=old)
    schedule = await _schedule(client, await _server(client), retention_policy_id=old)
    made = await _backups(client, first, 2)

    for bad, why in ((UNKNOWN, "does not exist"), (old, "another policy")):
        refused = await client.delete(f"/retention-policies/{old}", params={"reassign_to": bad})
        assert refused.status_code == 422, refused.text
        assert "reassign_to" in refused.json()["detail"] and why in refused.json()["detail"]
    out_of_range = await client.delete(f"/retention-policies/{old}", params={"reassign_to": 2**63})
    assert out_of_range.status_code in (400, 422), out_of_range.text
    assert (await client.get(f"/retention-policies/{old}")).status_code == 200
    assert {
        (await client.get(f"/databases/{d}")).json()["database"]["policy_id"] for d in (first, second)
    } == {old}

    deleted = await client.delete(f"/retention-policies/{old}", params={"reassign_to": new})
    assert deleted.status_code == 200, deleted.text
    assert str(new) in deleted.json()["message"]
    assert (await client.get(f"/retention-policies/{old}")).status_code == 404
    for database_id in (first, second):
        assert (await client.get(f"/databases/{database_id}")).json()["database"]["policy_id"] == new
    assert (await client.get(f"/schedules/{schedule['id']}")).json()["retention_policy_id"] == new

    made += await _backups(client, first, 1)
    assert await backup_ids(client, first) == made
    preview = await _preview(client, new, first)
    assert preview["held"] is False and preview["delete"] == []


async def test_a_database_whose_policy_vanished_is_held_and_the_preview_says_why(
    retention_api, tmp_path: Path
):
    client = retention_api
    policy_id = await make_policy(client, keep_last_n=50)
    database_id = await make_database(client, tmp_path, policy_id=policy_id)
    made = await _backups(client, database_id, 2)
    async with SQL(client) as conn:  # behind the API's back, as a restore of an old dump could
        await conn.execute("DELETE FROM retention.policies WHERE id = $1", policy_id)

    made += await _backups(client, database_id, 1)
    assert await backup_ids(client, database_id) == made
    preview = await _preview(client, await _default_policy(client), database_id)
    assert preview["held"] is True and preview["delete"] == []
    assert f"retention policy {policy_id}, which does not exist" in preview["held_reason"]
    assert {item["backup_id"] for item in preview["keep"]} == set(made)
    async with SQL(client) as conn:  # the evaluation said so too, on the event bus
        assert await conn.fetchval("SELECT count(*) FROM retention.deletions") == 0
        held = await conn.fetchval(
            """SELECT count(*) FROM retention.outbox WHERE subject LIKE '%.retention_applied'
               AND convert_from(payload, 'UTF8')::jsonb ->> 'held' = 'true'"""
        )
    assert held >= 1

    # naming an existing policy again lifts the hold (and that policy decides)
    assert (
        await client.put(f"/databases/{database_id}", json={"policy_id": await _default_policy(client)})
    ).status_code == 200
    lifted = await _preview(client, await _default_policy(client), database_id)
    assert lifted["held"] is False and len(lifted["delete"]) == 2


async def test_an_unknown_policy_is_refused_on_every_write_and_nothing_changes(retention_api, tmp_path: Path):
    client = retention_api
    server_id = await _server(client)
    database_id = await make_database(client, tmp_path)
    schedule = await _schedule(client, server_id)
    databases_before = (await client.get("/databases")).json()
    schedules_before = (await client.get("/schedules")).json()
    new_database = {"name": "x", "database_type": "sqlite", "database_name": str(tmp_path / "x.db")}

    writes = [
        ("POST", "/databases", {**new_database, "policy_id": UNKNOWN}),
        ("POST", "/databases", {**new_database, "policy_id": 10**19}),  # beyond any bigint key
        ("PUT", f"/databases/{database_id}", {"policy_id": UNKNOWN}),
        ("PATCH", f"/databases/{database_id}", {"policy_id": UNKNOWN, "schedule": "0 1 * * *"}),
        ("POST", f"/servers/{server_id}/databases", {"databases": ["a.db"], "policy_id": UNKNOWN}),
        (
            "POST",
            f"/servers/{server_id}/discover?import=true",
            {"import_databases": ["a.db"], "policy_id": UNKNOWN},
        ),
    ]
    for method, path, body in writes:
        reply = await client.request(method, path, json=body)
        assert reply.status_code == 422, (path, reply.text)
        assert "policy_id" in reply.json()["detail"], reply.text
        assert body["policy_id"] != UNKNOWN or str(UNKNOWN) in reply.json()["detail"], reply.text
    for method, path in (("POST", "/schedules"), ("PUT", f"/schedules/{schedule['id']}")):
        body = {
            "name": "y",
            "server_id": server_id,
            "cron_expression": "0 4 * * *",
            "retention_policy_id": UNKNOWN,
        }
        reply = await client.request(method, path, json=body)
        assert reply.status_code == 422, (path, reply.text)
        assert "retention_policy_id" in reply.json()["detail"], reply.text

    assert (await client.get("/databases")).json() == databases_before
    assert (await client.get("/schedules")).json() == schedules_before


async def test_a_schedule_fallback_policy_is_protected_and_a_vanished_one_holds(
    retention_api, tmp_path: Path
):
    """The database names no policy: the schedule that made its backups decides. Deleting that
    policy is refused; if it vanishes anyway, or the schedule itself is deleted, deletion holds."""
    client = retention_api
    server_id = await _server(client)
    policy_id = await make_policy(client, keep_last_n=50)
    database_id = await make_database(client, tmp_path, engine_id=server_id)
    schedule = await _schedule(client, server_id, retention_policy_id=policy_id)
    for _ in range(2):
        await _fire(client, schedule["id"], database_id)

    refused = await client.delete(f"/retention-policies/{policy_id}")
    assert refused.status_code == 409 and refused.json()["code"] == "POLICY_IN_USE", refused.text
    assert f"{schedule['id']} {schedule['name']!r}" in refused.json()["detail"]
    await _fire(client, schedule["id"], database_id)
    made = await backup_ids(client, database_id)
    assert len(made) == 3

    async with SQL(client) as conn:
        await conn.execute("DELETE FROM retention.policies WHERE id = $1", policy_id)
    await _fire(client, schedule["id"], database_id)
    made = await backup_ids(client, database_id)
    assert len(made) == 4
    preview = await _preview(client, await _default_policy(client), database_id)
    assert preview["held"] is True and preview["delete"] == []
    assert f"schedule {schedule['name']!r} names retention policy {policy_id}" in preview["held_reason"]

    # the schedule that decided is deleted: its policy is unknowable, so deletion holds
    assert (await client.delete(f"/schedules/{schedule['id']}")).status_code == 200
    made += await _backups(client, database_id, 1)
    assert await backup_ids(client, database_id) == sorted(made)
    preview = await _preview(client, await _default_policy(client), database_id)
    assert preview["held"] is True and "no longer exists" in preview["held_reason"]
    async with SQL(client) as conn:
        assert await conn.fetchval("SELECT count(*) FROM retention.deletions") == 0
