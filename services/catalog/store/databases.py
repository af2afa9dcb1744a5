"""SQL over the databases table (each row with its server's name)."""

from typing import Any

import asyncpg

from contracts.databases import ListDatabases
from contracts.retention import PolicyUser
from libs.db.rows import delete_row, fetch_row, insert_row, lock_row, update_row
from services.catalog.store.pages import Executor, page, where
from services.catalog.store.rows import DatabaseRow, columns

DATABASE_COLUMNS = columns(DatabaseRow, "d", engine_name="s.name")
DATABASES = f"SELECT {DATABASE_COLUMNS} FROM databases d LEFT JOIN servers s ON s.id = d.server_id"


async def get_database(db: Executor, database_id: int, *, for_update: bool = False) -> DatabaseRow | None:
    if for_update:
        await lock_row(db, "databases", database_id)
    return await fetch_row(db, DatabaseRow, f"{DATABASES} WHERE d.id = $1", database_id)


async def configured_database(db: Executor, server_id: int, database_name: str) -> DatabaseRow | None:
    """The first configuration of database `database_name` on server `server_id`, if any."""
    return await fetch_row(
        db,
        DatabaseRow,
        f"{DATABASES} WHERE d.server_id = $1 AND d.database_name = $2 ORDER BY d.id LIMIT 1",
        server_id,
        database_name,
    )


async def insert_database(conn: asyncpg.Connection, values: dict[str, Any]) -> int:
    return await insert_row(conn, "databases", values)


async def update_database(conn: asyncpg.Connection, database_id: int, values: dict[str, Any]) -> None:
    await update_row(conn, "databases", database_id, values)


async def databases_of_server(conn: asyncpg.Connection, server_id: int) -> list[DatabaseRow]:
    """Locked, for a server's delete."""
    records = await conn.fetch(f"{DATABASES} WHERE d.server_id = $1 ORDER BY d.id FOR UPDATE OF d", server_id)
    return [DatabaseRow(*r) for r in records]


async def database_names_on(db: Executor, server_id: int) -> set[str]:
    records = await db.fetch("SELECT database_name FROM databases WHERE server_id = $1", server_id)
    return {r[0] for r in records}


async def enabled_database_ids(db: Executor, server_id: int) -> list[int]:
    records = await db.fetch(
        "SELECT id FROM databases WHERE server_id = $1 AND enabled ORDER BY id", server_id
    )
    return [r[0] for r in records]


async def delete_database(conn: asyncpg.Connection, database_id: int) -> None:
    await delete_row(conn, "databases", database_id)


async def list_databases(db: Executor, query: ListDatabases) -> tuple[list[DatabaseRow], int]:
    condition, params = where(
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
    return await page(db, DatabaseRow, DATABASES, condition, params, "id", query.limit, query.offset)


async def policy_users(db: Executor, policy_id: int) -> list[PolicyUser]:
    records = await db.fetch("SELECT id, name FROM databases WHERE policy_id = $1 ORDER BY id", policy_id)
    return [PolicyUser(id=r[0], name=r[1]) for r in records]


async def move_to_policy(conn: asyncpg.Connection, policy_id: int, to_policy_id: int) -> list[DatabaseRow]:
    """Every database naming policy `policy_id` names `to_policy_id` instead; the moved rows."""
    records = await conn.fetch(
        f"""WITH d AS (UPDATE databases SET policy_id = $2, updated_at = now() WHERE policy_id = $1
                       RETURNING *)
            SELECT {DATABASE_COLUMNS} FROM d LEFT JOIN servers s ON s.id = d.server_id ORDER BY d.id""",
        policy_id,
        to_policy_id,
    )
    return [DatabaseRow(*r) for r in records]
