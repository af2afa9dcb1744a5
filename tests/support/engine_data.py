"""Real databases for engine tests: each builder makes a uniquely named source filled with data
worth dumping, and removes it afterwards — other people test against the same servers.

PostgreSQL 15 (127.0.0.1:5432, trust) and MariaDB (127.0.0.1:3306, root without password) are the
machine's own; Redis servers and the password-checking PostgreSQL are started here, on free ports.
"""

import asyncio
import contextlib
import os
import secrets
import shutil
import sqlite3
import subprocess
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import pymysql
from redis.asyncio import Redis

from libs.embedded import EmbeddedPostgres, free_port, wait_for_port
from services.executor.engines.base import Target

LOCAL_POSTGRES = Target("postgresql", "127.0.0.1", 5432, "postgres", "postgres")
LOCAL_MARIADB = Target("mariadb", "127.0.0.1", 3306, "mysql", "root")
# Characters that need escaping in a .pgpass line and in a MySQL option file.
AWKWARD_PASSWORD_CHARACTERS = ":\\#\"' ;="


def unique_name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


def awkward_password() -> str:
    return secrets.token_hex(8) + AWKWARD_PASSWORD_CHARACTERS + secrets.token_hex(4)


# --- PostgreSQL ---------------------------------------------------------------------------------


def pgbench_binary() -> Path:
    system = Path("/usr/lib/postgresql/15/bin/pgbench")
    return system if system.exists() else EmbeddedPostgres.bin_dir() / "pgbench"


@contextlib.asynccontextmanager
async def postgres_database(server: Target = LOCAL_POSTGRES, prefix: str = "lb_pg") -> AsyncIterator[Target]:
    """A new, empty database on `server`, dropped (with its sessions) afterwards."""
    target = server.with_database(unique_name(prefix))
    conn = await asyncpg.connect(
        host=server.host,
        port=server.port,
        user=server.username,
        password=server.password,
        database="postgres",
    )
    try:
        await conn.execute(f'CREATE DATABASE "{target.database}"')
        yield target
    finally:
        await conn.execute(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)')
        await conn.close()


@contextlib.asynccontextmanager
async def pgbench_database(scale: int = 1) -> AsyncIterator[Target]:
    """The local PostgreSQL 15 with `pgbench -i -s scale` (100,000 accounts per scale step)."""
    async with postgres_database(prefix="lb_pgbench") as target:
        process = await asyncio.create_subprocess_exec(
            str(pgbench_binary()), "-i", "-q", "-s", str(scale),
            "-h", str(target.host), "-p", str(target.port), "-U", str(target.username), target.database,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )  # fmt: skip
        output, _ = await process.communicate()
        if process.returncode != 0:
            raise RuntimeError(f"pgbench -i failed: {output.decode(errors='replace')}")
        yield target


@contextlib.contextmanager
def password_postgres(password: str) -> Iterator[Target]:
    """An embedded PostgreSQL that checks passwords (scram-sha-256) over TCP; yields its
    maintenance database as user postgres with `password`."""
    root = Path(tempfile.mkdtemp(prefix="lb-scram-"))
    root.chmod(0o755)  # the embedded server's system user must reach its data dir
    server = EmbeddedPostgres(root / "pg", free_port(), password=password)
    try:
        server.start(root / "pg.log")
        yield Target("postgresql", "127.0.0.1", server.port, "postgres", "postgres", password)
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


# --- MariaDB ------------------------------------------------------------------------------------

MARIADB_SCHEMA = [
    """CREATE TABLE customers (
        id INT PRIMARY KEY, name VARCHAR(40) NOT NULL, email VARCHAR(120), bio TEXT,
        born DATE, created DATETIME NOT NULL, balance DECIMAL(10, 2)) CHARACTER SET utf8mb4""",
    """CREATE TABLE documents (
        id INT PRIMARY KEY, customer_id INT NOT NULL, title VARCHAR(100), body MEDIUMBLOB)""",
    "CREATE TABLE audit (id INT AUTO_INCREMENT PRIMARY KEY, customer_id INT, at DATETIME)",
    "CREATE VIEW rich_customers AS SELECT id, name FROM customers WHERE balance > 500",
    """CREATE TRIGGER customers_audit AFTER INSERT ON customers FOR EACH ROW
       INSERT INTO audit (customer_id, at) VALUES (NEW.id, NEW.created)""",
    """CREATE PROCEDURE customer_count(OUT total INT)
       BEGIN SELECT COUNT(*) INTO total FROM customers; END""",
]


def _mariadb_connection(server: Target, database: str | None = None) -> "pymysql.Connection[Any]":
    return pymysql.connect(
        host=server.host, port=server.port or 3306, user=server.username or "root",
        password=server.password or "", database=database, charset="utf8mb4", autocommit=True,
    )  # fmt: skip


def _fill_mariadb(target: Target, customers: int, documents: int, document_size: int) -> None:
    conn = _mariadb_connection(LOCAL_MARIADB, target.database)
    try:
        with conn.cursor() as cursor:
            for statement in MARIADB_SCHEMA:
                cursor.execute(statement)
            cursor.execute(
                f"""INSERT INTO customers
                    SELECT seq, CONCAT('Zoë Müller ', seq), CONCAT('user', seq, '@example.com'),
                           IF(seq % 7 = 0, NULL, REPEAT(CONCAT('bio ✓ ', seq, ' '), 1 + seq % 5)),
                           DATE_ADD('1950-01-01', INTERVAL seq * 7 DAY),
                           DATE_ADD('2020-01-01 08:00:00', INTERVAL seq * 3607 SECOND),
                           (seq * 37 % 100000) / 100
                    FROM seq_1_to_{customers}"""
            )
            # Blobs of hash bytes: almost never valid UTF-8, which --hex-blob must carry intact.
            repeats = max(1, document_size // 32)
            cursor.execute(
                f"""INSERT INTO documents
                    SELECT seq, 1 + seq % {customers}, CONCAT('doc ', seq),
                           REPEAT(UNHEX(SHA2(seq, 256)), {repeats})
                    FROM seq_1_to_{documents}"""
            )
            cursor.execute("INSERT INTO documents VALUES (0, 1, 'raw', %s)", (b"\xff\xfe\x00\x80\xc3(",))
    finally:
        conn.close()


@contextlib.asynccontextmanager
async def mariadb_database(
    customers: int = 2000, documents: int = 1500, document_size: int = 2048
) -> AsyncIterator[Target]:
    """A database on the local MariaDB with text, blob (non-UTF-8), date and datetime columns, a
    view, a trigger and a stored procedure; yielded as a root target."""
    async with empty_mariadb_database() as target:
        await asyncio.to_thread(_fill_mariadb, target, customers, documents, document_size)
        yield target


@contextlib.asynccontextmanager
async def empty_mariadb_database(prefix: str = "lb_maria") -> AsyncIterator[Target]:
    target = LOCAL_MARIADB.with_database(unique_name(prefix))
    await _mariadb_execute(f"CREATE DATABASE `{target.database}` CHARACTER SET utf8mb4")
    try:
        yield target
    finally:
        await _mariadb_execute(f"DROP DATABASE IF EXISTS `{target.database}`")


@contextlib.asynccontextmanager
async def mariadb_user(password: str) -> AsyncIterator[Target]:
    """A user that must give `password`, with every privilege (restores create definers' objects)."""
    name = unique_name("lb_user")
    await _mariadb_execute(f"CREATE USER '{name}'@'%%' IDENTIFIED BY %s", password)
    try:
        await _mariadb_execute(f"GRANT ALL PRIVILEGES ON *.* TO '{name}'@'%%'")
        yield Target("mariadb", "127.0.0.1", 3306, "mysql", name, password)
    finally:
        await _mariadb_execute(f"DROP USER IF EXISTS '{name}'@'%%'")


async def _mariadb_execute(statement: str, *params: str) -> None:
    def run() -> None:
        conn = _mariadb_connection(LOCAL_MARIADB)
        try:
            with conn.cursor() as cursor:
                cursor.execute(statement, params)  # always formatted, so "%%" means "%"
        finally:
            conn.close()

    await asyncio.to_thread(run)


# --- SQLite -------------------------------------------------------------------------------------


def sqlite_database(path: Path, rows: int = 3000) -> Target:
    """A WAL-mode SQLite file with tables (text, real, blob), an index, a view and a trigger."""
    with contextlib.closing(sqlite3.connect(path)) as conn, conn:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.executescript(
            """CREATE TABLE notes (id INTEGER PRIMARY KEY, title TEXT NOT NULL, body TEXT, score REAL,
                                   attachment BLOB);
               CREATE TABLE note_log (note_id INTEGER, action TEXT);
               CREATE INDEX notes_by_title ON notes (title);
               CREATE VIEW long_notes AS SELECT id, title FROM notes WHERE length(body) > 40;
               CREATE TRIGGER notes_logged AFTER INSERT ON notes
               BEGIN INSERT INTO note_log VALUES (NEW.id, 'insert'); END;"""
        )
        conn.executemany(
            "INSERT INTO notes VALUES (?, ?, ?, ?, ?)",
            [(i, f"note {i} ✓", "body " * (i % 13), i / 7, os.urandom(i % 50) or None) for i in range(rows)],
        )
    return Target("sqlite", None, None, str(path))


# --- Redis --------------------------------------------------------------------------------------


@dataclass
class RedisServer:
    """A private redis-server on a free port with `requirepass`; never the machine's shared 6379."""

    directory: Path
    password: str
    port: int = field(default_factory=free_port)
    process: "subprocess.Popen[bytes] | None" = field(default=None, init=False)

    def target(self, database: str = "0") -> Target:
        return Target("redis", "127.0.0.1", self.port, database, None, self.password)

    def start(self) -> "RedisServer":
        self.directory.mkdir(parents=True, exist_ok=True)
        config = self.directory / "redis.conf"  # the password stays out of the server's argv
        config.write_text(
            f'port {self.port}\nbind 127.0.0.1\nrequirepass "{self.password}"\nsave ""\nappendonly no\n'
            f'dir "{self.directory}"\n'
        )
        config.chmod(0o600)
        self.process = subprocess.Popen(
            ["redis-server", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        wait_for_port(self.port, 10, self.process)
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@contextlib.contextmanager
def redis_server(directory: Path, password: str | None = None) -> Iterator[RedisServer]:
    server = RedisServer(directory, password or secrets.token_hex(12)).start()
    try:
        yield server
    finally:
        server.stop()


async def fill_redis(target: Target, keys_per_type: int = 2000, databases: tuple[int, ...] = (0, 2)) -> None:
    """Strings (some binary), hashes, lists, sets, sorted sets and streams; every tenth key expires
    in an hour. The first database gets `keys_per_type` keys of each type, the others a tenth."""
    for number, db in enumerate(databases):
        count = keys_per_type if number == 0 else max(1, keys_per_type // 10)
        async with Redis(
            host=target.host or "127.0.0.1", port=target.port or 6379, password=target.password, db=db
        ) as r:
            for start in range(0, count, 500):
                async with r.pipeline(transaction=False) as pipe:
                    for i in range(start, min(count, start + 500)):
                        pipe.set(f"s:{i}", f"value {i}".encode() + bytes([i % 256]))
                        pipe.hset(f"h:{i}", mapping={f"f{j}": f"{i}-{j}" for j in range(5)})
                        pipe.rpush(f"l:{i}", *[f"item {j}" for j in range(5)])
                        pipe.sadd(f"set:{i}", *[f"m{j * i}" for j in range(5)])
                        pipe.zadd(f"z:{i}", {f"m{j}": j * 1.5 + i for j in range(5)})
                        for j in range(3):
                            pipe.xadd(f"x:{i}", {"n": str(j)}, id=f"{i + 1}-{j}")
                        if i % 10 == 0:
                            for prefix in ("s", "h", "l", "set", "z", "x"):
                                pipe.expire(f"{prefix}:{i}", 3600)
                    await pipe.execute()
