"""PostgreSQL access: one asyncpg pool per service, confined to that service's schema."""

from libs.db.migrations import Migration, migrate, migrations_in
from libs.db.pool import connect, ensure_database

__all__ = ["Migration", "connect", "ensure_database", "migrate", "migrations_in"]
