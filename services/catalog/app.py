"""Composition root of the catalog: the source of truth for servers, databases, backups and
restores, answering the gateway and the executors over RPC and emitting every change (and every
job) through its outbox."""

from contracts.operations.catalog import Catalog
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

    servers = ServerHandlers(pool)
    rpc.serve(broker, Catalog.create_server, servers.create)
    rpc.serve(broker, Catalog.list_servers, servers.list)
    rpc.serve(broker, Catalog.get_server, servers.get)
    rpc.serve(broker, Catalog.update_server, servers.update)
    rpc.serve(broker, Catalog.delete_server, servers.delete)

    databases = DatabaseHandlers(pool, broker, runtime.settings.sqlite_root_paths)
    rpc.serve(broker, Catalog.create_database, databases.create)
    rpc.serve(broker, Catalog.list_databases, databases.list)
    rpc.serve(broker, Catalog.get_database, databases.get)
    rpc.serve(broker, Catalog.update_database, databases.update)
    rpc.serve(broker, Catalog.delete_database, databases.delete)

    connections = ConnectionHandlers(pool, broker, databases, runtime.settings.probe_timeout_seconds)
    probes = runtime.settings.probe_concurrency  # each waits on an executor's probe: never in line
    rpc.serve(broker, Catalog.test_connection, connections.test_connection, concurrency=probes)
    rpc.serve(broker, Catalog.test_server_connection, connections.test_server, concurrency=probes)
    rpc.serve(broker, Catalog.discover_server, connections.discover, concurrency=probes)
    rpc.serve(broker, Catalog.import_databases, connections.import_databases, concurrency=probes)

    backups = BackupHandlers(pool, destinations, runtime.settings.sqlite_root_paths)
    rpc.serve(broker, Catalog.create_backup, backups.create)
    rpc.serve(broker, Catalog.list_backups, backups.list)
    rpc.serve(broker, Catalog.get_backup, backups.get)
    rpc.serve(broker, Catalog.cancel_backup, backups.cancel)
    rpc.serve(broker, Catalog.delete_backup, backups.delete)
    rpc.serve(broker, Catalog.begin_backup, backups.begin_backup)
    rpc.serve(broker, Catalog.create_restore, backups.create_restore)
    rpc.serve(broker, Catalog.get_restore, backups.get_restore)
    rpc.serve(broker, Catalog.begin_restore, backups.begin_restore)
    rpc.serve(broker, Catalog.verify_backup, backups.verify)
    rpc.serve(broker, Catalog.begin_verify, backups.begin_verify)

    files = FileHandlers(pool, destinations, backups)
    rpc.serve(broker, Catalog.list_files, files.list)
    rpc.serve(broker, Catalog.delete_files, files.delete)

    retention = RetentionHandlers(pool)
    rpc.serve(broker, Catalog.database_history, retention.history)
    rpc.serve(broker, Catalog.mark_retention, retention.mark)
    rpc.serve(broker, Catalog.managed_databases, retention.managed)
    rpc.serve(broker, Catalog.policy_users, retention.policy_users)
    rpc.serve(broker, Catalog.reassign_policy, retention.reassign_policy)

    JobEvents(pool, destinations).bind(broker)
    ScheduleFires(pool, backups).bind(broker)
