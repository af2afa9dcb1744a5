"""A probe at a server that accepts and never answers costs only itself: it answers "timed out"
within the probe timeout, and probes beside it answer at once."""

import asyncio
import time
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.support.services import running

PROBE_TIMEOUT = 3.0
MARGIN = 2.0
LOCAL_PG = {
    "database_type": "postgresql", "host": "127.0.0.1", "port": 5432,
    "database_name": "postgres", "username": "postgres", "password": "pw",
}  # fmt: skip


@pytest.fixture
async def silent_port() -> AsyncIterator[int]:
    """A TCP port that accepts connections and never sends a byte."""
    held: list[asyncio.StreamWriter] = []

    async def accept(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    for writer in held:
        writer.close()
    server.close()


@pytest.fixture
async def probing(api: httpx.AsyncClient, stack_settings) -> AsyncIterator[httpx.AsyncClient]:
    async with running("executor", stack_settings("executor", probe_timeout_seconds=PROBE_TIMEOUT)):
        yield api


async def _timed_probe(api: httpx.AsyncClient, body: dict) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    reply = await api.post("/databases/test-connection", json=body)
    return reply, time.monotonic() - started


@pytest.mark.parametrize("engine", ["mysql", "redis", "postgresql"])
async def test_a_hung_probe_does_not_delay_another(probing, silent_port, engine):
    hung_body = {
        "database_type": engine, "host": "127.0.0.1", "port": silent_port,
        "username": "root", "password": "pw", "database_name": "x" if engine != "redis" else "0",
    }  # fmt: skip
    hung = [asyncio.create_task(_timed_probe(probing, hung_body)) for _ in range(2)]
    await asyncio.sleep(0.5)  # the hung probes reach the executor first
    answered, elapsed = await _timed_probe(probing, LOCAL_PG)
    assert answered.status_code == 200 and answered.json()["success"] is True, answered.text
    assert elapsed < 1.5, elapsed

    for reply, hung_for in await asyncio.gather(*hung):
        assert reply.status_code == 200, reply.text
        result = reply.json()
        assert result["success"] is False and "timed out" in result["message"], result
        assert PROBE_TIMEOUT - 0.5 <= hung_for < PROBE_TIMEOUT + MARGIN, hung_for

    again, elapsed = await _timed_probe(probing, LOCAL_PG)  # nothing is left blocked afterwards
    assert again.json()["success"] is True and elapsed < 1.5
