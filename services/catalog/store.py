"""SQL over the catalog schema."""

from typing import Any

import asyncpg

from contracts.catalog import ListServers
from contracts.databases import ListDatabases
from libs.db.rows import insert_row, update_row

Executor = asyncpg.Pool | asyncpg.Connection
SERVERS = (
    "SELECT s.*, (SELECT count(*) FROM databases d WHERE d.server_id = s.id) AS database_count FROM servers s"
)
DATABASES = "SELECT d.*, s.name AS engine_name FROM databases d LEFT JOIN servers s ON s.id = d.server_id"
TOTAL = "page_total__"
__all__ = ["insert_row", "update_row"]


def _where(filters: list[tuple[str, Any]]) -> tuple[str, list[Any]]:
    """`column-expression = $n` for each filter whose value is given; `{}` marks where $n goes."""
    conditions, params = [], []
    for expression, value in filters:
        if value is not None:
            params.append(value)
            conditions.append(expression.format(f"${len(params)}"))
    return (f"WHERE {' AND '.join(conditions)}" if conditions else ""), params


async def _page(
    db: Executor, select: str, where: str, params: list[Any], order: str, limit: int, offset: int
) -> tuple[list[asyncpg.Record], int]:
    """One page and the number of rows matching, in one query (the total rides on every row);
    a page past the end has no row to carry it, so only then is it counted apart. The rows are
    asyncpg's records, read by name like dicts (views take a `Mapping`): a list page is
    turned into views at once, and copying each row into a dict first cost more than the view."""
    rows = await db.fetch(
        f"SELECT *, count(*) OVER () AS {TOTAL} FROM ({select}) q {where} ORDER BY {order} "
        f"LIMIT ${len(params) + 1} OFFSET ${len(params) + 2}",
        *params,
        limit,
        offset,
    )
    if not rows:
        counted = await db.fetchval(f"SELECT count(*) FROM ({select}) q {where}", *params) if offset else 0
        return [], int(counted)
    return rows, int(rows[0][TOTAL])


async def insert_server(conn: asyncpg.Connection, values: dict[str, Any]) -> dict[str, Any]:
    server = await get_server(conn, await insert_row(conn, "servers", values))
    assert server is not None
    return server


async def update_server(conn: asyncpg.Connection, server_id: int, values: dict[str, Any]) -> dict[str, Any]:
    await update_row(conn, "servers", server_id, values)
    server = await get_server(conn, server_id)
    assert server is not None
    return server


async def get_server(db: Executor, server_id: int, *, for_update: bool = False) -> dict[str, Any] | None:
    if for_update:
        await db.execute("SELECT 1 FROM servers WHERE id = $1 FOR UPDATE", server_id)
    row = await db.fetchrow(f"{SERVERS} WHERE s.id = $1", server_id)
    return dict(row) if row else None


async def name_taken(db: Executor, table: str, name: str, other_than: int | None = None) -> bool:
    return bool(
        await db.fetchval(
            f"SELECT 1 FROM {table} WHERE lower(name) = lower($1) AND id IS DISTINCT FROM $2",
            name,
            other_than,
        )
    )


async def delete_server(conn: asyncpg.Connection, server_id: int) -> None:
    await conn.execute("DELETE FROM servers WHERE id = $1", server_id)


async def list_servers(db: Executor, query: ListServers) -> tuple[list[asyncpg.Record], int]:
    where, params = _where(
        [
            ("engine_type = {}", query.engine_type),
            ("type = {}", query.type),
            ("environment = {}", query.environment),
            ("health_status = {}", query.health_status),
            ("(name ILIKE {0} OR host ILIKE {0})", f"%{query.search}%" if query.search else None),
        ]
    )
    return await _page(db, SERVERS, where, params, "id", query.limit, query.offset)


async def insert_database(conn: asyncpg.Connection, values: dict[str, Any]) -> dict[str, Any]:
    database = await get_database(conn, await insert_row(conn, "databases", values))
    assert database is not None
    return database


async def update_database(
    conn: asyncpg.Connection, database_id: int, values: dict[str, Any]
) -> dict[str, Any]:
    await update_row(conn, "databases", database_id, values)
    database = await get_database(conn, database_id)
    assert database is not None
    return database


async def get_database(db: Executor, database_id: int, *, for_update: bool = False) -> dict[str, Any] | None:
    if for_update:
        await db.execute("SELECT 1 FROM databases WHERE id = $1 FOR UPDATE", database_id)
    row = await db.fetchrow(f"{DATABASES} WHERE d.id = $1", database_id)
    return dict(row) if row else None


async def databases_of_server(conn: asyncpg.Connection, server_id: int) -> list[dict[str, Any]]:
    rows = await conn.fetch(f"{DATABASES} WHERE d.server_id = $1 ORDER BY d.id FOR UPDATE OF d", server_id)
    return [dict(r) for r in rows]


async def delete_database(conn: asyncpg.Connection, database_id: int) -> None:
    await conn.execute("DELETE FROM databases WHERE id = $1", database_id)


async def list_databases(db: Executor, query: ListDatabases) -> tuple[list[asyncpg.Record], int]:
    where, params = _where(
        [
            ("enabled = {}", True if query.enabled_only else None),
            ("database_type = {}", query.database_type),
            ("host = {}", query.host),
            ("policy_id = {}", query.policy_id),
            ("server_id = {}", query.engine_id),
            (
                "(name ILIKE {0} OR host ILIKE {0} OR database_name ILIKE {0})",
                f"%{query.search}%" if query.search else None,
            ),
        ]
    )
    return await _page(db, DATABASES, where, params, "id", query.limit, query.offset)
