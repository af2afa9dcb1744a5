"""Connections Lifeboat refused to make on a user's behalf: the network guard's and the SQLite
roots' refusals, so that every attempt to reach somewhere forbidden is on the audit record.
Never credentials, never anything the refused peer might have said."""

from contracts.envelope import Event


class ConnectionRefused(Event, frozen=True, kw_only=True, tag="connection.refused"):
    context = "connection"

    operation: str  # test_connection, discover, backup, restore, verify
    engine: str
    host: str | None  # as the user gave it; for SQLite the path is left out
    port: int | None
    reason: str
    server_id: int | None = None
    database_id: int | None = None
    backup_id: int | None = None
    restore_id: int | None = None
