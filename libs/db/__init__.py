"""PostgreSQL access: one asyncpg pool per service, confined to that service's schema."""

from libs.db.migrations import Migration, migrate, migrations_in
from libs.db.pool import DATABASE_UNAVAILABLE, connect, ensure_database

__all__ = ["DATABASE_UNAVAILABLE", "Migration", "connect", "ensure_database", "migrate", "migrations_in"]
