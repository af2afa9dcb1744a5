"""Composition root of the catalog: the source of truth for servers and databases (and, next,
backups), answering the gateway over RPC and emitting every change through its outbox."""

from contracts.catalog import CreateServer, DeleteServer, ListServers, ServerRef, UpdateServer
from contracts.databases import CreateDatabase, DatabaseRef, ListDatabases, UpdateDatabase
from libs.bus import rpc
from libs.config import ServiceSettings as Settings
from libs.runtime import Runtime
from services.catalog.database_handlers import DatabaseHandlers
from services.catalog.handlers import ServerHandlers

MIGRATIONS = "services.catalog.migrations"
__all__ = ["MIGRATIONS", "Settings", "wire"]


async def wire(runtime: Runtime) -> None:
    broker = runtime.broker
    server_handlers = ServerHandlers(runtime.pool)
    rpc.serve(broker, "catalog", "create_server", CreateServer, server_handlers.create)
    rpc.serve(broker, "catalog", "list_servers", ListServers, server_handlers.list)
    rpc.serve(broker, "catalog", "get_server", ServerRef, server_handlers.get)
    rpc.serve(broker, "catalog", "update_server", UpdateServer, server_handlers.update)
    rpc.serve(broker, "catalog", "delete_server", DeleteServer, server_handlers.delete)
    database_handlers = DatabaseHandlers(runtime.pool)
    rpc.serve(broker, "catalog", "create_database", CreateDatabase, database_handlers.create)
    rpc.serve(broker, "catalog", "list_databases", ListDatabases, database_handlers.list)
    rpc.serve(broker, "catalog", "get_database", DatabaseRef, database_handlers.get)
    rpc.serve(broker, "catalog", "update_database", UpdateDatabase, database_handlers.update)
    rpc.serve(broker, "catalog", "delete_database", DatabaseRef, database_handlers.delete)
