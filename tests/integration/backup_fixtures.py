"""Fixtures for the backup tests: a gateway, catalog and executor in the test's loop, and
helpers to wait for a backup, restore or verification to finish through the API."""

import asyncio
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import boto3
import httpx
import pytest

from libs.embedded import free_port
from tests.support.credentials import admin_client
from tests.support.s3 import moto_s3_server
from tests.support.servers import TestServers
from tests.support.services import running, settings_for

FINISHED = {"completed", "failed", "cancelled"}
# Short leases and retries so that takeovers and retries happen within a test's patience.
EXECUTOR = {
    "job_lease_seconds": 6.0,
    "job_retry_seconds": 0.3,
    "job_max_attempts": 2,
    "executor_concurrency": 2,
}


BUCKET = "lifeboat-tests"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """A real S3 API (moto_server) with one bucket; credentials as any AWS client finds them."""
    with moto_s3_server() as endpoint, pytest.MonkeyPatch.context() as env:
        env.setenv("AWS_ACCESS_KEY_ID", "testing")
        env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(Bucket=BUCKET)
        yield endpoint


@pytest.fixture
async def backup_api(
    servers: TestServers, database_url: str, tmp_path: Path, s3_endpoint: str
) -> AsyncIterator[httpx.AsyncClient]:
    """Gateway, catalog and executor; destinations `default` (local), `tiny` (a directory a test
    may mount a tiny tmpfs on), `offsite` (S3 nobody answers) and `s3` (moto_server)."""
    port = free_port()
    (tmp_path / "tiny").mkdir()
    destinations = ";".join(
        [
            f"tiny={(tmp_path / 'tiny').as_uri()}",
            f"offsite=s3://nowhere?endpoint_url=http://127.0.0.1:{free_port()}",
            f"s3=s3://{BUCKET}/backups?endpoint_url={s3_endpoint}",
        ]
    )

    def settings(service: str, **extra: Any) -> Any:
        return settings_for(
            service, servers.nats.url, database_url, tmp_path, storage_destinations=destinations,
            sqlite_roots=str(tmp_path), **extra,
        )  # fmt: skip

    async with (
        running("catalog", settings("catalog")),
        running("executor", settings("executor", http_port=port, **EXECUTOR)),
        running("gateway", settings("gateway", http_port=port)),
    ):
        async with admin_client(database_url, f"http://127.0.0.1:{port}/api/v1", 30) as client:
            client.data_dir = tmp_path  # type: ignore[attr-defined]
            yield client


async def wait_for(client: httpx.AsyncClient, path: str, done: Any, timeout: float = 90.0) -> dict[str, Any]:
    """GET `path` until `done(body)`; fail with the last body after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    body: dict[str, Any] = {}
    while time.monotonic() < deadline:
        reply = await client.get(path)
        reply.raise_for_status()
        body = reply.json()
        if done(body):
            return body
        await asyncio.sleep(0.2)
    raise AssertionError(f"{path} did not finish in {timeout} s: {body}")


async def finished_backup(client: httpx.AsyncClient, backup_id: int, timeout: float = 90.0) -> dict[str, Any]:
    return await wait_for(client, f"/backups/{backup_id}", lambda b: b["status"] in FINISHED, timeout)


async def finished_restore(
    client: httpx.AsyncClient, restore_id: int, timeout: float = 90.0
) -> dict[str, Any]:
    body = await wait_for(client, f"/restores/{restore_id}", lambda r: r["status"] in FINISHED, timeout)
    return dict(body["restore"])


async def verified(client: httpx.AsyncClient, backup_id: int, timeout: float = 90.0) -> dict[str, Any]:
    return await wait_for(client, f"/backups/{backup_id}", lambda b: b["verification"] is not None, timeout)


LOCAL_PG = "postgresql://postgres@127.0.0.1:5432/postgres"
PGBENCH = "/usr/lib/postgresql/15/bin/pgbench"


@pytest.fixture
async def pgbench_database():
    name = f"lb_src_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(LOCAL_PG)
    await admin.execute(f'CREATE DATABASE "{name}"')
    subprocess.run(
        [PGBENCH, "-i", "-s", "1", "-q", "-h", "127.0.0.1", "-U", "postgres", name],
        check=True,
        capture_output=True,
    )
    try:
        yield name
    finally:
        for database in await admin.fetch(
            "SELECT datname FROM pg_database WHERE datname LIKE $1", f"{name}%"
        ):
            await admin.execute(f'DROP DATABASE IF EXISTS "{database["datname"]}" WITH (FORCE)')
        await admin.close()


async def add_postgres_database(client: httpx.AsyncClient, database_name: str, password: str = "pw") -> int:
    server = await client.post(
        "/servers",
        json={
            "name": f"pg-{uuid.uuid4().hex[:6]}",
            "engine_type": "postgresql",
            "host": "127.0.0.1",
            "port": 5432,
            "credentials": {"username": "postgres", "password": password},
        },
    )
    assert server.status_code == 201, server.text
    database = await client.post(
        "/databases",
        json={
            "name": f"db-{uuid.uuid4().hex[:6]}",
            "database_type": "postgresql",
            "engine_id": server.json()["id"],
            "use_engine_credentials": True,
            "database_name": database_name,
        },
    )
    assert database.status_code in (200, 201), database.text
    return int(database.json()["database"]["id"])
