"""Versioned, idempotent schema migrations. Each service migrates only its own schema.

A service's migrations are numbered SQL files in its `migrations/` package folder
(`001_servers.sql`). The bus tables every service needs (outbox, processed events) are a
component of their own, applied first. Concurrent starts serialise on an advisory lock.
"""

from dataclasses import dataclass
from importlib import resources

import asyncpg

BUS_MIGRATIONS_PACKAGE = "libs.bus.migrations"


@dataclass(frozen=True)
class Migration:
    component: str
    version: int
    name: str
    sql: str


def migrations_in(package: str, component: str) -> list[Migration]:
    found = []
    for entry in resources.files(package).iterdir():
        if entry.name.endswith(".sql"):
            number, _, rest = entry.name.partition("_")
            found.append(Migration(component, int(number), rest.removesuffix(".sql"), entry.read_text()))
    return sorted(found, key=lambda m: m.version)


async def migrate(url: str, schema: str, package: str | None) -> list[str]:
    """Apply the bus migrations and those in `package` to `schema`; return the names applied."""
    plan = migrations_in(BUS_MIGRATIONS_PACKAGE, "bus")
    if package:
        plan += migrations_in(package, "service")
    conn = await asyncpg.connect(url)
    applied: list[str] = []
    try:
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"lifeboat-migrate-{schema}")
            await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            await conn.execute(f'SET LOCAL search_path TO "{schema}"')
            await conn.execute(
                """CREATE TABLE IF NOT EXISTS schema_migrations (
                       component text NOT NULL,
                       version integer NOT NULL,
                       name text NOT NULL,
                       applied_at timestamptz NOT NULL DEFAULT now(),
                       PRIMARY KEY (component, version))"""
            )
            done = {
                (r["component"], r["version"])
                for r in await conn.fetch("SELECT component, version FROM schema_migrations")
            }
            for migration in plan:
                if (migration.component, migration.version) in done:
                    continue
                await conn.execute(migration.sql)
                await conn.execute(
                    "INSERT INTO schema_migrations (component, version, name) VALUES ($1, $2, $3)",
                    migration.component,
                    migration.version,
                    migration.name,
                )
                applied.append(f"{schema}:{migration.component}/{migration.version:03d}_{migration.name}")
    finally:
        await conn.close()
    return applied
