"""The fixtures every test may ask for: the session's servers and a fresh database on them."""

import asyncio
from collections.abc import Iterator

import pytest

from libs.bus.streams import provision_streams
from tests.support.servers import TestServers, test_servers


@pytest.fixture(scope="session")
def servers() -> Iterator[TestServers]:
    with test_servers() as running:
        asyncio.run(provision_streams(running.nats.url))
        yield running


@pytest.fixture
async def database_url(servers: TestServers) -> str:
    return await servers.new_database()
