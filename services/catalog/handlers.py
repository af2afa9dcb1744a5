"""The catalog's RPC operations: thin adapters from requests to the rules and the store."""

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
from libs.bus.outbox import emit
from libs.errors import conflict, not_found
from services.catalog import servers, store
from services.catalog.database_handlers import delete_database

PRODUCER = "catalog"


class ServerHandlers:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def create(self, request: CreateServer) -> ServerView:
        values = servers.new_server_values(request)
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("LOCK TABLE servers IN SHARE ROW EXCLUSIVE MODE")
            if await store.name_taken(conn, "servers", values["name"]):
                raise conflict(f"a server named {values['name']!r} already exists", "name")
            server = servers.view(await store.insert_server(conn, values))
            await emit(
                conn,
                ServerCreated(
                    server_id=server.id,
                    name=server.name,
                    engine_type=server.engine_type,
                    host=server.host,
                    port=server.port or 0,
                    environment=server.environment,
                    has_credentials=server.has_password,
                    producer=PRODUCER,
                    actor=request.actor,
                    correlation_id=request.correlation_id,
                ),
            )
        return server

    async def list(self, request: ListServers) -> ServerPage:
        rows, total = await store.list_servers(self.pool, request)
        return ServerPage(items=[servers.view(r) for r in rows], total=total)

    async def get(self, request: ServerRef) -> ServerView:
        row = await store.get_server(self.pool, request.server_id)
        if row is None:
            raise not_found("server", request.server_id)
        return servers.view(row)

    async def update(self, request: UpdateServer) -> ServerView:
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("LOCK TABLE servers IN SHARE ROW EXCLUSIVE MODE")
            row = await store.get_server(conn, request.server_id, for_update=True)
            if row is None:
                raise not_found("server", request.server_id)
            changes = servers.changed_values(request, servers.view(row))
            if "name" in changes and await store.name_taken(
                conn, "servers", changes["name"], request.server_id
            ):
                raise conflict(f"a server named {changes['name']!r} already exists", "name")
            server = servers.view(
                await store.update_server(conn, request.server_id, changes) if changes else row
            )
            await emit(
                conn,
                ServerUpdated(
                    server_id=server.id,
                    name=server.name,
                    engine_type=server.engine_type,
                    updated_fields=sorted(k for k in changes if k != "sealed_credentials"),
                    credentials_changed="sealed_credentials" in changes,
                    producer=PRODUCER,
                    actor=request.actor,
                    correlation_id=request.correlation_id,
                ),
            )
        return server

    async def delete(self, request: DeleteServer) -> Deleted:
        async with self.pool.acquire() as conn, conn.transaction():
            row = await store.get_server(conn, request.server_id, for_update=True)
            if row is None:
                raise not_found("server", request.server_id)
            databases = await store.databases_of_server(conn, request.server_id)
            if databases and not request.delete_databases:
                raise conflict(
                    f"server {row['name']!r} has {len(databases)} database(s); delete them "
                    "first or pass delete_databases=true",
                    "delete_databases",
                )
            for database in databases:
                await delete_database(conn, database, request)
            await store.delete_server(conn, request.server_id)
            await emit(
                conn,
                ServerDeleted(
                    server_id=row["id"],
                    name=row["name"],
                    engine_type=row["engine_type"],
                    host=row["host"],
                    producer=PRODUCER,
                    actor=request.actor,
                    correlation_id=request.correlation_id,
                ),
            )
        return Deleted(message=f"Server '{row['name']}' deleted", databases_deleted=len(databases))
