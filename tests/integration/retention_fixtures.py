"""Fixtures for the retention tests: the backup stack with the scheduler and the retention service,
helpers that make SQLite databases, backups and policies through the API, and a wait for the
retention service to have handled every backup event so far (so "nothing was deleted" is a fact,
not a race)."""

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import nats
import pytest

from contracts import subjects
from tests.integration.backup_fixtures import finished_backup
from tests.support.engine_data import sqlite_database
from tests.support.servers import TestServers
from tests.support.services import running, settings_for


@pytest.fixture
async def retention_api(
    backup_api: httpx.AsyncClient, servers: TestServers, database_url: str, tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    """`backup_api` with the scheduler and the retention service running too."""

    def settings(service: str):  # type: ignore[no-untyped-def]
        return settings_for(service, servers.nats.url, database_url, tmp_path)

    async with running("scheduler", settings("scheduler")), running("retention", settings("retention")):
        backup_api.database_url = database_url  # type: ignore[attr-defined]
        backup_api.nats_url = servers.nats.url  # type: ignore[attr-defined]
        yield backup_api


async def make_database(client: httpx.AsyncClient, tmp_path: Path, **extra: Any) -> int:
    source = sqlite_database(tmp_path / f"{uuid.uuid4().hex[:6]}.sqlite3")
    created = await client.post(
        "/databases",
        json={
            "name": f"db-{uuid.uuid4().hex[:6]}",
            "database_type": "sqlite",
            "database_name": source.database,
            **extra,
        },
    )
    assert created.status_code in (200, 201), created.text
    return int(created.json()["database"]["id"])


async def make_backup(client: httpx.AsyncClient, database_id: int) -> dict[str, Any]:
    queued = (await client.post(f"/databases/{database_id}/backup")).json()
    return await finished_backup(client, queued["backup_id"])


async def make_policy(client: httpx.AsyncClient, **rules: Any) -> int:
    created = await client.post("/retention-policies", json={"name": f"p-{uuid.uuid4().hex[:6]}", **rules})
    assert created.status_code == 201, created.text
    return int(created.json()["id"])


async def backup_ids(client: httpx.AsyncClient, database_id: int) -> list[int]:
    listed = (await client.get("/backups", params={"database_id": database_id, "limit": 500})).json()
    items = listed if isinstance(listed, list) else listed.get("backups") or listed.get("items")
    return sorted(b["id"] for b in items)


async def until(check, timeout: float = 30.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        value = await check()
        if value or time.monotonic() > deadline:
            return value
        await asyncio.sleep(0.2)


async def retention_caught_up(client: httpx.AsyncClient, timeout: float = 30.0) -> None:
    """Wait until the retention service has acknowledged every backup event in the stream."""
    connection = await nats.connect(client.nats_url)  # type: ignore[attr-defined]
    try:
        js = connection.jetstream()
        deadline = time.monotonic() + timeout
        while True:
            info = await js.consumer_info(subjects.EVENTS_STREAM, "retention-backups")
            if info.num_pending == 0 and info.num_ack_pending == 0:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"retention still has {info.num_pending} + {info.num_ack_pending} events")
            await asyncio.sleep(0.2)
    finally:
        await connection.close()


class SQL:
    """A connection to the test database, to look behind (or go behind) the API's back."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.url = client.database_url  # type: ignore[attr-defined]

    async def __aenter__(self) -> asyncpg.Connection:
        self.conn = await asyncpg.connect(self.url)
        return self.conn

    async def __aexit__(self, *_: object) -> None:
        await self.conn.close()
