"""SQL over the servers table."""

from datetime import datetime
from typing import Any

import asyncpg

from contracts.catalog import ListServers
from libs.db.rows import delete_row, fetch_row, insert_row, lock_row, update_row
from services.catalog.store.pages import Executor, page, where
from services.catalog.store.rows import ServerRow, columns

SERVER_COLUMNS = columns(
    ServerRow, "s", database_count="(SELECT count(*) FROM databases d WHERE d.server_id = s.id)"
)
SERVERS = f"SELECT {SERVER_COLUMNS} FROM servers s"


async def get_server(db: Executor, server_id: int, *, for_update: bool = False) -> ServerRow | None:
    if for_update:
        await lock_row(db, "servers", server_id)
    return await fetch_row(db, ServerRow, f"{SERVERS} WHERE s.id = $1", server_id)


async def insert_server(conn: asyncpg.Connection, values: dict[str, Any]) -> int:
    return await insert_row(conn, "servers", values)


async def update_server(conn: asyncpg.Connection, server_id: int, values: dict[str, Any]) -> None:
    await update_row(conn, "servers", server_id, values)


async def record_health(db: Executor, server_id: int, health_status: str, at: datetime) -> None:
    await db.execute(
        "UPDATE servers SET health_status = $2, last_heartbeat = $3 WHERE id = $1",
        server_id,
        health_status,
        at,
    )


async def delete_server(conn: asyncpg.Connection, server_id: int) -> None:
    await delete_row(conn, "servers", server_id)


async def list_servers(db: Executor, query: ListServers) -> tuple[list[ServerRow], int]:
    condition, params = where(
        [
            ("engine_type = {}", query.engine_type),
            ("type = {}", query.type),
            ("environment = {}", query.environment),
            ("health_status = {}", query.health_status),
            ("(name ILIKE {0} OR host ILIKE {0})", f"%{query.search}%" if query.search else None),
        ]
    )
    return await page(db, ServerRow, SERVERS, condition, params, "id", query.limit, query.offset)
