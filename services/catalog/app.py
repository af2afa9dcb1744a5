"""Composition root of the catalog: the source of truth for servers (and, next, databases
and backups), answering the gateway over RPC and emitting every change through its outbox."""

from contracts.catalog import CreateServer, ListServers, ServerRef, UpdateServer
from libs.bus import rpc
from libs.config import ServiceSettings as Settings
from libs.runtime import Runtime
from services.catalog.handlers import ServerHandlers

MIGRATIONS = "services.catalog.migrations"
__all__ = ["MIGRATIONS", "Settings", "wire"]


async def wire(runtime: Runtime) -> None:
    handlers = ServerHandlers(runtime.pool)
    broker = runtime.broker
    rpc.serve(broker, "catalog", "create_server", CreateServer, handlers.create)
    rpc.serve(broker, "catalog", "list_servers", ListServers, handlers.list)
    rpc.serve(broker, "catalog", "get_server", ServerRef, handlers.get)
    rpc.serve(broker, "catalog", "update_server", UpdateServer, handlers.update)
    rpc.serve(broker, "catalog", "delete_server", ServerRef, handlers.delete)
