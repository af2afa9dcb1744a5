"""The catalog's RPC operations on servers: thin adapters from requests to the rules and the store."""

import asyncpg

from contracts.catalog import (
    CreateServer,
    Deleted,
    DeleteServer,
    ListServers,
    ServerPage,
    ServerRef,
    ServerView,
    UpdateServer,
)
from contracts.events import ServerCreated, ServerDeleted, ServerUpdated
from libs.bus.outbox import Outbox
from libs.db.rows import check_name_free, found, lock_names
from libs.errors import conflict
from services.catalog.domain import servers
from services.catalog.handlers.databases import DatabaseHandlers
from services.catalog.store import databases as database_store
from services.catalog.store import servers as store
from services.catalog.store.pages import Executor
from services.catalog.store.rows import ServerRow


async def found_server(db: Executor, server_id: int, *, for_update: bool = False) -> ServerRow:
    return found(await store.get_server(db, server_id, for_update=for_update), "server", server_id)


class ServerHandlers:
    def __init__(self, pool: asyncpg.Pool, outbox: Outbox, databases: DatabaseHandlers) -> None:
        self.pool = pool
        self.outbox = outbox
        self.databases = databases

    async def create(self, request: CreateServer) -> ServerView:
        values = servers.new_server_values(request)
        async with self.pool.acquire() as conn, conn.transaction():
            await lock_names(conn, "servers")
            await check_name_free(conn, "servers", "server", values["name"])
            server = servers.view(await found_server(conn, await store.insert_server(conn, values)))
            created = ServerCreated(
                server_id=server.id,
                name=server.name,
                engine_type=server.engine_type,
                host=server.host,
                port=server.port or 0,
                environment=server.environment,
                has_credentials=server.has_password,
            )
            await self.outbox.emit(conn, created, cause=request)
        return server

    async def list(self, request: ListServers) -> ServerPage:
        rows, total = await store.list_servers(self.pool, request)
        return ServerPage(items=[servers.view(r) for r in rows], total=total)

    async def get(self, request: ServerRef) -> ServerView:
        return servers.view(await found_server(self.pool, request.server_id))

    async def update(self, request: UpdateServer) -> ServerView:
        async with self.pool.acquire() as conn, conn.transaction():
            await lock_names(conn, "servers")
            row = await found_server(conn, request.server_id, for_update=True)
            changes = servers.changed_values(request, servers.view(row))
            if "name" in changes:
                await check_name_free(conn, "servers", "server", changes["name"], row.id)
            if changes:
                await store.update_server(conn, row.id, changes)
            server = servers.view(await found_server(conn, row.id) if changes else row)
            updated = ServerUpdated(
                server_id=server.id,
                name=server.name,
                engine_type=server.engine_type,
                updated_fields=sorted(k for k in changes if k != "sealed_credentials"),
                credentials_changed="sealed_credentials" in changes,
            )
            await self.outbox.emit(conn, updated, cause=request)
        return server

    async def delete(self, request: DeleteServer) -> Deleted:
        async with self.pool.acquire() as conn, conn.transaction():
            row = await found_server(conn, request.server_id, for_update=True)
            databases = await database_store.databases_of_server(conn, request.server_id)
            if databases and not request.delete_databases:
                raise conflict(
                    f"server {row.name!r} has {len(databases)} database(s); delete them "
                    "first or pass delete_databases=true",
                    "delete_databases",
                )
            for database in databases:
                await self.databases.delete_record(conn, database, request)
            await store.delete_server(conn, request.server_id)
            deleted = ServerDeleted(
                server_id=row.id, name=row.name, engine_type=row.engine_type, host=row.host
            )
            await self.outbox.emit(conn, deleted, cause=request)
        return Deleted(message=f"Server '{row.name}' deleted", databases_deleted=len(databases))
