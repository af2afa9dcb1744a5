"""What every database engine gives the executor: connection test, discovery, dump, restore,
and the checks restore and verify need. Plaintext credentials live only in `Target`, in the
executor's memory; they reach tools through 0600 files in the job's private `workdir`.
"""

import socket
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal, Protocol

from libs.pipeline import Readable

Cause = Literal[
    "authentication",  # wrong user or password
    "unreachable",  # host down, port closed, DNS, timeout
    "unknown_database",  # the server answered but has no such database / file
    "tool_failed",  # a dump/restore tool exited non-zero or produced nothing
    "not_empty",  # a restore target holds data and replacing it was not asked for
    "unsupported",  # the engine cannot do this (e.g. masking Redis)
    "invalid",  # bad input, e.g. a masking rule for an unknown strategy
]


class EngineError(Exception):
    """A failure whose message names the cause and never contains a secret."""

    def __init__(self, cause: Cause, message: str) -> None:
        super().__init__(message)
        self.cause = cause
        self.message = message


@dataclass(frozen=True)
class Target:
    """One database on one server. `database` is a name (PostgreSQL, MariaDB), a file path
    (SQLite) or a database number as text (Redis, default "0")."""

    engine: str
    host: str | None
    port: int | None
    database: str
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    def with_database(self, database: str) -> "Target":
        return replace(self, database=database)


@dataclass(frozen=True)
class DiscoveredDatabase:
    name: str
    size_bytes: int | None


MaskStrategy = Literal["hash", "randomize", "null", "fixed"]


@dataclass(frozen=True)
class MaskRule:
    """How to mask every column with a given name: hash (hex SHA-256, cut to the column's
    length), randomize (random value of the column's kind), null, or fixed `value`."""

    strategy: MaskStrategy
    value: str | None = None


class DumpProcess(Protocol):
    """A running dump. Read `source` to the end, then await `finish()`."""

    source: Readable | AsyncIterator[bytes]
    tool_version: str

    async def finish(self) -> None:
        """Wait for the dump to end; raise EngineError("tool_failed", ...) naming the tool,
        its exit status and the tail of its stderr when it did not succeed."""
        ...

    def kill(self) -> None:
        """Stop the dump at once (cancel, lost lease, failed storage)."""
        ...


class Engine(Protocol):
    name: str  # "postgresql", "mariadb", "sqlite", "redis"
    file_format: str  # what the plain dump is: "pgdump", "sql", "sqlite3", "rdb"

    async def test_connection(self, target: Target) -> None:
        """Connect and run a trivial query; raise EngineError naming the cause."""
        ...

    async def discover(self, target: Target) -> list[DiscoveredDatabase]:
        """User databases on the server with their sizes (system databases left out)."""
        ...

    async def database_size(self, target: Target) -> int | None:
        """Size of the target database in bytes, for progress estimates; None if unknown."""
        ...

    async def start_dump(self, target: Target, workdir: Path) -> DumpProcess: ...

    async def prepare_target(self, target: Target, *, replace: bool) -> None:
        """Make `target` ready to restore into: create it when missing; when it exists and holds
        data, raise EngineError("not_empty") unless `replace`, then empty it."""
        ...

    async def restore(self, target: Target, dump: AsyncIterator[bytes], workdir: Path) -> None:
        """Load a plain dump (as `start_dump` produced it) into a prepared target."""
        ...

    async def drop(self, target: Target) -> None:
        """Remove the target database (throw-away databases of test restores)."""
        ...

    async def table_counts(self, target: Target) -> dict[str, int]:
        """Rows per table (Redis: keys per type), to compare a restore with its source."""
        ...

    async def mask(self, target: Target, rules: Mapping[str, MaskRule]) -> dict[str, int]:
        """Apply `rules` (by column name, any table) to a restored database; returns rows
        changed per "table.column". EngineError("unsupported") for engines without columns."""
        ...


def unreachable(host: str | None, port: int | None, exc: BaseException) -> EngineError:
    """EngineError("unreachable") with a short reason found in the exception chain, so every engine
    words a refused port, a timeout or an unknown host the same way."""
    return EngineError("unreachable", f"cannot reach {host}:{port}: {_network_reason(exc)}")


def _network_reason(exc: BaseException) -> str:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ConnectionRefusedError):
            return "connection refused"
        if isinstance(seen, TimeoutError):
            return "timed out"
        if isinstance(seen, socket.gaierror):
            return "unknown host"
        if isinstance(seen, OSError) and seen.strerror:
            return seen.strerror.lower()
        seen = seen.__cause__ or seen.__context__
    return str(exc) or type(exc).__name__
