"""What the retention service reads from and writes to the catalog: a database's backup
history, and each backup's tier and retention date. Deletions go through `delete_backup`."""

import asyncpg

from contracts.retention import (
    BackupFact,
    DatabaseHistory,
    History,
    ListManagedDatabases,
    ManagedDatabases,
    Marked,
    MarkRetention,
)
from libs.errors import not_found
from services.catalog import store


class RetentionHandlers:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def history(self, request: DatabaseHistory) -> History:
        database = await store.get_database(self.pool, request.database_id)
        if database is None:
            raise not_found("database", request.database_id)
        rows = await self.pool.fetch(
            """SELECT id, created_at, status, schedule_id,
                      CASE WHEN verification_date IS NULL THEN NULL ELSE verified END AS verified_ok
               FROM backups WHERE database_id = $1 ORDER BY created_at DESC, id DESC""",
            request.database_id,
        )
        return History(
            database_id=database["id"],
            server_id=database["server_id"],
            policy_id=database["policy_id"],
            retention_days=database["retention_days"],
            backups=[
                BackupFact(
                    id=r["id"],
                    created_at=r["created_at"],
                    status=r["status"],
                    verified_ok=r["verified_ok"],
                    schedule_id=r["schedule_id"],
                )
                for r in rows
            ],
        )

    async def mark(self, request: MarkRetention) -> Marked:
        result = await self.pool.execute(
            """UPDATE backups b SET tier = m.tier, retention_until = m.retention_until
               FROM unnest($1::bigint[], $2::text[], $3::timestamptz[]) AS m (id, tier, retention_until)
               WHERE b.id = m.id AND (b.tier IS DISTINCT FROM m.tier
                                      OR b.retention_until IS DISTINCT FROM m.retention_until)""",
            [m.backup_id for m in request.marks],
            [m.tier for m in request.marks],
            [m.retention_until for m in request.marks],
        )
        return Marked(updated=int(result.split()[-1]))

    async def managed(self, _: ListManagedDatabases) -> ManagedDatabases:
        rows = await self.pool.fetch(
            "SELECT DISTINCT database_id FROM backups WHERE database_id IS NOT NULL AND status = 'completed'"
        )
        return ManagedDatabases(database_ids=sorted(r["database_id"] for r in rows))
