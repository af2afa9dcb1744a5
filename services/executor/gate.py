"""The one gate between a stored endpoint and a connection: every `Target` an engine receives is
built here, so no engine, job or probe can reach a place the network guard or the SQLite roots
refuse.

Invariants:
- a network target's host is resolved once and the Target carries the resolved address literal
  (and an explicit port), so every engine connects exactly where the guard looked;
- a SQLite target's path is resolved (symlinks, `..`) and must lie under a root; the Target
  carries the resolved path;
- every refusal is recorded as a `connection.refused` event before it is raised, and says nothing
  learnt from the target.
"""

import socket
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from contracts.connections import Endpoint
from contracts.envelope import SYSTEM, Actor
from contracts.events import ConnectionRefused
from libs.bus.outbox import Outbox
from libs.confinement import OUTSIDE_ROOTS, confined
from libs.netguard import Policy, TargetNotAllowed
from libs.netguard.resolver import admit
from services.executor import store
from services.executor.engines.base import Target, unreachable

DEFAULT_PORTS = {"postgresql": 5432, "mysql": 3306, "mariadb": 3306, "redis": 6379}
DEFAULT_HOST = "127.0.0.1"  # what every engine connected to when a server named no host


class TargetRefused(Exception):
    """The gate refused a target; `field` is the request field at fault ("host", "database_name")."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class Attempt:
    """Who wants to connect, and for what: what a refusal's audit record says."""

    operation: str
    actor: Actor = SYSTEM
    correlation_id: str | None = None
    server_id: int | None = None
    database_id: int | None = None
    backup_id: int | None = None
    restore_id: int | None = None


@dataclass(frozen=True)
class Gate:
    policy: Policy
    sqlite_roots: tuple[Path, ...]
    pool: asyncpg.Pool
    outbox: Outbox

    async def target(self, endpoint: Endpoint, password: str | None, attempt: Attempt) -> Target:
        """The Target for `endpoint`, or TargetRefused (after recording the refusal)."""
        if endpoint.engine == "sqlite":
            path = confined(endpoint.database, self.sqlite_roots, follow_symlinks=True)
            if path is None:
                await self._refused(endpoint, attempt, OUTSIDE_ROOTS)
                raise TargetRefused("database_name", OUTSIDE_ROOTS)
            return Target(engine="sqlite", host=None, port=None, database=str(path))
        host = endpoint.host or DEFAULT_HOST
        port = endpoint.port or DEFAULT_PORTS.get(endpoint.engine, 0)
        try:
            address = await admit(self.policy, host, port)
        except TargetNotAllowed as exc:
            await self._refused(endpoint, attempt, exc.reason)
            raise TargetRefused("host", exc.reason) from None
        except (socket.gaierror, ValueError) as exc:  # no such name; a name no resolver takes
            raise unreachable(host, port, exc) from None
        return Target(
            engine=endpoint.engine,
            host=str(address),
            port=port,
            database=endpoint.database,
            username=endpoint.username,
            password=password,
        )

    async def _refused(self, endpoint: Endpoint, attempt: Attempt, reason: str) -> None:
        event = ConnectionRefused(
            operation=attempt.operation,
            engine=endpoint.engine,
            host=None if endpoint.engine == "sqlite" else endpoint.host,
            port=endpoint.port,
            reason=reason,
            server_id=attempt.server_id,
            database_id=attempt.database_id,
            backup_id=attempt.backup_id,
            restore_id=attempt.restore_id,
            actor=attempt.actor,
            correlation_id=attempt.correlation_id,
        )
        await store.record(self.pool, self.outbox, event)
