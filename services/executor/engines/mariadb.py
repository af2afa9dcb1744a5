"""MySQL and MariaDB: mariadb-dump (or mysqldump) for the data as SQL, the mariadb (or mysql) client
to load it, pymysql in a worker thread for everything else.

One database is dumped without CREATE DATABASE/USE, so it restores under any name. The password
reaches the tools only through a 0600 `--defaults-extra-file`, which must be their first option.
"""

import asyncio
import functools
import shutil
import subprocess
from collections.abc import AsyncIterator, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pymysql
from pymysql.constants import CLIENT

from services.executor.engines.base import DiscoveredDatabase, EngineError, MaskRule, Target, unreachable
from services.executor.engines.masking import Column, ColumnMask, plan
from services.executor.engines.process import ToolProcess, feed_tool, secret_file, tool_env

T = TypeVar("T")
CONNECT_TIMEOUT = 10
PROBE_IO_TIMEOUT = 10  # per socket read or write of a connection test or discovery
# pymysql's own threads: a hung server never starves the default pool that pipelines and storage use
DRIVER_THREADS = ThreadPoolExecutor(max_workers=32, thread_name_prefix="pymysql")
DEFAULT_USER = "root"
SYSTEM_DATABASES = ("information_schema", "mysql", "performance_schema", "sys")
AUTHENTICATION, NO_DATABASE_ACCESS, UNKNOWN_DATABASE = 1045, 1044, 1049
UNREACHABLE = (2003, 2005, 2006, 2013)
DUMP_OPTIONS = [
    "--single-transaction", "--routines", "--triggers", "--events", "--hex-blob",
    "--default-character-set=utf8mb4",
]  # fmt: skip
MASKABLE_COLUMNS = """
    SELECT c.TABLE_SCHEMA, c.TABLE_NAME, c.COLUMN_NAME, c.DATA_TYPE, c.IS_NULLABLE = 'YES',
           c.CHARACTER_MAXIMUM_LENGTH, c.NUMERIC_PRECISION, c.NUMERIC_SCALE, c.COLUMN_TYPE
    FROM information_schema.COLUMNS c
    JOIN information_schema.TABLES t ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME
    WHERE c.TABLE_SCHEMA = %s AND t.TABLE_TYPE = 'BASE TABLE' AND LOWER(c.COLUMN_NAME) IN %s"""


def quote_ident(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _option_value(value: str) -> str:
    """A double-quoted option-file value, so '#', ';', quotes and spaces survive."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


@functools.cache
def _tool(*names: str) -> tuple[str, str]:
    """The first of `names` on PATH and its `--version` line."""
    for name in names:
        path = shutil.which(name)
        if path:
            version = subprocess.run([path, "--version"], capture_output=True, text=True).stdout.strip()
            return path, version
    raise EngineError("tool_failed", f"{names[0]} not found: install the MariaDB client tools")


def _user(target: Target) -> str:
    return target.username or DEFAULT_USER


def _classified(target: Target, database: str | None, exc: pymysql.MySQLError) -> EngineError:
    code = exc.args[0] if exc.args else None
    if code == AUTHENTICATION:
        return EngineError("authentication", f"authentication failed for user '{_user(target)}'")
    if code == NO_DATABASE_ACCESS:
        return EngineError("authentication", f"user '{_user(target)}' may not use database '{database}'")
    if code == UNKNOWN_DATABASE:
        return EngineError("unknown_database", f"database '{database}' does not exist")
    if code in UNREACHABLE:
        cause = exc.__context__ or ConnectionError(exc.args[1] if len(exc.args) > 1 else "")
        return unreachable(target.host, target.port, cause)
    if not isinstance(code, int):  # pymysql could not parse the reply: a peer that is not MySQL
        return EngineError("invalid", "unexpected reply: not a MySQL or MariaDB server")
    return EngineError("tool_failed", f"MySQL error {code}: {exc.args[1] if len(exc.args) > 1 else exc}")


def _connect(target: Target, database: str | None, io_timeout: float | None) -> "pymysql.Connection[Any]":
    try:
        return pymysql.connect(
            host=target.host, port=target.port or 3306, user=_user(target), password=target.password or "",
            database=database, connect_timeout=CONNECT_TIMEOUT, charset="utf8mb4", autocommit=True,
            client_flag=CLIENT.FOUND_ROWS,  # rowcount = rows a mask matched, changed or not
            read_timeout=io_timeout, write_timeout=io_timeout,  # connect_timeout ends at the TCP connect
        )  # fmt: skip
    except pymysql.MySQLError as exc:
        raise _classified(target, database, exc) from None


async def _run(
    target: Target, database: str | None, work: Callable[[Any], T], io_timeout: float | None = None
) -> T:
    """Run `work(cursor)` on a fresh connection in a driver thread (pymysql blocks). Probes pass
    `io_timeout`, so a server that accepts and never answers frees the thread within it."""

    def call() -> T:
        conn = _connect(target, database, io_timeout)
        try:
            with conn.cursor() as cursor:
                return work(cursor)
        except pymysql.MySQLError as exc:
            raise _classified(target, database, exc) from None
        finally:
            conn.close()

    return await asyncio.get_running_loop().run_in_executor(DRIVER_THREADS, call)


class MariaDBEngine:
    name = "mariadb"
    file_format = "sql"

    async def test_connection(self, target: Target) -> None:
        await _run(target, target.database, lambda cursor: cursor.execute("SELECT 1"), PROBE_IO_TIMEOUT)

    async def discover(self, target: Target) -> list[DiscoveredDatabase]:
        def work(cursor: Any) -> list[DiscoveredDatabase]:
            cursor.execute(
                """SELECT s.SCHEMA_NAME, SUM(t.DATA_LENGTH + t.INDEX_LENGTH)
                   FROM information_schema.SCHEMATA s
                   LEFT JOIN information_schema.TABLES t ON t.TABLE_SCHEMA = s.SCHEMA_NAME
                   WHERE s.SCHEMA_NAME NOT IN %s GROUP BY s.SCHEMA_NAME ORDER BY 1""",
                (SYSTEM_DATABASES,),
            )
            return [DiscoveredDatabase(name, int(size or 0)) for name, size in cursor.fetchall()]

        return await _run(target, None, work, PROBE_IO_TIMEOUT)

    async def database_size(self, target: Target) -> int | None:
        def work(cursor: Any) -> int:
            cursor.execute(
                """SELECT SUM(DATA_LENGTH + INDEX_LENGTH) FROM information_schema.TABLES
                   WHERE TABLE_SCHEMA = %s""",
                (target.database,),
            )
            return int(cursor.fetchone()[0] or 0)

        return await _run(target, target.database, work)

    def _tool_args(self, tool: str, target: Target, workdir: Path) -> tuple[list[str], Path]:
        user, password = _option_value(_user(target)), _option_value(target.password or "")
        defaults = secret_file(workdir, "my-", f"[client]\nuser={user}\npassword={password}\n")
        args = [tool, f"--defaults-extra-file={defaults}"]  # only honoured as the first option
        # TCP to the admitted address: "localhost" or an option file would otherwise pick a socket
        args += [f"--host={target.host or '127.0.0.1'}", f"--port={target.port or 3306}", "--protocol=TCP"]
        return args, defaults

    async def start_dump(self, target: Target, workdir: Path) -> ToolProcess:
        tool, version = await asyncio.to_thread(_tool, "mariadb-dump", "mysqldump")
        args, defaults = self._tool_args(tool, target, workdir)
        # one database named after "--" and without --databases: no CREATE DATABASE or USE in the dump
        args += [*DUMP_OPTIONS, "--", target.database]
        return ToolProcess(args, tool_env(), workdir, version, secret_files=[defaults])

    async def restore(self, target: Target, dump: AsyncIterator[bytes], workdir: Path) -> None:
        tool, _ = await asyncio.to_thread(_tool, "mariadb", "mysql")
        args, defaults = self._tool_args(tool, target, workdir)
        args += ["--default-character-set=utf8mb4", "--", target.database]
        try:
            await feed_tool(args, tool_env(), dump, workdir)
        finally:
            defaults.unlink(missing_ok=True)

    async def prepare_target(self, target: Target, *, replace: bool) -> None:
        name = quote_ident(target.database)

        def work(cursor: Any) -> None:
            exists = "SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s"
            if cursor.execute(exists, (target.database,)):
                if not _holds_data(cursor, target.database):
                    return
                if not replace:
                    raise EngineError("not_empty", f"database '{target.database}' already holds data")
                cursor.execute(f"DROP DATABASE {name}")
            cursor.execute(f"CREATE DATABASE {name} CHARACTER SET utf8mb4")

        await _run(target, None, work)

    async def drop(self, target: Target) -> None:
        statement = f"DROP DATABASE IF EXISTS {quote_ident(target.database)}"
        await _run(target, None, lambda cursor: cursor.execute(statement))

    async def table_counts(self, target: Target) -> dict[str, int]:
        def work(cursor: Any) -> dict[str, int]:
            counts = {}
            for table in _base_tables(cursor, target.database):
                cursor.execute(f"SELECT COUNT(*) FROM {quote_ident(table)}")
                counts[table] = int(cursor.fetchone()[0])
            return counts

        return await _run(target, target.database, work)

    async def mask(self, target: Target, rules: Mapping[str, MaskRule]) -> dict[str, int]:
        if not rules:
            return {}

        def work(cursor: Any) -> dict[str, int]:
            cursor.execute(MASKABLE_COLUMNS, (target.database, [name.lower() for name in rules]))
            masks = plan([Column.from_row(row) for row in cursor.fetchall()], rules, target.database)
            changed = {}
            cursor.connection.begin()  # all columns masked, or none
            try:
                for mask in masks:
                    sql, params = _update(mask)
                    changed[mask.label] = cursor.execute(sql, params)
                cursor.connection.commit()
            except BaseException:
                cursor.connection.rollback()
                raise
            return changed

        return await _run(target, target.database, work)


def _holds_data(cursor: Any, database: str) -> bool:
    cursor.execute(
        """SELECT EXISTS (SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s)
               OR EXISTS (SELECT 1 FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = %s)
               OR EXISTS (SELECT 1 FROM information_schema.EVENTS WHERE EVENT_SCHEMA = %s)""",
        (database, database, database),
    )
    return bool(cursor.fetchone()[0])


def _base_tables(cursor: Any, database: str) -> list[str]:
    cursor.execute(
        """SELECT TABLE_NAME FROM information_schema.TABLES
           WHERE TABLE_SCHEMA = %s AND TABLE_TYPE = 'BASE TABLE' ORDER BY 1""",
        (database,),
    )
    return [row[0] for row in cursor.fetchall()]


def _update(mask: ColumnMask) -> tuple[str, tuple[str, ...]]:
    name = quote_ident(mask.column.name)
    table = quote_ident(mask.column.table)
    strategy = mask.rule.strategy
    if strategy == "fixed":
        return f"UPDATE {table} SET {name} = %s", (str(mask.rule.value),)
    if strategy == "null":
        value = "NULL"
    elif strategy == "hash":
        value = f"LEFT(SHA2(CONVERT({name} USING utf8mb4), 256), {mask.hash_length})"
    else:
        value = _random_value(mask, name)
    return f"UPDATE {table} SET {name} = {value} WHERE {name} IS NOT NULL", ()


def _random_value(mask: ColumnMask, name: str) -> str:
    kind = mask.column.kind
    if kind == "text":  # random hex of the value's length, so it fits the column
        return f"LEFT(REPEAT(MD5(RAND()), CEIL(CHAR_LENGTH({name}) / 32)), CHAR_LENGTH({name}))"
    if kind == "date":
        return "DATE_ADD('1970-01-01', INTERVAL FLOOR(RAND() * 21915) DAY)"
    if kind == "datetime":  # within TIMESTAMP's range (before 2038)
        return "TIMESTAMPADD(SECOND, FLOOR(RAND() * 1500000000), '1971-01-01 00:00:00')"
    if kind == "float":
        return f"RAND() * {mask.random_max}"
    return f"FLOOR(RAND() * ({mask.random_max} + 1))"
