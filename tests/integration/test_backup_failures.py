"""Failure is never success: every way a backup can go wrong ends `failed` with a message that
names the cause, and leaves no artifact that looks complete."""

import contextlib
import subprocess
import threading
import uuid
from pathlib import Path

import httpx
import psutil
import pytest

from tests.integration.backup_fixtures import add_postgres_database, finished_backup


def _artifacts(client: httpx.AsyncClient) -> list[Path]:
    root = Path(client.data_dir)  # type: ignore[attr-defined]
    return [p for p in root.rglob("*.lbart*") if p.is_file()]


async def _backup(client: httpx.AsyncClient, database_id: int) -> dict:
    queued = await client.post(f"/databases/{database_id}/backup")
    assert queued.status_code == 202, queued.text
    return await finished_backup(client, queued.json()["backup_id"])


async def _database(client: httpx.AsyncClient, **fields) -> int:
    body = {
        "name": f"db-{uuid.uuid4().hex[:6]}",
        "database_type": "postgresql",
        "host": "127.0.0.1",
        "port": 5432,
        "username": "postgres",
        "password": "pw",
        "database_name": "postgres",
        **fields,
    }
    reply = await client.post("/databases", json=body)
    assert reply.status_code in (200, 201), reply.text
    return int(reply.json()["database"]["id"])


async def test_unknown_database_fails_naming_it(backup_api):
    backup = await _backup(backup_api, await _database(backup_api, database_name="no_such_db_here"))
    assert backup["status"] == "failed" and backup["error_cause"] == "unknown_database"
    assert "no_such_db_here" in backup["error_message"]
    assert backup["attempts"] == 1  # not worth retrying


async def test_unreachable_host_is_retried_then_fails(backup_api):
    backup = await _backup(backup_api, await _database(backup_api, port=1))
    assert backup["status"] == "failed" and backup["error_cause"] == "unreachable"
    assert "127.0.0.1:1" in backup["error_message"]
    assert backup["attempts"] == 2
    assert not _artifacts(backup_api)


async def test_wrong_password_fails_as_authentication(backup_api):
    user = f"lb_{uuid.uuid4().hex[:8]}"
    subprocess.run(
        [
            "mariadb",
            "-h",
            "127.0.0.1",
            "-u",
            "root",
            "-e",
            f"CREATE USER '{user}'@'%' IDENTIFIED BY 'right-password'",
        ],
        check=True,
    )
    try:
        database_id = await _database(
            backup_api,
            database_type="mariadb",
            port=3306,
            username=user,
            password="wrong-password",
            database_name="test",
        )
        backup = await _backup(backup_api, database_id)
        assert backup["status"] == "failed" and backup["error_cause"] == "authentication", backup
        assert "wrong-password" not in str(backup)
    finally:
        subprocess.run(
            ["mariadb", "-h", "127.0.0.1", "-u", "root", "-e", f"DROP USER '{user}'@'%'"], check=True
        )


async def test_a_dump_tool_that_dies_mid_stream_never_completes(backup_api, pgbench_database):
    database_id = await add_postgres_database(backup_api, pgbench_database)
    queued = (await backup_api.post(f"/databases/{database_id}/backup")).json()

    stop = threading.Event()

    def kill_every_dump() -> None:
        # A thread of its own: the services share the test's event loop, and a busy loop must not
        # give a pg_dump the moment it needs to finish unharmed.
        while not stop.is_set():
            for process in psutil.Process().children(recursive=True):
                with contextlib.suppress(psutil.Error):
                    if process.name() == "pg_dump":
                        process.kill()
            stop.wait(0.005)

    killer = threading.Thread(target=kill_every_dump, daemon=True)
    killer.start()
    try:
        backup = await finished_backup(backup_api, queued["backup_id"])
    finally:
        stop.set()
        killer.join()
    assert backup["status"] == "failed" and backup["error_cause"] == "tool_failed", backup
    assert "pg_dump" in backup["error_message"]
    assert not _artifacts(backup_api)


async def test_unreachable_storage_fails_naming_it(backup_api, pgbench_database):
    database_id = await add_postgres_database(backup_api, pgbench_database)
    await backup_api.put(f"/databases/{database_id}", json={"backup_destination": "offsite"})
    backup = await _backup(backup_api, database_id)
    assert backup["status"] == "failed" and backup["error_cause"] == "storage", backup
    assert "s3://nowhere" in backup["error_message"] or "nowhere" in backup["error_message"]


@pytest.fixture
def full_disk(backup_api):
    tiny = Path(backup_api.data_dir, "tiny")  # type: ignore[attr-defined]
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(tiny)], check=False).returncode:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        yield tiny
    finally:
        subprocess.run(["umount", str(tiny)], check=True)


async def test_a_full_disk_fails_and_leaves_no_file(backup_api, pgbench_database, full_disk):
    database_id = await add_postgres_database(backup_api, pgbench_database)
    await backup_api.put(f"/databases/{database_id}", json={"backup_destination": "tiny"})
    backup = await _backup(backup_api, database_id)
    assert backup["status"] == "failed" and backup["error_cause"] == "storage", backup
    assert "full" in backup["error_message"] or "space" in backup["error_message"]
    assert [p for p in full_disk.rglob("*") if p.is_file()] == []
