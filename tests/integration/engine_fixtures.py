"""Sources for the engine tests, one per engine and module, and the helpers the tests share.

Imported by test_engines.py so its fixtures register there; nothing here touches another test's
databases, and everything created is removed afterwards.
"""

import asyncio
import os
import re
from collections.abc import AsyncIterator, Iterator, Sequence
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import pymysql
import pytest

from libs.crypto.artifact import ArtifactWriter
from libs.crypto.keyring import create_keyring, load_keyring
from libs.crypto.manifest import Manifest
from libs.pipeline import Readable, read_stream, store_stream
from libs.storage.local import LocalStorage
from services.executor.engines.base import DumpProcess, Engine, Target
from tests.support.engine_data import (
    awkward_password,
    empty_mariadb_database,
    fill_redis,
    mariadb_database,
    mariadb_user,
    password_postgres,
    pgbench_database,
    postgres_database,
    redis_server,
    sqlite_database,
)

ARTIFACT_KEY = "srv/b-1.lbart"


@pytest.fixture(scope="module")
async def pgbench_source() -> AsyncIterator[Target]:
    """pgbench scale 1 on the machine's PostgreSQL 15: about 13 MB of dump."""
    async with pgbench_database(scale=1) as target:
        yield target


@pytest.fixture(scope="session")
def scram_server() -> Iterator[Target]:
    """An embedded PostgreSQL 18 that checks passwords; its target is the maintenance database."""
    with password_postgres(awkward_password()) as target:
        yield target


@pytest.fixture(scope="module")
async def scram_source(scram_server: Target) -> AsyncIterator[Target]:
    """A database on the password-checking server, big enough (about 8 MB) to keep pg_dump busy."""
    async with postgres_database(scram_server, "lb_secret") as target:
        conn = await asyncpg.connect(
            host=target.host, port=target.port, user=target.username, password=target.password,
            database=target.database,
        )  # fmt: skip
        try:
            await conn.execute(
                """CREATE TABLE ledger AS SELECT g AS id, md5(g::text) AS a, md5((-g)::text) AS b
                   FROM generate_series(1, 100000) AS g"""
            )
        finally:
            await conn.close()
        yield target


@pytest.fixture(scope="module")
async def maria_user() -> AsyncIterator[Target]:
    """A MariaDB user with an awkward password; its target names the `mysql` database."""
    async with mariadb_user(awkward_password()) as target:
        yield target


@pytest.fixture(scope="module")
async def maria_source(maria_user: Target) -> AsyncIterator[Target]:
    """Text, non-UTF-8 blobs, dates, a view, a trigger and a procedure; about 7 MB of dump."""
    async with mariadb_database() as target:
        yield maria_user.with_database(target.database)


@pytest.fixture(scope="module")
def sqlite_source(tmp_path_factory: pytest.TempPathFactory) -> Target:
    return sqlite_database(tmp_path_factory.mktemp("sqlite") / "source.db")


@pytest.fixture(scope="module")
async def redis_source(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Target]:
    with redis_server(tmp_path_factory.mktemp("redis-source")) as server:
        await fill_redis(server.target())
        yield server.target()


@pytest.fixture
def redis_empty(tmp_path: Path) -> Iterator[Target]:
    with redis_server(tmp_path / "redis-target") as server:
        yield server.target()


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """The job's private directory, as the executor would create it."""
    path = tmp_path / "work"
    path.mkdir(mode=0o700)
    return path


class Artifacts:
    """Local storage with a master key file, as the pipeline tests use them."""

    def __init__(self, root: Path) -> None:
        self.key_file = root / "master.key"
        create_keyring(self.key_file)
        self.storage = LocalStorage(root / "store")

    async def store(self, dump: DumpProcess, engine: str, source: Readable | None = None) -> Manifest:
        """Stream the dump (or `source`, a wrapper of it) into storage; kill the dump on failure."""
        writer = ArtifactWriter(load_keyring(self.key_file), "b-1", "zstd")
        try:
            return await store_stream(
                source or dump.source, self.storage, ARTIFACT_KEY, writer,
                engine=engine, tool_version=dump.tool_version,
            )  # fmt: skip
        except BaseException:
            dump.kill()
            raise

    def read(self, manifest: Manifest) -> AsyncIterator[bytes]:
        return read_stream(self.storage, ARTIFACT_KEY, load_keyring(self.key_file), manifest)


@pytest.fixture
def artifacts(tmp_path: Path) -> Artifacts:
    return Artifacts(tmp_path)


async def back_up(engine: Engine, source: Target, workdir: Path, artifacts: Artifacts) -> Manifest:
    dump = await engine.start_dump(source, workdir)
    manifest = await artifacts.store(dump, engine.name)
    await dump.finish()
    return manifest


class KillAfter:
    """Passes a dump through and kills the dump tool once `limit` bytes have gone by."""

    def __init__(self, dump: DumpProcess, limit: int) -> None:
        assert isinstance(dump.source, Readable)
        self._dump, self._source, self._limit = dump, dump.source, limit
        self.passed = 0

    def readinto(self, buffer: bytearray | memoryview) -> int | None:
        count = self._source.readinto(buffer)
        self.passed += count or 0
        if self.passed >= self._limit:
            self._dump.kill()
        return count


def read_some(source: Readable, size: int) -> int:
    buffer = bytearray(size)
    return source.readinto(buffer) or 0


def drain(source: Readable) -> int:
    buffer, total = bytearray(1024 * 1024), 0
    while count := source.readinto(buffer):
        total += count
    return total


def processes_showing(secret: str) -> tuple[list[str], list[bytes]]:
    """Processes whose command line or environment holds `secret`, and every command line seen."""
    needle, exposed, commands = secret.encode(), [], []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        for part in ("cmdline", "environ"):
            try:
                data = Path(entry.path, part).read_bytes()
            except OSError:  # gone, or not ours to read
                continue
            if part == "cmdline":
                commands.append(data)
            if needle in data:
                exposed.append(f"{entry.name}/{part}: {data[:80]!r}")
    return exposed, commands


async def scan_while(dump: DumpProcess, tool: bytes, secret: str) -> list[str]:
    """Read a little of a running dump, scan every process for `secret`, then read the rest."""
    assert isinstance(dump.source, Readable)
    assert await asyncio.to_thread(read_some, dump.source, 256 * 1024) > 0
    exposed, commands = await asyncio.to_thread(processes_showing, secret)
    assert any(tool in command for command in commands), "the dump tool must run during the scan"
    await asyncio.to_thread(drain, dump.source)
    await dump.finish()
    return exposed


# --- masking ------------------------------------------------------------------------------------

MASK_TABLES = [
    """CREATE TABLE people (id INT PRIMARY KEY, name VARCHAR(20) NOT NULL, email VARCHAR(60),
       phone VARCHAR(16), note TEXT, age INT, born DATE, city VARCHAR(40) NOT NULL)""",
    "CREATE TABLE orders (id INT PRIMARY KEY, email VARCHAR(60), total NUMERIC(8, 2))",
]
PEOPLE = [
    (i, f"Person {i} Ünïcode", f"person{i}@example.com", None if i % 4 == 0 else f"+49 30 {i:07d}",
     f"note {i}", 18 + i % 60, date(1960, 1, 1) + timedelta(days=37 * i), ["Berlin", "Paris", "Oslo"][i % 3])
    for i in range(200)
]  # fmt: skip
ORDERS = [(i, f"buyer{i}@shop.example", Decimal(i * 325) / 100) for i in range(50)]


Row = tuple[Any, ...]


async def run_sql(target: Target, statement: str, rows: Sequence[Row] | None = None) -> list[Row]:
    """One statement on a PostgreSQL or MariaDB target, with %s placeholders for both."""
    if target.engine == "postgresql":
        numbered = iter(range(1, 100))
        statement = re.sub("%s", lambda _: f"${next(numbered)}", statement)
        conn = await asyncpg.connect(
            host=target.host, port=target.port, user=target.username, password=target.password,
            database=target.database,
        )  # fmt: skip
        try:
            if rows is not None:
                await conn.executemany(statement, rows)
                return []
            return [tuple(row) for row in await conn.fetch(statement)]
        finally:
            await conn.close()

    def mariadb() -> list[Row]:
        conn = pymysql.connect(
            host=target.host, port=target.port, user=target.username, password=target.password or "",
            database=target.database, charset="utf8mb4", autocommit=True,
        )  # fmt: skip
        try:
            with conn.cursor() as cursor:
                if rows is not None:
                    cursor.executemany(statement, rows)
                    return []
                cursor.execute(statement)
                return list(cursor.fetchall())
        finally:
            conn.close()

    return await asyncio.to_thread(mariadb)


@pytest.fixture
async def mask_target(request: pytest.FixtureRequest) -> AsyncIterator[Target]:
    """A fresh database with `people` and `orders`, on PostgreSQL 15 or MariaDB (request.param)."""
    database = postgres_database() if request.param == "postgresql" else empty_mariadb_database()
    async with database as target:
        for statement in MASK_TABLES:
            await run_sql(target, statement)
        await run_sql(target, "INSERT INTO people VALUES (%s, %s, %s, %s, %s, %s, %s, %s)", PEOPLE)
        await run_sql(target, "INSERT INTO orders VALUES (%s, %s, %s)", ORDERS)
        yield target


async def masked_tables(target: Target) -> tuple[list[Row], list[Row]]:
    people = await run_sql(target, "SELECT * FROM people ORDER BY id")
    orders = await run_sql(target, "SELECT * FROM orders ORDER BY id")
    return people, orders
