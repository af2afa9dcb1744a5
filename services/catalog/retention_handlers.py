"""What the retention service reads from and writes to the catalog: a database's backup
history, each backup's tier and retention date, and which databases name a policy (moved to
another when the policy is deleted with reassignment). Deletions go through `delete_backup`."""

import asyncpg

from contracts.events import DatabaseUpdated
from contracts.retention import (
    BackupFact,
    DatabaseHistory,
    History,
    ListManagedDatabases,
    ManagedDatabases,
    Marked,
    MarkRetention,
    PolicyUsage,
    PolicyUser,
    PolicyUsers,
    Reassigned,
    ReassignPolicy,
)
from libs.bus.outbox import emit_many
from libs.errors import not_found
from services.catalog import store

PRODUCER = "catalog"


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

    async def policy_users(self, request: PolicyUsers) -> PolicyUsage:
        rows = await self.pool.fetch(
            "SELECT id, name FROM databases WHERE policy_id = $1 ORDER BY id", request.policy_id
        )
        return PolicyUsage(items=[PolicyUser(id=r["id"], name=r["name"]) for r in rows])

    async def reassign_policy(self, request: ReassignPolicy) -> Reassigned:
        """One transaction: every database naming the policy moves, each move is an event."""
        async with self.pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                """UPDATE databases SET policy_id = $2, updated_at = now() WHERE policy_id = $1
                   RETURNING id, name, database_type, server_id""",
                request.policy_id,
                request.to_policy_id,
            )
            moved = sorted(rows, key=lambda r: r["id"])
            await emit_many(
                conn,
                [
                    DatabaseUpdated(
                        database_id=r["id"],
                        name=r["name"],
                        database_type=r["database_type"],
                        engine_id=r["server_id"],
                        changes=["policy_id"],
                        producer=PRODUCER,
                        actor=request.actor,
                        correlation_id=request.correlation_id,
                    )
                    for r in moved
                ],
            )
        return Reassigned(items=[PolicyUser(id=r["id"], name=r["name"]) for r in moved])
