"""The network guard through the API: servers registered at Lifeboat's own NATS, PostgreSQL and
HTTP API (in every notation) and at the cloud metadata address are refused for connection tests,
discovery and backups, nothing connects, and every refusal is on the audit record."""

import asyncio
import itertools
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.integration.backup_fixtures import finished_backup
from tests.support.servers import TestServers
from tests.support.services import running

NOTATIONS = ["127.0.0.1", "localhost", "0.0.0.0", "2130706433", "0x7f000001", "127.1"]
ENGINES = ["postgresql", "mysql", "redis"]
EXECUTOR = {"job_retry_seconds": 0.3, "job_max_attempts": 3, "job_lease_seconds": 6.0}


class Listener:
    """A plain TCP listener that counts the connections it accepts."""

    def __init__(self) -> None:
        self.accepted = 0
        self.port = 0
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> "Listener":
        async def accept(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self.accepted += 1
            writer.write(b"INFO {\"server_id\":\"BANNER-OF-LIFEBOAT\"}\r\n")
            writer.close()

        self._server = await asyncio.start_server(accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()


@pytest.fixture
async def guarded(audit_api: httpx.AsyncClient, stack_settings, servers: TestServers) -> AsyncIterator[Any]:
    """The API with audit and an executor whose own HTTP port is a counting listener."""
    async with Listener() as listener:
        settings = stack_settings("executor", http_port=listener.port, **EXECUTOR)
        async with running("executor", settings):
            own = {"NATS": servers.nats.port, "PostgreSQL": servers.postgres.port, "HTTP API": listener.port}
            yield audit_api, own, listener


async def _server(api: httpx.AsyncClient, host: str, port: int, engine: str) -> int:
    body = {
        "name": f"s-{uuid.uuid4().hex[:8]}",
        "engine_type": engine,
        "host": host,
        "port": port,
        "credentials": {"username": "postgres", "password": "any-password"},
    }
    created = await api.post("/servers", json=body)
    assert created.status_code == 201, created.text
    return int(created.json()["id"])


def _assert_refused(reply: httpx.Response, what: str) -> None:
    assert reply.status_code == 422, reply.text
    body = reply.json()
    assert body["code"] == "TARGET_NOT_ALLOWED" and body["detail"].startswith("host: "), body
    assert what in body["detail"] and "connections there are refused" in body["detail"]
    assert "BANNER" not in reply.text and "any-password" not in reply.text


async def test_own_endpoints_and_metadata_are_refused_and_nothing_connects(guarded):
    api, own, listener = guarded
    cases = [(host, port, what) for host in NOTATIONS for what, port in own.items()]
    cases.append(("169.254.169.254", 80, "link-local"))
    engines = itertools.cycle(ENGINES)
    for host, port, what in cases:
        server_id = await _server(api, host, port, next(engines))
        expected = "unspecified" if host == "0.0.0.0" else what
        _assert_refused(await api.post(f"/servers/{server_id}/test-connection"), expected)
        _assert_refused(await api.get(f"/servers/{server_id}/databases"), expected)
        _assert_refused(await api.post(f"/servers/{server_id}/discover"), expected)
    direct = await api.post(
        "/databases/test-connection",
        json={"database_type": "redis", "host": "0x7f000001", "port": own["NATS"], "password": "pw"},
    )
    _assert_refused(direct, "own NATS")
    assert listener.accepted == 0

    refusals = await _audit(api, "connection_refused", len(cases) * 3 + 1)
    item = refusals["items"][0]
    assert item["status"] == "failed" and "connections there are refused" in item["error_message"]
    assert item["username"] == "admin" and item["details"]["operation"] in ("test_connection", "discover")
    assert "any-password" not in str(refusals) and "pw" not in str(item["details"].values())


async def test_a_backup_of_an_own_endpoint_fails_at_once_as_refused(guarded):
    api, own, listener = guarded
    for host, engine, what in (("127.1", "postgresql", "PostgreSQL"), ("localhost", "redis", "NATS"),
                               ("2130706433", "mysql", "HTTP API")):  # fmt: skip
        database = await api.post(
            "/databases",
            json={
                "name": f"d-{uuid.uuid4().hex[:8]}",
                "database_type": engine,
                "host": host,
                "port": own[what],
                "username": "postgres",
                "password": "any-password",
                "database_name": "lifeboat" if engine != "redis" else "0",
            },
        )
        assert database.status_code == 201, database.text
        queued = await api.post(f"/databases/{database.json()['database']['id']}/backup")
        assert queued.status_code == 202, queued.text
        backup = await finished_backup(api, queued.json()["backup_id"])
        assert backup["status"] == "failed" and backup["error_cause"] == "refused", backup
        assert f"is Lifeboat's own {what}; connections there are refused" in backup["error_message"]
        assert backup["attempts"] == 1  # a refusal is not retried
    assert listener.accepted == 0
    recorded = await _audit(api, "connection_refused", 3)
    assert {i["details"]["operation"] for i in recorded["items"]} == {"backup"}


async def test_the_machines_postgresql_is_still_reachable(guarded):
    api, _, _ = guarded
    server_id = await _server(api, "localhost", 5432, "postgresql")
    tested = await api.post(f"/servers/{server_id}/test-connection")
    assert tested.status_code == 200 and tested.json()["success"] is True, tested.text


async def _audit(api: httpx.AsyncClient, action: str, count: int) -> dict:
    for _ in range(150):
        page = (await api.get("/audit/logs", params={"action": action, "limit": 1000})).json()
        if page["total"] >= count:
            return dict(page)
        await asyncio.sleep(0.1)
    raise AssertionError(f"{count} {action} records expected, found {page['total']}")


async def test_a_host_that_does_not_resolve_is_an_answer_not_a_server_error(guarded):
    api, _, listener = guarded
    for engine in ENGINES:
        server_id = await _server(api, f"no-such-host-{uuid.uuid4().hex[:8]}.invalid", 5432, engine)
        tested = await api.post(f"/servers/{server_id}/test-connection")
        assert tested.status_code == 200, tested.text
        assert tested.json()["success"] is False and "unknown host" in tested.json()["message"]
        discovered = await api.post(f"/servers/{server_id}/discover")
        assert discovered.status_code == 409 and discovered.json()["code"] == "DISCOVERY_FAILED"
        assert "unknown host" in discovered.json()["detail"]
    assert listener.accepted == 0
