"""What the retention service reads from and writes to the catalog: a database's backup
history, each backup's tier and retention date, and which databases name a policy (moved to
another when the policy is deleted with reassignment). Deletions go through `delete_backup`."""

import asyncpg

from contracts.events import DatabaseUpdated
from contracts.retention import (
    DatabaseHistory,
    History,
    ListManagedDatabases,
    ManagedDatabases,
    Marked,
    MarkRetention,
    PolicyDatabases,
    PolicyUsage,
    PolicyUser,
    ReassignDatabases,
    Reassigned,
)
from libs.bus.outbox import Outbox
from services.catalog.handlers.databases import found_database
from services.catalog.store import backups as backup_store
from services.catalog.store import databases as database_store


class RetentionHandlers:
    def __init__(self, pool: asyncpg.Pool, outbox: Outbox) -> None:
        self.pool = pool
        self.outbox = outbox

    async def history(self, request: DatabaseHistory) -> History:
        database = await found_database(self.pool, request.database_id)
        return History(
            database_id=database.id,
            server_id=database.server_id,
            policy_id=database.policy_id,
            retention_days=database.retention_days,
            backups=await backup_store.history(self.pool, request.database_id),
        )

    async def mark(self, request: MarkRetention) -> Marked:
        return Marked(updated=await backup_store.mark_retention(self.pool, request.marks))

    async def managed(self, _: ListManagedDatabases) -> ManagedDatabases:
        return ManagedDatabases(database_ids=await backup_store.managed_database_ids(self.pool))

    async def policy_users(self, request: PolicyDatabases) -> PolicyUsage:
        return PolicyUsage(items=await database_store.policy_users(self.pool, request.policy_id))

    async def reassign_policy(self, request: ReassignDatabases) -> Reassigned:
        """One transaction: every database naming the policy moves, each move is an event."""
        async with self.pool.acquire() as conn, conn.transaction():
            moved = await database_store.move_to_policy(conn, request.policy_id, request.to_policy_id)
            events = [
                DatabaseUpdated(
                    database_id=d.id,
                    name=d.name,
                    database_type=d.database_type,
                    engine_id=d.server_id,
                    changes=["policy_id"],
                )
                for d in moved
            ]
            await self.outbox.emit_many(conn, events, cause=request)
        return Reassigned(items=[PolicyUser(id=d.id, name=d.name) for d in moved])
