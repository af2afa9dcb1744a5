"""Generic single-row writes: a dict of column values in, the row id out."""

from typing import Any

import asyncpg


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
