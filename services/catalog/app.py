"""Composition root of the catalog: the source of truth for servers, databases, backups and
restores, answering the gateway and the executors over RPC and emitting every change (and every
job) through its outbox."""

from contracts.backups import (
    BackupRef,
    BeginJob,
    CreateBackup,
    CreateRestore,
    DeleteFiles,
    ListBackups,
    ListFiles,
    RestoreRef,
    VerifyBackup,
)
from contracts.catalog import CreateServer, DeleteServer, ListServers, ServerRef, UpdateServer
from contracts.connections import DiscoverServer, ImportDatabases, TestConnection, TestServerConnection
from contracts.databases import CreateDatabase, DatabaseRef, ListDatabases, UpdateDatabase
from contracts.retention import (
    DatabaseHistory,
    ListManagedDatabases,
    MarkRetention,
    PolicyUsers,
    ReassignPolicy,
)
from libs.bus import rpc
from libs.config import ServiceSettings as Settings
from libs.runtime import Runtime
from libs.storage.destinations import Destinations
from services.catalog.backup_handlers import BackupHandlers
from services.catalog.connection_handlers import ConnectionHandlers
from services.catalog.database_handlers import DatabaseHandlers
from services.catalog.file_handlers import FileHandlers
from services.catalog.handlers import ServerHandlers
from services.catalog.job_events import JobEvents
from services.catalog.retention_handlers import RetentionHandlers
from services.catalog.schedule_fires import ScheduleFires

MIGRATIONS = "services.catalog.migrations"
__all__ = ["MIGRATIONS", "Settings", "wire"]


async def wire(runtime: Runtime) -> None:
    broker, pool = runtime.broker, runtime.pool
    destinations = Destinations(runtime.settings)

    default = rpc.DEFAULT_CONCURRENCY

    def serve(operation: str, request_type: type, handler, concurrency: int = default) -> None:  # type: ignore[no-untyped-def]
        rpc.serve(broker, "catalog", operation, request_type, handler, concurrency=concurrency)

    servers = ServerHandlers(pool)
    serve("create_server", CreateServer, servers.create)
    serve("list_servers", ListServers, servers.list)
    serve("get_server", ServerRef, servers.get)
    serve("update_server", UpdateServer, servers.update)
    serve("delete_server", DeleteServer, servers.delete)

    databases = DatabaseHandlers(pool, broker, runtime.settings.sqlite_root_paths)
    serve("create_database", CreateDatabase, databases.create)
    serve("list_databases", ListDatabases, databases.list)
    serve("get_database", DatabaseRef, databases.get)
    serve("update_database", UpdateDatabase, databases.update)
    serve("delete_database", DatabaseRef, databases.delete)

    connections = ConnectionHandlers(pool, broker, databases, runtime.settings.probe_timeout_seconds)
    probes = runtime.settings.probe_concurrency  # each waits on an executor's probe: never in line
    serve("test_connection", TestConnection, connections.test_connection, probes)
    serve("test_server_connection", TestServerConnection, connections.test_server, probes)
    serve("discover_server", DiscoverServer, connections.discover, probes)
    serve("import_databases", ImportDatabases, connections.import_databases, probes)

    backups = BackupHandlers(pool, destinations, runtime.settings.sqlite_root_paths)
    serve("create_backup", CreateBackup, backups.create)
    serve("list_backups", ListBackups, backups.list)
    serve("get_backup", BackupRef, backups.get)
    serve("cancel_backup", BackupRef, backups.cancel)
    serve("delete_backup", BackupRef, backups.delete)
    serve("begin_backup", BeginJob, backups.begin_backup)
    serve("create_restore", CreateRestore, backups.create_restore)
    serve("get_restore", RestoreRef, backups.get_restore)
    serve("begin_restore", BeginJob, backups.begin_restore)
    serve("verify_backup", VerifyBackup, backups.verify)
    serve("begin_verify", BeginJob, backups.begin_verify)

    files = FileHandlers(pool, destinations, backups)
    serve("list_files", ListFiles, files.list)
    serve("delete_files", DeleteFiles, files.delete)

    retention = RetentionHandlers(pool)
    serve("database_history", DatabaseHistory, retention.history)
    serve("mark_retention", MarkRetention, retention.mark)
    serve("managed_databases", ListManagedDatabases, retention.managed)
    serve("policy_users", PolicyUsers, retention.policy_users)
    serve("reassign_policy", ReassignPolicy, retention.reassign_policy)

    JobEvents(pool, destinations).bind(broker)
    ScheduleFires(pool, backups).bind(broker)
