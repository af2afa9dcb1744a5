"""Connection tests, discovery and import through the executor; cancel and dry-run restores."""

import asyncio
import uuid

import asyncpg

from tests.integration.backup_fixtures import (
    LOCAL_PG,
    add_postgres_database,
    finished_backup,
    finished_restore,
)


async def _pg_server(client, port: int = 5432) -> int:
    reply = await client.post(
        "/servers",
        json={
            "name": f"pg-{uuid.uuid4().hex[:6]}",
            "engine_type": "postgresql",
            "host": "127.0.0.1",
            "port": port,
            "credentials": {"username": "postgres", "password": "pw"},
        },
    )
    return int(reply.json()["id"])


async def test_connection_tests_name_the_cause(backup_api):
    ok = (await backup_api.post(f"/servers/{await _pg_server(backup_api)}/test-connection")).json()
    assert ok["success"] is True and ok["latency_ms"] >= 0
    down_id = await _pg_server(backup_api, port=1)
    down = (await backup_api.post(f"/servers/{down_id}/test-connection")).json()
    assert down["success"] is False and "127.0.0.1:1" in down["message"]
    assert (await backup_api.get(f"/servers/{down_id}")).json()["health_status"] == "unhealthy"

    missing = (
        await backup_api.post(
            "/databases/test-connection",
            json={
                "database_type": "postgresql",
                "host": "127.0.0.1",
                "port": 5432,
                "database_name": "no_such_db_x",
                "username": "postgres",
                "password": "pw",
            },
        )
    ).json()
    assert missing["success"] is False and missing["error_type"] == "DatabaseNotFoundError"
    assert "no_such_db_x" in missing["message"]
    invalid = await backup_api.post("/databases/test-connection", json={"database_type": "oracle"})
    assert invalid.status_code == 422 and "database_type" in invalid.text


async def test_discovery_lists_sizes_and_import_creates_configurations(backup_api, pgbench_database):
    server_id = await _pg_server(backup_api)
    found = (await backup_api.get(f"/servers/{server_id}/databases")).json()["databases"]
    ours = [d for d in found if d["name"] == pgbench_database]
    assert ours and ours[0]["size_mb"] > 1 and ours[0]["type"] == "postgresql"
    assert "postgres" not in [d["name"] for d in found]

    imported = await backup_api.post(
        f"/servers/{server_id}/databases", json={"databases": [pgbench_database]}
    )
    assert imported.status_code == 201, imported.text
    assert [d["database_name"] for d in imported.json()["imported"]] == [pgbench_database]
    again = (await backup_api.post(f"/servers/{server_id}/discover")).json()
    assert pgbench_database in again["existing"] and pgbench_database not in again["available"]
    unknown = await backup_api.post(f"/servers/{server_id}/databases", json={"databases": ["nope_nope"]})
    assert unknown.status_code == 422 and "nope_nope" in unknown.text


async def test_cancel_stops_a_running_backup(backup_api, pgbench_database):
    database_id = await add_postgres_database(backup_api, pgbench_database)
    backup_id = (await backup_api.post(f"/databases/{database_id}/backup")).json()["backup_id"]
    cancelled = await backup_api.post(f"/backups/{backup_id}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    await asyncio.sleep(3)  # whatever the executor was doing has ended by now
    backup = await finished_backup(backup_api, backup_id)
    assert backup["status"] == "cancelled" and backup["blob_name"] is None
    assert (await backup_api.post(f"/backups/{backup_id}/cancel")).status_code == 409


async def test_dry_run_restore_changes_nothing(backup_api, pgbench_database):
    database_id = await add_postgres_database(backup_api, pgbench_database)
    backup_id = (await backup_api.post(f"/databases/{database_id}/backup")).json()["backup_id"]
    assert (await finished_backup(backup_api, backup_id))["status"] == "completed"
    target = f"{pgbench_database}_dry"
    accepted = (
        await backup_api.post(
            f"/backups/{backup_id}/restore", json={"target_database": target, "dry_run": True}
        )
    ).json()
    restore = await finished_restore(backup_api, accepted["restore_id"])
    assert restore["status"] == "completed" and restore["dry_run"] is True
    assert any("would be created" in w for w in restore["warnings"])
    admin = await asyncpg.connect(LOCAL_PG)
    try:
        assert not await admin.fetchval("SELECT true FROM pg_database WHERE datname = $1", target)
    finally:
        await admin.close()
    into_source = (
        await backup_api.post(
            f"/backups/{backup_id}/restore", json={"target_database": pgbench_database, "dry_run": True}
        )
    ).json()
    refused = await finished_restore(backup_api, into_source["restore_id"])
    assert refused["status"] == "failed" and "not_empty" in refused["errors"][0]
