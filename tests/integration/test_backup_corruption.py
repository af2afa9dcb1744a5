"""A damaged artifact is found out: one flipped byte or a truncated final chunk makes verify
fail naming the check, and a restore refuses before it touches the target."""

from pathlib import Path

import asyncpg
import pytest

from tests.integration.backup_fixtures import (
    LOCAL_PG,
    add_postgres_database,
    finished_backup,
    finished_restore,
    verified,
)


def _flip_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def _truncate_final_chunk(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[:-7])


@pytest.mark.parametrize(
    ("damage", "check"), [(_flip_byte, "encryption_validation"), (_truncate_final_chunk, "file_integrity")]
)
async def test_damaged_artifact_fails_verify_and_restore_refuses(backup_api, pgbench_database, damage, check):
    database_id = await add_postgres_database(backup_api, pgbench_database)
    queued = (await backup_api.post(f"/databases/{database_id}/backup")).json()
    backup = await finished_backup(backup_api, queued["backup_id"])
    assert backup["status"] == "completed"
    damage(Path(backup_api.data_dir, "backups", backup["blob_name"]))  # type: ignore[attr-defined]

    await backup_api.post(f"/backups/{backup['id']}/verify")
    result = (await verified(backup_api, backup["id"]))["verification"]
    assert result["verification_status"] == "failed"
    assert result["checks_performed"]["checksum_validation"] == "failed"
    assert result["checks_performed"][check] == "failed", result  # the damage itself is named too
    assert any(issue.startswith(check) for issue in result["issues"]), result["issues"]

    target = f"{pgbench_database}_from_damaged"
    accepted = (
        await backup_api.post(f"/backups/{backup['id']}/restore", json={"target_database": target})
    ).json()
    restore = await finished_restore(backup_api, accepted["restore_id"])
    assert (
        restore["status"] == "failed"
        and "corrupt" in restore["errors"][0]
        and "checksum" in restore["errors"][0]
    )
    admin = await asyncpg.connect(LOCAL_PG)
    try:
        assert not await admin.fetchval("SELECT true FROM pg_database WHERE datname = $1", target)
    finally:
        await admin.close()
