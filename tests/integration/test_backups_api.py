"""Backups through the API, end to end on real servers: gateway → catalog → JOBS → executor →
pg_dump → zstd → AES-GCM → local storage, then restore, verify, download, delete."""

import hashlib
from pathlib import Path

import boto3
import httpx

from services.executor.engines.base import Target
from tests.integration.backup_fixtures import (
    BUCKET,
    add_postgres_database,
    finished_backup,
    finished_restore,
    verified,
)
from tests.support.fingerprint import fingerprint


def _target(name: str) -> Target:
    return Target(engine="postgresql", host="127.0.0.1", port=5432, database=name, username="postgres")


async def test_postgres_backup_restores_verifies_downloads_and_deletes(backup_api, pgbench_database):
    database_id = await add_postgres_database(backup_api, pgbench_database)

    queued = await backup_api.post(f"/databases/{database_id}/backup")
    assert queued.status_code == 202, queued.text
    backup = await finished_backup(backup_api, queued.json()["backup_id"])
    assert backup["status"] == "completed", backup
    assert backup["size_bytes"] > 0 and backup["checksum"].startswith("sha256:")
    assert backup["blob_name"].endswith(".lbart") and backup["compression_type"] == "zstd"
    assert backup["tool_version"].startswith("pg_dump (PostgreSQL) 18")
    status = (await backup_api.get(f"/backups/{backup['id']}/status")).json()
    assert status["status"] == "completed" and status["progress_percent"] == 100

    listed = (
        await backup_api.get("/backups", params={"database_id": database_id, "status": "completed"})
    ).json()
    assert [b["id"] for b in listed["items"]] == [backup["id"]] and listed["total"] == 1

    restore_name = f"{pgbench_database}_restored"
    accepted = await backup_api.post(
        f"/backups/{backup['id']}/restore", json={"target_database": restore_name}
    )
    assert accepted.status_code == 202, accepted.text
    restore = await finished_restore(backup_api, accepted.json()["restore_id"])
    assert restore["status"] == "completed", restore
    assert restore["table_counts"]["pgbench_accounts"] == 100000
    assert await fingerprint("postgresql", _target(restore_name)) == await fingerprint(
        "postgresql", _target(pgbench_database)
    )

    again = await backup_api.post(f"/backups/{backup['id']}/restore", json={"target_database": restore_name})
    refused = await finished_restore(backup_api, again.json()["restore_id"])
    assert refused["status"] == "failed" and "not_empty" in refused["errors"][0]

    await backup_api.post(f"/backups/{backup['id']}/verify", json={"test_restore": True})
    checked = await verified(backup_api, backup["id"])
    assert checked["verified"] is True, checked["verification"]
    assert set(checked["verification"]["checks_performed"].values()) == {"passed"}
    assert checked["verification"]["table_counts"]["pgbench_accounts"] == 100000

    link = (await backup_api.post(f"/backups/{backup['id']}/download")).json()
    async with httpx.AsyncClient() as anonymous:
        artifact = await anonymous.get(link["download_url"])
        assert artifact.status_code == 200
        assert "sha256:" + hashlib.sha256(artifact.content).hexdigest() == backup["checksum"]
        tampered = await anonymous.get(link["download_url"].replace("signature=", "signature=0"))
        assert tampered.status_code == 403

    files = (await backup_api.get("/backups/files", params={"prefix": "postgresql/"})).json()
    assert backup["blob_name"] in [f["name"] for f in files["files"]]
    assert (await backup_api.delete(f"/backups/{backup['id']}")).status_code == 200
    assert (await backup_api.get(f"/backups/{backup['id']}")).status_code == 404
    assert not list(Path(backup_api.data_dir, "backups").rglob("*.lbart"))  # type: ignore[attr-defined]


async def test_backup_to_s3_restores_and_downloads_by_presigned_url(
    backup_api, pgbench_database, s3_endpoint
):
    database_id = await add_postgres_database(backup_api, pgbench_database)
    await backup_api.put(f"/databases/{database_id}", json={"backup_destination": "s3"})
    queued = (await backup_api.post(f"/databases/{database_id}/backup")).json()
    backup = await finished_backup(backup_api, queued["backup_id"])
    assert backup["status"] == "completed", backup
    assert backup["storage_path"].startswith(f"s3://{BUCKET}/backups/postgresql/")

    link = (await backup_api.post(f"/backups/{backup['id']}/download")).json()
    assert link["download_url"].startswith(s3_endpoint)
    async with httpx.AsyncClient() as anonymous:
        artifact = await anonymous.get(link["download_url"])
    assert "sha256:" + hashlib.sha256(artifact.content).hexdigest() == backup["checksum"]
    s3 = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    assert not s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads")

    target = f"{pgbench_database}_from_s3"
    accepted = (
        await backup_api.post(f"/backups/{backup['id']}/restore", json={"target_database": target})
    ).json()
    assert (await finished_restore(backup_api, accepted["restore_id"]))["status"] == "completed"
    assert await fingerprint("postgresql", _target(target)) == await fingerprint(
        "postgresql", _target(pgbench_database)
    )
