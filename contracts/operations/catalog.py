"""What the catalog answers: servers, databases, backups, restores, backup files, connection
tests (which it hands on to an executor) and the facts retention decides on."""

from contracts.backups import (
    BackupAccepted,
    BackupPage,
    BackupSpec,
    BackupView,
    BeginBackup,
    BeginRestore,
    BeginVerify,
    CancelBackup,
    CreateBackup,
    CreateRestore,
    DeleteBackup,
    DeleteFiles,
    DeleteFilesResult,
    FileList,
    GetBackup,
    ListBackups,
    ListFiles,
    RestoreAccepted,
    RestoreRef,
    RestoreSpec,
    RestoreView,
    VerifyAccepted,
    VerifyBackup,
    VerifySpec,
)
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
from contracts.connections import (
    ConnectionResult,
    DiscoverServer,
    Discovery,
    ImportDatabases,
    ImportResult,
    TestConnection,
    TestServerConnection,
)
from contracts.databases import (
    CreateDatabase,
    DatabasePage,
    DatabaseView,
    DeleteDatabase,
    GetDatabase,
    ListDatabases,
    UpdateDatabase,
)
from contracts.operations import Operation, Service
from contracts.retention import (
    DatabaseHistory,
    History,
    ListManagedDatabases,
    ManagedDatabases,
    Marked,
    MarkRetention,
    PolicyDatabases,
    PolicyUsage,
    ReassignDatabases,
    Reassigned,
)


class Catalog(Service, name="catalog"):
    create_server = Operation(CreateServer, ServerView)
    list_servers = Operation(ListServers, ServerPage)
    get_server = Operation(ServerRef, ServerView)
    update_server = Operation(UpdateServer, ServerView)
    delete_server = Operation(DeleteServer, Deleted)

    create_database = Operation(CreateDatabase, DatabaseView)
    list_databases = Operation(ListDatabases, DatabasePage)
    get_database = Operation(GetDatabase, DatabaseView)
    update_database = Operation(UpdateDatabase, DatabaseView)
    delete_database = Operation(DeleteDatabase, Deleted)

    test_connection = Operation(TestConnection, ConnectionResult)
    test_server_connection = Operation(TestServerConnection, ConnectionResult)
    discover_server = Operation(DiscoverServer, Discovery)
    import_databases = Operation(ImportDatabases, ImportResult)

    create_backup = Operation(CreateBackup, BackupAccepted)
    list_backups = Operation(ListBackups, BackupPage)
    get_backup = Operation(GetBackup, BackupView)
    cancel_backup = Operation(CancelBackup, BackupView)
    delete_backup = Operation(DeleteBackup, Deleted)
    begin_backup = Operation(BeginBackup, BackupSpec)
    create_restore = Operation(CreateRestore, RestoreAccepted)
    get_restore = Operation(RestoreRef, RestoreView)
    begin_restore = Operation(BeginRestore, RestoreSpec)
    verify_backup = Operation(VerifyBackup, VerifyAccepted)
    begin_verify = Operation(BeginVerify, VerifySpec)

    list_files = Operation(ListFiles, FileList)
    delete_files = Operation(DeleteFiles, DeleteFilesResult)

    database_history = Operation(DatabaseHistory, History)
    mark_retention = Operation(MarkRetention, Marked)
    managed_databases = Operation(ListManagedDatabases, ManagedDatabases)
    policy_users = Operation(PolicyDatabases, PolicyUsage)
    reassign_policy = Operation(ReassignDatabases, Reassigned)
