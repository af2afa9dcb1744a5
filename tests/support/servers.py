"""Real servers for tests: a NATS with JetStream and a PostgreSQL, on their own ports and dirs."""

import itertools
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from libs.embedded import EmbeddedPostgres, NatsServer, free_port

_database_numbers = itertools.count(1)


@dataclass
class TestServers:
    __test__ = False  # a fixture's type, not a test class for pytest to collect

    root: Path
    nats: NatsServer
    postgres: EmbeddedPostgres

    async def new_database(self) -> str:
        """A fresh, empty database; returns its URL."""
        name = f"t{next(_database_numbers)}_{free_port()}"
        conn = await asyncpg.connect(self.postgres.url_for("postgres"))
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        return self.postgres.url_for(name)


@contextmanager
def test_servers() -> Iterator[TestServers]:
    root = Path(tempfile.mkdtemp(prefix="lifeboat-test-"))
    nats = NatsServer(root / "nats", free_port()).start(root / "nats.log")
    try:
        postgres = EmbeddedPostgres(root / "pg", free_port()).start(root / "pg.log")
        try:
            yield TestServers(root, nats, postgres)
        finally:
            postgres.stop()
    finally:
        nats.stop()
        shutil.rmtree(root, ignore_errors=True)
