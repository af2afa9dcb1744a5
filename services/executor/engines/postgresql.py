"""PostgreSQL: pg_dump/pg_restore in custom format for the data, asyncpg for everything else.

The newest pg_dump on the machine is used (libs.embedded.tools), since a newer pg_dump dumps older
servers but not the other way round. The password reaches the tools only through a 0600 PGPASSFILE in
the workdir.
"""

import asyncio
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

import asyncpg

from libs.embedded.tools import PgTools, ToolNotFound, pg_tools
from services.executor.engines.base import (
    DiscoveredDatabase,
    EngineError,
    MaskRule,
    Target,
    unreachable,
)
from services.executor.engines.masking import Column, ColumnMask, plan
from services.executor.engines.pg_script import restore_script
from services.executor.engines.process import ToolProcess, feed_tool, secret_file, tool_env

CONNECT_TIMEOUT = 10
DEFAULT_USER = "postgres"
MAINTENANCE_DATABASES = ("postgres", "template1")
TRANSACTION_TIMEOUT_MAJOR = 17  # pg_restore from 17 on sets transaction_timeout, unknown before 17
USER_RELATIONS = """
    SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
      AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'"""
USER_TABLES = USER_RELATIONS + " AND c.relkind = 'r' ORDER BY 1, 2"
MASKABLE_COLUMNS = """
    SELECT col.table_schema, col.table_name, col.column_name, col.data_type, col.is_nullable = 'YES',
           col.character_maximum_length, col.numeric_precision, col.numeric_scale,
           format_type(a.atttypid, a.atttypmod)
    FROM information_schema.columns col
    JOIN pg_class c ON c.oid = format('%I.%I', col.table_schema, col.table_name)::regclass
    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = col.column_name
    WHERE c.relkind = 'r' AND col.table_schema NOT IN ('pg_catalog', 'information_schema')
      AND lower(col.column_name) = ANY($1::text[])"""


async def _pg_tools() -> PgTools:
    try:
        return await asyncio.to_thread(pg_tools)
    except ToolNotFound as exc:
        raise EngineError("tool_failed", str(exc)) from None


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _conninfo_value(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _pgpass_value(value: str) -> str:
    return value.replace("\\", "\\\\").replace(":", "\\:")


def _user(target: Target) -> str:
    return target.username or DEFAULT_USER


async def connect(target: Target, database: str | None = None) -> asyncpg.Connection:
    """Connect to `database` (default: the target's), turning failures into EngineErrors."""
    name = database or target.database
    try:
        return await asyncpg.connect(
            host=target.host, port=target.port, user=_user(target), password=target.password,
            database=name, timeout=CONNECT_TIMEOUT,
        )  # fmt: skip
    except asyncpg.InvalidPasswordError:
        raise EngineError("authentication", f"authentication failed for user '{_user(target)}'") from None
    except asyncpg.InvalidAuthorizationSpecificationError as exc:
        message = f"authentication failed for user '{_user(target)}': {exc}"
        raise EngineError("authentication", message) from None
    except asyncpg.InvalidCatalogNameError:
        raise EngineError("unknown_database", f"database '{name}' does not exist") from None
    except (OSError, TimeoutError) as exc:
        raise unreachable(target.host, target.port, exc) from None
    except asyncpg.PostgresError as exc:
        raise EngineError("unreachable", f"cannot use {target.host}:{target.port}: {exc}") from None


async def _connect_maintenance(target: Target) -> asyncpg.Connection:
    for name in MAINTENANCE_DATABASES:
        try:
            return await connect(target, name)
        except EngineError as exc:
            if exc.cause != "unknown_database" or name == MAINTENANCE_DATABASES[-1]:
                raise
    raise AssertionError("unreachable: the loop returns or raises")


class PostgresEngine:
    name = "postgresql"
    file_format = "pgdump"

    async def test_connection(self, target: Target) -> None:
        conn = await connect(target)
        try:
            await conn.fetchval("SELECT 1")
        finally:
            await conn.close()

    async def discover(self, target: Target) -> list[DiscoveredDatabase]:
        conn = await connect(target, target.database or "postgres")
        try:
            rows = await conn.fetch(
                """SELECT datname, CASE WHEN has_database_privilege(datname, 'CONNECT')
                                    THEN pg_database_size(datname) END
                   FROM pg_database WHERE NOT datistemplate AND datallowconn AND datname <> 'postgres'
                   ORDER BY datname"""
            )
        finally:
            await conn.close()
        return [DiscoveredDatabase(name, size) for name, size in rows]

    async def database_size(self, target: Target) -> int | None:
        conn = await connect(target)
        try:
            size: int | None = await conn.fetchval("SELECT pg_database_size(current_database())")
            return size
        finally:
            await conn.close()

    def _tool_args(self, target: Target, workdir: Path) -> tuple[list[str], dict[str, str], list[Path]]:
        """Connection options and environment; the password goes into a fresh 0600 PGPASSFILE."""
        args = ["-h", target.host or "127.0.0.1", "-p", str(target.port or 5432), "-U", _user(target)]
        args += ["-d", f"dbname={_conninfo_value(target.database)}"]
        extra = {"PGCONNECT_TIMEOUT": str(CONNECT_TIMEOUT)}
        secrets = []
        if target.password is not None:
            passfile = secret_file(workdir, "pgpass-", f"*:*:*:*:{_pgpass_value(target.password)}\n")
            extra["PGPASSFILE"] = str(passfile)
            secrets.append(passfile)
        return args, tool_env(extra), secrets

    async def start_dump(self, target: Target, workdir: Path) -> ToolProcess:
        tools = await _pg_tools()
        connection, env, secrets = self._tool_args(target, workdir)
        # --compress=0: the pipeline compresses, much faster than pg_dump's gzip would
        args = [str(tools.bin_dir / "pg_dump"), "--format=custom", "--compress=0", *connection]
        return ToolProcess(args, env, workdir, tools.version, secret_files=secrets)

    async def restore(self, target: Target, dump: AsyncIterator[bytes], workdir: Path) -> None:
        tools = await _pg_tools()
        conn = await connect(target)
        try:
            server_major = conn.get_server_version().major
        finally:
            await conn.close()
        connection, env, secrets = self._tool_args(target, workdir)
        pg_restore = [str(tools.bin_dir / "pg_restore"), "--format=custom", "--no-owner", "--no-privileges"]
        try:
            if tools.major < TRANSACTION_TIMEOUT_MAJOR or server_major >= TRANSACTION_TIMEOUT_MAJOR:
                await feed_tool([*pg_restore, "--exit-on-error", *connection], env, dump, workdir)
            else:
                script = restore_script([*pg_restore, "--file=-"], env, dump, workdir)
                psql = [str(tools.bin_dir / "psql"), "--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1"]
                await feed_tool([*psql, *connection], env, script, workdir)
        finally:
            for path in secrets:
                path.unlink(missing_ok=True)

    async def prepare_target(self, target: Target, *, replace: bool) -> None:
        conn = await _connect_maintenance(target)
        try:
            name = target.database
            exists = await conn.fetchval("SELECT true FROM pg_database WHERE datname = $1", name)
            if exists and await self._holds_data(target):
                if not replace:
                    raise EngineError("not_empty", f"database '{name}' already holds data")
                await self._drop(conn, name)
                exists = False
            if not exists:
                # template0: objects added to template1 would collide with the restored ones
                await conn.execute(f"CREATE DATABASE {quote_ident(name)} TEMPLATE template0")
        finally:
            await conn.close()

    async def _holds_data(self, target: Target) -> bool:
        conn = await connect(target)
        try:
            return bool(await conn.fetch(USER_RELATIONS + " LIMIT 1"))  # tables, views, sequences...
        finally:
            await conn.close()

    async def _drop(self, conn: asyncpg.Connection, name: str) -> None:
        await conn.execute(
            """SELECT pg_terminate_backend(pid) FROM pg_stat_activity
               WHERE datname = $1 AND pid <> pg_backend_pid()""",
            name,
        )
        await conn.execute(f"DROP DATABASE IF EXISTS {quote_ident(name)}")

    async def drop(self, target: Target) -> None:
        conn = await _connect_maintenance(target)
        try:
            await self._drop(conn, target.database)
        finally:
            await conn.close()

    async def table_counts(self, target: Target) -> dict[str, int]:
        conn = await connect(target)
        try:
            counts = {}
            for schema, table in await conn.fetch(USER_TABLES):
                label = table if schema == "public" else f"{schema}.{table}"
                relation = f"{quote_ident(schema)}.{quote_ident(table)}"
                counts[label] = await conn.fetchval(f"SELECT count(*) FROM ONLY {relation}")
            return counts
        finally:
            await conn.close()

    async def mask(self, target: Target, rules: Mapping[str, MaskRule]) -> dict[str, int]:
        conn = await connect(target)
        try:
            rows = await conn.fetch(MASKABLE_COLUMNS, [name.lower() for name in rules])
            masks = plan([Column.from_row(row) for row in rows], rules, "public")
            changed = {}
            async with conn.transaction():  # all columns masked, or none
                for mask in masks:
                    sql, params = _update(mask)
                    status = await conn.execute(sql, *params)
                    changed[mask.label] = int(status.split()[-1])
            return changed
        finally:
            await conn.close()


def _update(mask: ColumnMask) -> tuple[str, list[str]]:
    """UPDATE ONLY (each inheritance child is masked on its own) with the rule's new value."""
    column = mask.column
    name = quote_ident(column.name)
    table = f"{quote_ident(column.schema)}.{quote_ident(column.table)}"
    strategy = mask.rule.strategy
    if strategy == "fixed":
        return f"UPDATE ONLY {table} SET {name} = CAST($1::text AS {column.sql_type})", [str(mask.rule.value)]
    if strategy == "null":
        value = "NULL"
    elif strategy == "hash":
        value = f"left(encode(sha256(convert_to({name}::text, 'UTF8')), 'hex'), {mask.hash_length})"
    else:
        value = _random_value(mask, name)
    return f"UPDATE ONLY {table} SET {name} = {value} WHERE {name} IS NOT NULL", []


def _random_value(mask: ColumnMask, name: str) -> str:
    kind = mask.column.kind
    if kind == "text":  # random hex of the value's length, so it fits the column
        length = f"char_length({name})"
        return f"left(repeat(md5(random()::text), ceil({length} / 32.0)::int), {length})"
    if kind == "date":
        return "DATE '1970-01-01' + floor(random() * 21915)::int"
    if kind == "datetime":
        return "TIMESTAMP '1970-01-01' + random() * INTERVAL '21915 days'"
    if kind == "float":
        return f"random() * {mask.random_max}"
    return f"floor(random() * ({mask.random_max}::numeric + 1))"
