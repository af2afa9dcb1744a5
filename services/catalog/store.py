"""SQL over the catalog schema."""

from typing import Any

import asyncpg

from contracts.catalog import ListServers

Executor = asyncpg.Pool | asyncpg.Connection


async def insert_server(conn: asyncpg.Connection, values: dict[str, Any]) -> dict[str, Any]:
    columns = ", ".join(values)
    params = ", ".join(f"${i}" for i in range(1, len(values) + 1))
    row = await conn.fetchrow(
        f"INSERT INTO servers ({columns}) VALUES ({params}) RETURNING *", *values.values()
    )
    return dict(row)


async def update_server(conn: asyncpg.Connection, server_id: int, values: dict[str, Any]) -> dict[str, Any]:
    sets = ", ".join(f"{column} = ${i}" for i, column in enumerate(values, start=2))
    row = await conn.fetchrow(
        f"UPDATE servers SET {sets}, updated_at = now() WHERE id = $1 RETURNING *",
        server_id,
        *values.values(),
    )
    return dict(row)


async def get_server(db: Executor, server_id: int, *, for_update: bool = False) -> dict[str, Any] | None:
    lock = " FOR UPDATE" if for_update else ""
    row = await db.fetchrow(f"SELECT * FROM servers WHERE id = $1{lock}", server_id)
    return dict(row) if row else None


async def name_taken(db: Executor, name: str, other_than: int | None = None) -> bool:
    return bool(
        await db.fetchval(
            "SELECT 1 FROM servers WHERE lower(name) = lower($1) AND id IS DISTINCT FROM $2", name, other_than
        )
    )


async def delete_server(conn: asyncpg.Connection, server_id: int) -> None:
    await conn.execute("DELETE FROM servers WHERE id = $1", server_id)


async def list_servers(db: Executor, query: ListServers) -> tuple[list[dict[str, Any]], int]:
    conditions, params = [], []
    for column in ("engine_type", "type", "environment", "health_status"):
        value = getattr(query, column)
        if value is not None:
            params.append(value)
            conditions.append(f"{column} = ${len(params)}")
    if query.search:
        params.append(f"%{query.search}%")
        conditions.append(f"(name ILIKE ${len(params)} OR host ILIKE ${len(params)})")
    where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
    total = await db.fetchval(f"SELECT count(*) FROM servers {where}", *params)
    rows = await db.fetch(
        f"SELECT * FROM servers {where} ORDER BY id LIMIT ${len(params) + 1} OFFSET ${len(params) + 2}",
        *params,
        query.limit,
        query.offset,
    )
    return [dict(r) for r in rows], int(total)
