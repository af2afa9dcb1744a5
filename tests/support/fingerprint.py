"""What a database holds, reduced to (row count, SHA-256) per table — per database for Redis — so an
acceptance test can prove that a restore equals its source.

Rows are hashed as the text of their values (NULL as \\N, binary as hex) in sorted order; sorting in
Python rather than with ORDER BY keeps the order independent of the server's collation. The entry
"(schema)" covers the names of views, indexes, triggers and routines.
"""

import asyncio
import contextlib
import hashlib
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import asyncpg
import pymysql
from redis.asyncio import Redis

from services.executor.engines.base import Target

Fingerprint = dict[str, tuple[int, str]]
SCHEMA = "(schema)"
PG_SYSTEM_SCHEMAS = "('pg_catalog', 'information_schema', 'pg_toast')"
PG_OBJECTS = f"""
    SELECT c.relkind::text, n.nspname || '.' || c.relname FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname NOT IN {PG_SYSTEM_SCHEMAS} AND c.relkind IN ('r', 'p', 'v', 'm', 'i', 'S')
    UNION ALL
    SELECT 'function', n.nspname || '.' || p.proname FROM pg_proc p
    JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname NOT IN {PG_SYSTEM_SCHEMAS}
    UNION ALL
    SELECT 'trigger', tgname FROM pg_trigger WHERE NOT tgisinternal"""
MARIADB_OBJECTS = """
    SELECT TABLE_TYPE, TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = %(db)s
    UNION ALL SELECT ROUTINE_TYPE, ROUTINE_NAME FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = %(db)s
    UNION ALL SELECT 'TRIGGER', TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = %(db)s
    UNION ALL SELECT 'EVENT', EVENT_NAME FROM information_schema.EVENTS WHERE EVENT_SCHEMA = %(db)s
    UNION ALL SELECT DISTINCT 'INDEX', CONCAT(TABLE_NAME, '.', INDEX_NAME)
              FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = %(db)s"""


def _text(value: object) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bytes | bytearray | memoryview):
        return "\\x" + bytes(value).hex()
    return str(value)


def digest(rows: Iterable[Sequence[object]]) -> tuple[int, str]:
    """(number of rows, SHA-256 over the rows' text in sorted order)."""
    lines = sorted("\x1f".join(_text(value) for value in row) for row in rows)
    sha = hashlib.sha256()
    for line in lines:
        sha.update(line.encode("utf-8", "surrogateescape") + b"\x1e")
    return len(lines), sha.hexdigest()


async def fingerprint(engine_name: str, target: Target) -> Fingerprint:
    if engine_name == "postgresql":
        return await _postgres(target)
    if engine_name in ("mariadb", "mysql"):
        return await asyncio.to_thread(_mariadb, target)
    if engine_name == "sqlite":
        return await asyncio.to_thread(_sqlite, Path(target.database))
    if engine_name == "redis":
        return await _redis(target)
    raise ValueError(f"no fingerprint for engine {engine_name!r}")


def _pg_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


async def _postgres(target: Target) -> Fingerprint:
    conn = await asyncpg.connect(
        host=target.host, port=target.port, user=target.username, password=target.password,
        database=target.database,
    )  # fmt: skip
    try:
        tables = await conn.fetch(
            f"""SELECT n.nspname, c.relname, array_agg(a.attname ORDER BY a.attnum)
                FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                WHERE c.relkind = 'r' AND n.nspname NOT IN {PG_SYSTEM_SCHEMAS} GROUP BY 1, 2"""
        )
        result = {SCHEMA: digest(await conn.fetch(PG_OBJECTS))}
        for schema, table, columns in tables:
            values = ", ".join(f"{_pg_ident(column)}::text" for column in columns)
            rows = await conn.fetch(f"SELECT {values} FROM ONLY {_pg_ident(schema)}.{_pg_ident(table)}")
            result[table if schema == "public" else f"{schema}.{table}"] = digest(rows)
        return result
    finally:
        await conn.close()


def _mariadb(target: Target) -> Fingerprint:
    conn = pymysql.connect(
        host=target.host, port=target.port or 3306, user=target.username or "root",
        password=target.password or "", database=target.database, charset="utf8mb4",
    )  # fmt: skip
    try:
        with conn.cursor() as cursor:
            cursor.execute(MARIADB_OBJECTS, {"db": target.database})
            result = {SCHEMA: digest(cursor.fetchall())}
            cursor.execute(
                """SELECT TABLE_NAME FROM information_schema.TABLES
                   WHERE TABLE_SCHEMA = %s AND TABLE_TYPE = 'BASE TABLE'""",
                (target.database,),
            )
            for (table,) in cursor.fetchall():
                cursor.execute(f"SELECT * FROM `{table.replace('`', '``')}`")
                result[table] = digest(cursor.fetchall())
        return result
    finally:
        conn.close()


def _sqlite(path: Path) -> Fingerprint:
    with contextlib.closing(sqlite3.connect(path.absolute().as_uri() + "?mode=ro", uri=True)) as conn:
        objects = conn.execute("SELECT type, name, sql FROM sqlite_master").fetchall()
        result = {SCHEMA: digest(objects)}
        for kind, name, _ in objects:
            if kind == "table" and not name.startswith("sqlite_"):
                quoted = '"' + name.replace('"', '""') + '"'
                result[name] = digest(conn.execute(f"SELECT * FROM {quoted}").fetchall())
        return result


async def _redis(target: Target) -> Fingerprint:
    """Per database: every key with its type, value and whether it expires (not the TTL itself,
    which moves while the test runs)."""
    result = {}
    async with Redis(
        host=target.host or "127.0.0.1", port=target.port or 6379, password=target.password
    ) as r:
        databases = [int(name[2:]) for name in await r.info("keyspace") if name.startswith("db")]
    for db in sorted(databases):
        async with Redis(
            host=target.host or "127.0.0.1", port=target.port or 6379, password=target.password, db=db
        ) as client:
            keys = sorted([key async for key in client.scan_iter(count=1000)])
            entries = []
            for start in range(0, len(keys), 500):
                entries += await _redis_entries(client, keys[start : start + 500])
            result[f"db{db}"] = digest(entries)
    return result


async def _redis_entries(client: Redis, keys: list[bytes]) -> list[tuple[object, ...]]:
    async with client.pipeline(transaction=False) as pipe:
        for key in keys:
            pipe.type(key)
            pipe.pttl(key)
        described = await pipe.execute()
    kinds = [kind.decode() if isinstance(kind, bytes) else kind for kind in described[0::2]]
    async with client.pipeline(transaction=False) as pipe:
        for key, kind in zip(keys, kinds, strict=True):
            _read_value(pipe, key, kind)
        values = await pipe.execute()
    return [
        (key, kind, _canonical(kind, value), ttl > 0)
        for key, kind, value, ttl in zip(keys, kinds, values, described[1::2], strict=True)
    ]


def _read_value(pipe: Any, key: bytes, kind: str) -> None:
    reads = {
        "string": lambda: pipe.get(key),
        "hash": lambda: pipe.hgetall(key),
        "list": lambda: pipe.lrange(key, 0, -1),
        "set": lambda: pipe.smembers(key),
        "zset": lambda: pipe.zrange(key, 0, -1, withscores=True),
        "stream": lambda: pipe.xrange(key),
    }
    reads.get(kind, lambda: pipe.exists(key))()


def _canonical(kind: str, value: Any) -> str:
    if kind == "hash":
        return repr(sorted(value.items()))
    if kind == "set":
        return repr(sorted(value))
    return repr(value)
