"""What the catalog answers: servers, databases, backups, restores, backup files and their
download links, connection tests (which it hands on to an executor) and the facts retention
decides on."""

from contracts import backups, catalog, connections, databases, downloads, retention
from contracts.operations import Operation, Service


class Catalog(Service, name="catalog"):
    create_server = Operation(catalog.CreateServer, catalog.ServerView)
    list_servers = Operation(catalog.ListServers, catalog.ServerPage)
    get_server = Operation(catalog.ServerRef, catalog.ServerView)
    update_server = Operation(catalog.UpdateServer, catalog.ServerView)
    delete_server = Operation(catalog.DeleteServer, catalog.Deleted)

    create_database = Operation(databases.CreateDatabase, databases.DatabaseView)
    list_databases = Operation(databases.ListDatabases, databases.DatabasePage)
    get_database = Operation(databases.GetDatabase, databases.DatabaseView)
    update_database = Operation(databases.UpdateDatabase, databases.DatabaseView)
    delete_database = Operation(databases.DeleteDatabase, catalog.Deleted)

    test_connection = Operation(connections.TestConnection, connections.ConnectionResult)
    test_server_connection = Operation(connections.TestServerConnection, connections.ConnectionResult)
    discover_server = Operation(connections.DiscoverServer, connections.Discovery)
    import_databases = Operation(connections.ImportDatabases, connections.ImportResult)

    create_backup = Operation(backups.CreateBackup, backups.BackupAccepted)
    list_backups = Operation(backups.ListBackups, backups.BackupPage)
    get_backup = Operation(backups.GetBackup, backups.BackupView)
    cancel_backup = Operation(backups.CancelBackup, backups.BackupView)
    delete_backup = Operation(backups.DeleteBackup, catalog.Deleted)
    begin_backup = Operation(backups.BeginBackup, backups.BackupSpec)
    create_restore = Operation(backups.CreateRestore, backups.RestoreAccepted)
    get_restore = Operation(backups.RestoreRef, backups.RestoreView)
    begin_restore = Operation(backups.BeginRestore, backups.RestoreSpec)
    verify_backup = Operation(backups.VerifyBackup, backups.VerifyAccepted)
    begin_verify = Operation(backups.BeginVerify, backups.VerifySpec)

    list_files = Operation(backups.ListFiles, backups.FileList)
    delete_files = Operation(backups.DeleteFiles, backups.DeleteFilesResult)
    backup_download_link = Operation(downloads.BackupDownloadLink, downloads.DownloadUrl)
    file_download_link = Operation(downloads.FileDownloadLink, downloads.DownloadUrl)

    database_history = Operation(retention.DatabaseHistory, retention.History)
    mark_retention = Operation(retention.MarkRetention, retention.Marked)
    managed_databases = Operation(retention.ListManagedDatabases, retention.ManagedDatabases)
    policy_users = Operation(retention.PolicyDatabases, retention.PolicyUsage)
    reassign_policy = Operation(retention.ReassignDatabases, retention.Reassigned)
