"""Generic single-row SQL: a dict of column values in, the row id out; a typed row read;
and the unique-name check every named table (servers, databases, policies, schedules) makes."""

from typing import Any, TypeAlias, TypeVar

import asyncpg
import msgspec

from libs.errors import conflict, not_found

Executor: TypeAlias = asyncpg.Pool | asyncpg.Connection
Row = TypeVar("Row", bound=msgspec.Struct)
T = TypeVar("T")


async def insert_row(conn: asyncpg.Connection, table: str, values: dict[str, Any]) -> int:
    columns = ", ".join(values)
    params = ", ".join(f"${i}" for i in range(1, len(values) + 1))
    return int(
        await conn.fetchval(
            f"INSERT INTO {table} ({columns}) VALUES ({params}) RETURNING id", *values.values()
        )
    )


async def update_row(conn: asyncpg.Connection, table: str, row_id: int, values: dict[str, Any]) -> None:
    sets = ", ".join(f"{column} = ${i}" for i, column in enumerate(values, start=2))
    await conn.execute(
        f"UPDATE {table} SET {sets}, updated_at = now() WHERE id = $1", row_id, *values.values()
    )


async def delete_row(conn: asyncpg.Connection, table: str, row_id: int) -> None:
    await conn.execute(f"DELETE FROM {table} WHERE id = $1", row_id)


async def lock_row(db: Executor, table: str, row_id: int) -> None:
    """Row `row_id` of `table` locked until commit (a read that joins other tables locks only it)."""
    await db.execute(f"SELECT 1 FROM {table} WHERE id = $1 FOR UPDATE", row_id)


async def fetch_row(db: Executor, row: type[Row], query: str, *args: Any) -> Row | None:
    """The first record of `query` as a `row`, built by column name (one column per field)."""
    record = await db.fetchrow(query, *args)
    return row(**record) if record else None


def found(row: T | None, resource: str, resource_id: object) -> T:
    """`row`, or the resource's 404 (`not_found`) when there is none."""
    if row is None:
        raise not_found(resource, resource_id)
    return row


async def lock_names(conn: asyncpg.Connection, table: str) -> None:
    """Held until commit: no other writer can take a name between the check and the write."""
    await conn.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")


async def name_taken(db: Executor, table: str, name: str, other_than: int | None = None) -> bool:
    """Whether a row of `table` other than `other_than` has `name`, case-insensitively."""
    return bool(
        await db.fetchval(
            f"SELECT 1 FROM {table} WHERE lower(name) = lower($1) AND id IS DISTINCT FROM $2",
            name,
            other_than,
        )
    )


async def check_name_free(
    db: Executor, table: str, what: str, name: str, other_than: int | None = None
) -> None:
    """409 on `name` when another `what` (a row of `table`) already has the name."""
    if await name_taken(db, table, name, other_than):
        raise conflict(f"a {what} named {name!r} already exists", "name")
