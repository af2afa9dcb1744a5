"""Composition root of the catalog: the source of truth for servers, databases, backups and
restores, answering the gateway and the executors over RPC and emitting every change (and every
job) through its outbox."""

from contracts import subjects
from contracts.events import ScheduleFired
from contracts.operations.catalog import Catalog
from libs.bus import rpc
from libs.bus.consumer import consume
from libs.bus.streams import EVENTS
from libs.crypto import load_keyring
from libs.runtime import Runtime
from libs.storage.destinations import Destinations
from libs.storage.links import DownloadSigner
from services.catalog.consumers.job_events import JobEvents
from services.catalog.consumers.schedule_fires import ScheduleFires
from services.catalog.handlers.backups import BackupHandlers
from services.catalog.handlers.connections import ConnectionHandlers
from services.catalog.handlers.databases import DatabaseHandlers
from services.catalog.handlers.downloads import DownloadHandlers
from services.catalog.handlers.files import FileHandlers
from services.catalog.handlers.restores import RestoreHandlers
from services.catalog.handlers.retention import RetentionHandlers
from services.catalog.handlers.servers import ServerHandlers
from services.catalog.handlers.verification import VerificationHandlers
from services.catalog.settings import Settings

MIGRATIONS = "services.catalog.migrations"
JOB_EVENTS = subjects.event("backup", "*")  # what executors report (and the catalog's own, skipped)
FIRES = ScheduleFired.subject()
__all__ = ["MIGRATIONS", "Settings", "wire"]


async def wire(runtime: Runtime) -> None:
    broker, pool, outbox, settings = runtime.broker, runtime.pool, runtime.outbox, runtime.settings
    signer = DownloadSigner(load_keyring(settings.master_key_path))  # links to local files
    destinations = Destinations(settings, signer.sign)

    databases = DatabaseHandlers(pool, outbox, broker, settings.sqlite_root_paths)
    rpc.serve(broker, Catalog.create_database, databases.create)
    rpc.serve(broker, Catalog.list_databases, databases.list)
    rpc.serve(broker, Catalog.get_database, databases.get)
    rpc.serve(broker, Catalog.update_database, databases.update)
    rpc.serve(broker, Catalog.delete_database, databases.delete)

    servers = ServerHandlers(pool, outbox, databases)
    rpc.serve(broker, Catalog.create_server, servers.create)
    rpc.serve(broker, Catalog.list_servers, servers.list)
    rpc.serve(broker, Catalog.get_server, servers.get)
    rpc.serve(broker, Catalog.update_server, servers.update)
    rpc.serve(broker, Catalog.delete_server, servers.delete)

    connections = ConnectionHandlers(pool, broker, databases, settings.probe_timeout_seconds)
    probes = settings.probe_concurrency  # each waits on an executor's probe: never in line
    rpc.serve(broker, Catalog.test_connection, connections.test_connection, concurrency=probes)
    rpc.serve(broker, Catalog.test_server_connection, connections.test_server, concurrency=probes)
    rpc.serve(broker, Catalog.discover_server, connections.discover, concurrency=probes)
    rpc.serve(broker, Catalog.import_databases, connections.import_databases, concurrency=probes)

    backups = BackupHandlers(pool, outbox, destinations)
    rpc.serve(broker, Catalog.create_backup, backups.create)
    rpc.serve(broker, Catalog.list_backups, backups.list)
    rpc.serve(broker, Catalog.get_backup, backups.get)
    rpc.serve(broker, Catalog.cancel_backup, backups.cancel)
    rpc.serve(broker, Catalog.delete_backup, backups.delete)
    rpc.serve(broker, Catalog.begin_backup, backups.begin_backup)

    restores = RestoreHandlers(pool, outbox, settings.sqlite_root_paths)
    rpc.serve(broker, Catalog.create_restore, restores.create)
    rpc.serve(broker, Catalog.get_restore, restores.get)
    rpc.serve(broker, Catalog.begin_restore, restores.begin)

    verification = VerificationHandlers(pool, outbox)
    rpc.serve(broker, Catalog.verify_backup, verification.verify)
    rpc.serve(broker, Catalog.begin_verify, verification.begin)

    files = FileHandlers(pool, destinations, backups)
    rpc.serve(broker, Catalog.list_files, files.list)
    rpc.serve(broker, Catalog.delete_files, files.delete)

    downloads = DownloadHandlers(pool, destinations)
    rpc.serve(broker, Catalog.backup_download_link, downloads.backup_link)
    rpc.serve(broker, Catalog.file_download_link, downloads.file_link)

    retention = RetentionHandlers(pool, outbox)
    rpc.serve(broker, Catalog.database_history, retention.history)
    rpc.serve(broker, Catalog.mark_retention, retention.mark)
    rpc.serve(broker, Catalog.managed_databases, retention.managed)
    rpc.serve(broker, Catalog.policy_users, retention.policy_users)
    rpc.serve(broker, Catalog.reassign_policy, retention.reassign_policy)

    jobs = JobEvents(pool, destinations)
    consume(broker, stream=EVENTS, subject=JOB_EVENTS, durable=jobs.durable, handle=jobs.handle)
    fires = ScheduleFires(pool, outbox, backups)
    consume(broker, stream=EVENTS, subject=FIRES, durable=fires.durable, handle=fires.handle)
