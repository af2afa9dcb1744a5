"""Retention against real backups: SQLite databases backed up by the executor, policies applied
by the retention service after each completed backup, artifacts checked on disk."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from tests.integration.retention_fixtures import (
    SQL,
    backup_ids,
    make_backup,
    make_database,
    make_policy,
    until,
)


def _artifacts(client: httpx.AsyncClient) -> set[str]:
    return {p.name for p in Path(client.data_dir, "backups").rglob("*.lbart")}  # type: ignore[attr-defined]


async def test_after_each_backup_only_what_the_policy_keeps_remains(retention_api, tmp_path):
    client = retention_api
    policy_id = await make_policy(client, keep_last_n=2)
    database_id = await make_database(client, tmp_path, policy_id=policy_id)
    made = [await make_backup(client, database_id) for _ in range(4)]
    newest_two = sorted(b["id"] for b in made[-2:])

    assert await until(lambda: _equal(backup_ids(client, database_id), newest_two)), await backup_ids(
        client, database_id
    )
    kept_files = {Path(b["storage_path"]).name for b in made[-2:]}
    gone_files = {Path(b["storage_path"]).name for b in made[:2]}
    assert kept_files <= _artifacts(client) and not gone_files & _artifacts(client)

    async with SQL(client) as conn:  # deletions are recorded with the rule that decided them
        reasons = await conn.fetch("SELECT backup_id, reason FROM retention.deletions ORDER BY backup_id")
    assert [r["backup_id"] for r in reasons] == sorted(b["id"] for b in made[:2])
    assert all("beyond the 2 newest" in r["reason"] for r in reasons)


async def _equal(ids, wanted) -> bool:  # type: ignore[no-untyped-def]
    return await ids == wanted


async def test_preview_names_the_rule_and_a_failing_database_is_held(retention_api, tmp_path):
    client = retention_api
    database_id = await make_database(client, tmp_path)
    made = [await make_backup(client, database_id) for _ in range(3)]
    now = datetime.now(UTC)
    async with SQL(client) as conn:  # spread the history over three months
        for backup, age in zip(made, (timedelta(days=70), timedelta(days=40), timedelta(0)), strict=True):
            await conn.execute(
                "UPDATE catalog.backups SET created_at = $2 WHERE id = $1", backup["id"], now - age
            )
    policy_id = await make_policy(client, keep_daily=1, keep_monthly=2)
    preview = await client.get(
        f"/retention-policies/{policy_id}/preview", params={"database_id": database_id}
    )
    assert preview.status_code == 200, preview.text
    body = preview.json()
    kept = {item["backup_id"]: item for item in body["keep"]}
    deleted = {item["backup_id"]: item for item in body["delete"]}
    assert set(kept) == {made[2]["id"], made[1]["id"]} and set(deleted) == {made[0]["id"]}
    assert {"newest", "daily", "monthly"} <= set(kept[made[2]["id"]]["rules"])
    assert kept[made[2]["id"]]["tier"] == "monthly" and kept[made[1]["id"]]["rules"] == ["monthly"]
    assert "no rule keeps it" in deleted[made[0]["id"]]["reason"] and body["held"] is False

    # Three failed runs in a row: a stale backup beats none, so nothing would be deleted.
    async with SQL(client) as conn:
        await conn.execute(
            "UPDATE catalog.databases SET database_name = '/nonexistent/x.db' WHERE id = $1", database_id
        )
    for _ in range(3):
        failed = await make_backup(client, database_id)
        assert failed["status"] == "failed", failed
    held = (
        await client.get(f"/retention-policies/{policy_id}/preview", params={"database_id": database_id})
    ).json()
    assert held["held"] is True and held["delete"] == [] and "failed" in held["held_reason"]
    # the preview deleted nothing, and neither did failures
    assert len(await backup_ids(client, database_id)) == 6


async def test_patch_sets_a_database_schedule_and_retention_days(retention_api, tmp_path):
    client = retention_api
    database_id = await make_database(client, tmp_path)
    before = (await client.get(f"/databases/{database_id}")).json()["database"]

    for bad, field in (
        ({"schedule": "0 25 * * *"}, "schedule"),
        ({"schedule": "0 2 * * *", "retention_days": 0}, "retention_days"),
    ):
        refused = await client.patch(f"/databases/{database_id}", json=bad)
        assert refused.status_code == 422, refused.text
        assert field in refused.json()["detail"]
    assert (await client.get(f"/databases/{database_id}")).json()["database"] == before
    assert (await client.get("/schedules")).json() == []

    patched = await client.patch(
        f"/databases/{database_id}", json={"schedule": "0 2 * * *", "retention_days": 7}
    )
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert body["database"]["retention_days"] == 7
    assert body["schedule"]["cron_expression"] == "0 2 * * *" and body["schedule"]["next_run_at"].endswith(
        "T02:00:00Z"
    )
    assert [s["database_name"] for s in (await client.get("/schedules")).json()] == [before["database_name"]]

    # retention_days: backups older than 7 days go after the next completed backup
    old = await make_backup(client, database_id)
    async with SQL(client) as conn:
        await conn.execute(
            "UPDATE catalog.backups SET created_at = now() - interval '10 days' WHERE id = $1", old["id"]
        )
    fresh = await make_backup(client, database_id)
    assert await until(lambda: _equal(backup_ids(client, database_id), [fresh["id"]]))

    removed = await client.patch(f"/databases/{database_id}", json={"schedule": None})
    assert removed.status_code == 200 and removed.json()["schedule"] is None
    assert (await client.get("/schedules")).json() == []


async def test_a_triggered_server_schedule_backs_up_its_databases_and_logs_the_outcome(
    retention_api, tmp_path
):
    client = retention_api
    server = await client.post(
        "/servers", json={"name": "files", "engine_type": "sqlite", "host": "localhost"}
    )
    assert server.status_code == 201, server.text
    server_id = server.json()["id"]
    for _ in range(2):
        await make_database(client, tmp_path, engine_id=server_id)
    schedule = {"server_id": server_id, "cron_expression": "0 3 * * *", "max_backups": 5, "enabled": True}
    every = await client.post(
        "/backup-scheduler/schedules", json={**schedule, "name": "all", "only_when_running": False}
    )
    guarded = await client.post(
        "/backup-scheduler/schedules", json={**schedule, "name": "guarded", "only_when_running": True}
    )
    assert every.status_code == 201 and guarded.status_code == 201, (every.text, guarded.text)

    for created in (every, guarded):
        assert (
            await client.post(f"/backup-scheduler/schedules/{created.json()['id']}/trigger")
        ).status_code == 202

    async def finished_logs() -> list[dict]:
        logs = (await client.get("/backup-scheduler/logs")).json()["items"]
        return logs if len(logs) == 2 and all(log["status"] != "running" for log in logs) else []

    finished = await until(finished_logs, timeout=60)
    assert finished, [
        (log["status"], log["logs"], log["error_message"])
        for log in (await client.get("/backup-scheduler/logs")).json()["items"]
    ]
    logs = {log["schedule_id"]: log for log in finished}
    ran = logs[every.json()["id"]]
    assert ran["status"] == "success", ran
    assert ran["backup_size_bytes"] > 0 and ran["duration_seconds"] is not None and ran["backup_id"]
    skipped = logs[guarded.json()["id"]]
    assert skipped["status"] == "cancelled" and "only_when_running" in skipped["error_message"]
    backups = (await client.get("/backups", params={"triggered_by": "scheduler"})).json()
    items = backups if isinstance(backups, list) else backups.get("backups") or backups.get("items")
    assert len(items) == 2 and {b["status"] for b in items} == {"completed"}
