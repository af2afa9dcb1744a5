"""SQLite files only under LIFEBOAT_SQLITE_ROOTS (here the test's tmp dir): a restore or a source
outside them is refused before any file is touched, by the catalog when the path says so and by
the executor when a symlink does, and no refusal tells whether anything exists out there."""

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from libs.confinement import OUTSIDE_ROOTS
from tests.integration.backup_fixtures import finished_backup, finished_restore
from tests.support.engine_data import sqlite_database

LEAKS = ("does not exist", "not a SQLite database", "is a directory", "passwd", "exists")


@pytest.fixture
def outside() -> Iterator[Path]:
    """A directory outside the roots."""
    path = Path(tempfile.mkdtemp(prefix="lifeboat-outside-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _refused_naming(reply: httpx.Response, field: str) -> str:
    assert reply.status_code == 422, reply.text
    body = reply.json()
    assert body["detail"] == f"{field}: {OUTSIDE_ROOTS}", body
    assert not any(leak in body["detail"] for leak in LEAKS)
    return str(body["detail"])


async def _database(api: httpx.AsyncClient, path: str) -> httpx.Response:
    body = {"name": f"db-{uuid.uuid4().hex[:6]}", "database_type": "sqlite", "database_name": path}
    return await api.post("/databases", json=body)


async def _completed_backup(api: httpx.AsyncClient, root: Path) -> dict:
    source = sqlite_database(root / f"src-{uuid.uuid4().hex[:6]}.sqlite3", rows=50)
    created = await _database(api, source.database)
    assert created.status_code == 201, created.text
    queued = await api.post(f"/databases/{created.json()['database']['id']}/backup")
    backup = await finished_backup(api, queued.json()["backup_id"])
    assert backup["status"] == "completed", backup
    return backup


async def test_a_restore_outside_the_roots_is_refused_and_no_file_appears(backup_api, tmp_path, outside):
    backup = await _completed_backup(backup_api, tmp_path)
    missing_dir = Path(tempfile.gettempdir()) / f"lifeboat-{uuid.uuid4().hex}"
    targets = [
        str(missing_dir / "x.db"),  # nothing there
        "/etc/passwd",  # something there
        str(outside / "x.db"),
        f"{tmp_path}/../{outside.name}/x.db",
        "relative.db",
    ]
    details = set()
    for target in targets:
        reply = await backup_api.post(f"/backups/{backup['id']}/restore", json={"target_database": target})
        details.add(_refused_naming(reply, "target_database"))
    assert len(details) == 1  # the same words whether the path exists or not
    assert not missing_dir.exists() and list(outside.iterdir()) == []

    (tmp_path / "escape").symlink_to(outside)  # inside the root by name, outside by where it leads
    accepted = await backup_api.post(
        f"/backups/{backup['id']}/restore", json={"target_database": str(tmp_path / "escape" / "x.db")}
    )
    assert accepted.status_code == 202, accepted.text
    restored = await finished_restore(backup_api, accepted.json()["restore_id"])
    assert restored["status"] == "failed", restored
    assert any(OUTSIDE_ROOTS in error for error in restored["errors"]), restored
    assert list(outside.iterdir()) == []

    inside = tmp_path / "restored" / "copy.sqlite3"
    body = {"target_database": str(inside)}
    accepted = await backup_api.post(f"/backups/{backup['id']}/restore", json=body)
    assert (await finished_restore(backup_api, accepted.json()["restore_id"]))["status"] == "completed"
    assert inside.is_file()


async def test_a_source_outside_the_roots_is_refused_without_describing_it(backup_api, tmp_path, outside):
    for path in ("/etc/passwd", str(outside / "nothing.db"), f"{tmp_path}/../{outside.name}/a.db"):
        _refused_naming(await _database(backup_api, path), "database_name")
        probe = await backup_api.post(
            "/databases/test-connection", json={"database_type": "sqlite", "database_name": path}
        )
        assert probe.json()["code"] == "TARGET_NOT_ALLOWED"
        _refused_naming(probe, "database_name")

    real = sqlite_database(outside / "real.sqlite3", rows=10)
    (tmp_path / "link.sqlite3").symlink_to(real.database)
    created = await _database(backup_api, str(tmp_path / "link.sqlite3"))
    assert created.status_code == 201, created.text  # the catalog sees a path inside; the executor knows
    database_id = created.json()["database"]["id"]
    queued = await backup_api.post(f"/databases/{database_id}/backup")
    backup = await finished_backup(backup_api, queued.json()["backup_id"])
    assert backup["status"] == "failed" and backup["error_cause"] == "refused", backup
    assert backup["error_message"] == OUTSIDE_ROOTS and backup["attempts"] == 1

    moved = await backup_api.put(f"/databases/{database_id}", json={"database_name": "/etc/passwd"})
    _refused_naming(moved, "database_name")
