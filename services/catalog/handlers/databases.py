"""The catalog's RPC operations on database configurations. A `policy_id` that is written must
name a policy the retention service has: a dangling one would leave retention guessing."""

from pathlib import Path

import asyncpg
import msgspec
from msgspec import UNSET

from contracts.catalog import Deleted, ServerView
from contracts.databases import (
    CreateDatabase,
    DatabasePage,
    DatabaseView,
    DeleteDatabase,
    GetDatabase,
    ListDatabases,
    UpdateDatabase,
)
from contracts.events import DatabaseCreated, DatabaseDeleted, DatabaseUpdated
from contracts.operations.retention import Retention
from contracts.retention import PolicyRef
from contracts.rpc import Request
from libs.bus import rpc
from libs.bus.broker import Broker
from libs.bus.outbox import Outbox
from libs.db.rows import check_name_free, found, lock_names
from libs.errors import invalid
from services.catalog.domain import databases, servers
from services.catalog.store import databases as store
from services.catalog.store.pages import Executor
from services.catalog.store.rows import DatabaseRow
from services.catalog.store.servers import get_server


async def found_database(db: Executor, database_id: int, *, for_update: bool = False) -> DatabaseRow:
    return found(await store.get_database(db, database_id, for_update=for_update), "database", database_id)


async def _server(conn: asyncpg.Connection, server_id: int | None) -> ServerView | None:
    """The server a configuration names, which must exist (a field error, not a 404)."""
    if server_id is None:
        return None
    row = await get_server(conn, server_id)
    if row is None:
        raise invalid("engine_id", f"server {server_id} does not exist")
    return servers.view(row)


class DatabaseHandlers:
    def __init__(
        self, pool: asyncpg.Pool, outbox: Outbox, broker: Broker, sqlite_roots: tuple[Path, ...]
    ) -> None:
        self.pool = pool
        self.outbox = outbox
        self.broker = broker
        self.sqlite_roots = sqlite_roots

    async def check_policy(self, request: Request, policy_id: int | None) -> None:
        """Asked before the write's transaction: the retention service owns policies."""
        if policy_id is None:
            return
        ref = PolicyRef(actor=request.actor, policy_id=policy_id)
        if not await rpc.exists(self.broker, Retention.get_policy, ref):
            raise invalid("policy_id", f"retention policy {policy_id} does not exist")

    async def create(self, request: CreateDatabase) -> DatabaseView:
        await self.check_policy(request, request.policy_id)
        async with self.pool.acquire() as conn, conn.transaction():
            await lock_names(conn, "databases")
            values = databases.new_database_values(request, await _server(conn, request.engine_id))
            databases.check_confined(values, self.sqlite_roots)
            await check_name_free(conn, "databases", "database", values["name"])
            database = databases.view(await found_database(conn, await store.insert_database(conn, values)))
            created = DatabaseCreated(
                database_id=database.id,
                name=database.name,
                database_type=database.database_type,
                engine_id=database.engine_id,
                host=database.host,
                port=database.port,
                database_name=database.database_name,
                policy_id=database.policy_id,
            )
            await self.outbox.emit(conn, created, cause=request)
        return database

    async def list(self, request: ListDatabases) -> DatabasePage:
        rows, total = await store.list_databases(self.pool, request)
        return DatabasePage(items=[databases.view(r) for r in rows], total=total)

    async def get(self, request: GetDatabase) -> DatabaseView:
        return databases.view(await found_database(self.pool, request.database_id))

    async def update(self, request: UpdateDatabase) -> DatabaseView:
        if request.policy_id is not UNSET:
            await self.check_policy(request, request.policy_id)
        async with self.pool.acquire() as conn, conn.transaction():
            await lock_names(conn, "databases")
            row = await found_database(conn, request.database_id, for_update=True)
            changes = databases.changed_values(request)
            merged = {**msgspec.structs.asdict(row), **changes}
            databases.check(merged, await _server(conn, merged["server_id"]))
            databases.check_confined(merged, self.sqlite_roots)
            if "name" in changes:
                await check_name_free(conn, "databases", "database", changes["name"], row.id)
            if changes:
                await store.update_database(conn, row.id, changes)
            database = databases.view(await found_database(conn, row.id) if changes else row)
            updated = DatabaseUpdated(
                database_id=database.id,
                name=database.name,
                database_type=database.database_type,
                engine_id=database.engine_id,
                changes=sorted(k for k in changes if k != "sealed_password"),
                credentials_changed="sealed_password" in changes,
            )
            await self.outbox.emit(conn, updated, cause=request)
        return database

    async def delete(self, request: DeleteDatabase) -> Deleted:
        async with self.pool.acquire() as conn, conn.transaction():
            row = await found_database(conn, request.database_id, for_update=True)
            await self.delete_record(conn, row, request)
        return Deleted(message=f"Database '{row.name}' deleted")

    async def delete_record(self, conn: asyncpg.Connection, row: DatabaseRow, cause: Request) -> None:
        """Delete one configuration in the caller's transaction (also a server's delete)."""
        await store.delete_database(conn, row.id)
        deleted = DatabaseDeleted(
            database_id=row.id,
            name=row.name,
            database_type=row.database_type,
            engine_id=row.server_id,
            database_name=row.database_name,
        )
        await self.outbox.emit(conn, deleted, cause=cause)
