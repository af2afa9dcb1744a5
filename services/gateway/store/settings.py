"""The one row of application settings."""

from datetime import datetime
from typing import Any, TypeAlias

import asyncpg
import msgspec

Executor: TypeAlias = asyncpg.Pool | asyncpg.Connection

COLUMNS = """dark_mode, default_retention_days, default_compression, access_requests_enabled,
             updated_at"""


class AppSettings(msgspec.Struct, frozen=True, kw_only=True):
    dark_mode: bool
    default_retention_days: int
    default_compression: bool
    access_requests_enabled: bool
    updated_at: datetime


async def get(db: Executor, *, for_update: bool = False) -> AppSettings:
    lock = " FOR UPDATE" if for_update else ""
    return AppSettings(**dict(await db.fetchrow(f"SELECT {COLUMNS} FROM settings{lock}")))


async def update(conn: asyncpg.Connection, values: dict[str, Any]) -> AppSettings:
    """Set `values` (column name → value, names chosen by the caller, never by a client)."""
    sets = ", ".join(f"{column} = ${i}" for i, column in enumerate(values, start=1))
    row = await conn.fetchrow(
        f"UPDATE settings SET {sets}, updated_at = now() RETURNING {COLUMNS}", *values.values()
    )
    return AppSettings(**dict(row))
