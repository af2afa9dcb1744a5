"""NATS and PostgreSQL servers run as child processes from their wheels, data under one folder.

Used by `lifeboat up` on a laptop and by the test harness; production points at real servers.
`tools` finds PostgreSQL's client tools (the embedded wheel's among them) for the executor.
"""

from libs.embedded.nats import NatsServer
from libs.embedded.postgres import EmbeddedPostgres
from libs.embedded.processes import free_port, wait_for_port

__all__ = ["EmbeddedPostgres", "NatsServer", "free_port", "wait_for_port"]
