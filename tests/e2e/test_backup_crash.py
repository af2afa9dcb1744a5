"""`kill -9` of the executor in the middle of a dump: the job is redelivered, taken over with a
newer fencing token by the restarted executor, and completes exactly once; nothing is left of
the first attempt. The database password shows up in no process's arguments or environment."""

import asyncio
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from tests.e2e.test_stack import _events_stream_contents, _table_contents
from tests.support.credentials import ADMIN_PASSWORD
from tests.support.stack import Stack

PGBENCH = "/usr/lib/postgresql/15/bin/pgbench"
PSQL = "/usr/bin/psql"
PASSWORD = f"db-secret-{uuid.uuid4().hex}"
pytestmark = pytest.mark.e2e


def _psql(sql: str) -> None:
    subprocess.run(
        [PSQL, "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-qc", sql],
        check=True,
        capture_output=True,
    )


@pytest.fixture(scope="module")
def big_database() -> Iterator[str]:
    """A few hundred MB, so the dump is still streaming when the executor is killed."""
    name = f"lb_crash_{uuid.uuid4().hex[:8]}"
    _psql(f'CREATE DATABASE "{name}"')
    subprocess.run(
        [PGBENCH, "-i", "-s", "25", "-q", "-h", "127.0.0.1", "-U", "postgres", name],
        check=True,
        capture_output=True,
    )
    try:
        yield name
    finally:
        _psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _secrets_visible() -> list[str]:
    seen = []
    for process in psutil.process_iter():
        try:
            text = (
                " ".join(process.cmdline()) + " " + " ".join(f"{k}={v}" for k, v in process.environ().items())
            )
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
        if PASSWORD in text:
            seen.append(f"{process.pid} {process.name()}")
    return seen


def _register(stack: Stack, name: str, big_database: str) -> dict:
    """A server with the password and a database on it that inherits the server's login."""
    api = stack.login()
    server = api.post(
        "/servers",
        json={
            "name": f"local-pg-{name}",
            "engine_type": "postgresql",
            "host": "127.0.0.1",
            "port": 5432,
            "credentials": {"username": "postgres", "password": PASSWORD},
        },
    ).json()
    reply = api.post(
        "/databases",
        json={
            "name": name,
            "database_type": "postgresql",
            "engine_id": server["id"],
            "use_engine_credentials": True,
            "database_name": big_database,
        },
    )
    return reply.json()["database"]


@pytest.fixture(scope="module")
def database(stack: Stack, big_database: str) -> dict:
    """The same source, registered again for the command-line test."""
    return _register(stack, "cli-source", big_database)


def test_killed_executor_job_completes_once_and_leaves_nothing(stack: Stack, big_database: str):
    api = stack.login()
    database = _register(stack, "crash-source", big_database)
    backup_id = api.post(f"/databases/{database['id']}/backup").json()["backup_id"]

    first_executor = stack.service_process("executor")
    deadline = time.monotonic() + 60
    streamed, leaks = 0, []
    while time.monotonic() < deadline:
        leaks += _secrets_visible()
        status = api.get(f"/backups/{backup_id}/status").json()
        streamed = status.get("bytes_processed") or 0
        if status["status"] == "in_progress" and streamed > 8 * 1024 * 1024:
            break
        time.sleep(0.05)
    assert streamed > 8 * 1024 * 1024, f"the dump did not get going: {status}"
    assert not leaks, f"password visible in {leaks}"
    first_executor.kill()

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        backup = api.get(f"/backups/{backup_id}").json()
        if backup["status"] in ("completed", "failed"):
            break
        time.sleep(0.2)
    assert backup["status"] == "completed", backup
    assert backup["attempts"] == 2 and backup["blob_name"].endswith(".a2.lbart")
    assert stack.service_process("executor").pid != first_executor.pid

    listed = api.get("/backups", params={"database_id": database["id"]}).json()
    assert [(b["id"], b["status"]) for b in listed["items"]] == [(backup_id, "completed")]
    store = Path(stack.data_dir, "backups")
    artifacts = sorted(p.relative_to(store).as_posix() for p in store.rglob("*") if p.is_file())
    assert artifacts == [backup["blob_name"], backup["blob_name"] + ".manifest.json"], artifacts
    assert not list((store / ".tmp").iterdir()), "a temp file of the killed attempt is left"
    left = list((stack.data_dir / "work").rglob("job-*"))
    assert not left, f"the killed attempt's job folder (its credential file) is left: {left}"

    api.post(f"/backups/{backup_id}/verify")
    deadline = time.monotonic() + 60
    while api.get(f"/backups/{backup_id}").json()["verification"] is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert api.get(f"/backups/{backup_id}").json()["verified"] is True


def test_backup_now_shows_progress_and_the_password_stays_sealed(stack: Stack, database: dict):
    env = {
        **stack.env,
        "LIFEBOAT_PASSWORD": ADMIN_PASSWORD,
        "LIFEBOAT_API_URL": stack.base_url,
        "COLUMNS": "100",
    }
    done = subprocess.run(
        [sys.executable, "-m", "lifeboat", "backup", "now", "cli-source"],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    assert "completed" in done.stdout and "backup" in done.stdout
    assert "dumping" in done.stdout or "MB" in done.stdout or "%" in done.stdout  # the bar was drawn

    api = stack.login()
    responses = [
        api.get("/backups").text,
        api.get(f"/databases/{database['id']}").text,
        api.get("/servers").text,
    ]
    deadline = time.monotonic() + 20
    while not api.get("/audit/logs", params={"resource_type": "backup"}).json()["total"]:
        assert time.monotonic() < deadline, "backup events never reached the audit log"
        time.sleep(0.3)
    responses.append(api.get("/audit/export", params={"format": "csv"}).text)
    stream = asyncio.run(_events_stream_contents(stack))
    tables = asyncio.run(
        _table_contents(
            stack,
            [
                "audit.audit_log",
                "catalog.backups",
                "catalog.restores",
                "catalog.outbox",
                "executor.outbox",
            ],
        )
    )
    for where, text in {
        "API responses": "\n".join(responses),
        "service logs": stack.everything_logged(),
        "EVENTS stream": stream,
        "database tables": tables,
    }.items():
        assert PASSWORD not in text, f"the database password appears in the {where}"
    assert "backup.completed" in stream
