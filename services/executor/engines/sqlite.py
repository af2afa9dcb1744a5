"""SQLite: `Target.database` is the database file's path; host and port are ignored.

The dump is the exact page image made by SQLite's online backup API, which is consistent while
other connections write. Unlike every other engine this one stages a copy in the workdir: the
backup API writes to a destination database file, not to a stream. Restore writes the stream
beside the target, checks it with `PRAGMA integrity_check` and renames it over the target.
"""

import asyncio
import contextlib
import os
import sqlite3
import uuid
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

from libs.pipeline import Readable
from services.executor.engines.base import DiscoveredDatabase, EngineError, MaskRule, Target
from services.executor.engines.process import write_stream

# Files beside a database that SQLite would replay into whatever file holds the database's name.
SIDECARS = ("-wal", "-shm", "-journal")


def _read_only(path: Path) -> sqlite3.Connection:
    """Open `path` read-only, so checking a file can neither create nor change it."""
    if not path.is_file():
        raise EngineError("unknown_database", f"SQLite database file {path} does not exist")
    try:
        conn = sqlite3.connect(path.absolute().as_uri() + "?mode=ro", uri=True)
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as exc:
        raise EngineError("invalid", f"{path} is not a SQLite database: {exc}") from None
    return conn


def _user_tables(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND substr(name, 1, 7) <> 'sqlite_' ORDER BY 1"
    )
    return [name for (name,) in rows]


def _file_size(path: Path) -> int:
    if not path.is_file():
        raise EngineError("unknown_database", f"SQLite database file {path} does not exist")
    return path.stat().st_size


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _remove_with_sidecars(path: Path) -> None:
    for suffix in ("", *SIDECARS):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _install(staged: Path, path: Path) -> None:
    """Check the staged file, then rename it over `path`."""
    try:
        conn = _read_only(staged)
    except EngineError:
        raise EngineError("tool_failed", "the restored dump is not a SQLite database") from None
    with contextlib.closing(conn):
        try:
            result = conn.execute("PRAGMA integrity_check").fetchall()
        except sqlite3.DatabaseError as exc:
            raise EngineError("tool_failed", f"the restored SQLite file is damaged: {exc}") from None
    if result != [("ok",)]:
        problems = "; ".join(row[0] for row in result[:5])
        raise EngineError("tool_failed", f"the restored SQLite file failed its integrity check: {problems}")
    for suffix in SIDECARS:  # a stale journal or WAL would be replayed into the new file
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    os.replace(staged, path)
    _fsync_dir(path.parent)


class StagedCopy:
    """A finished backup copy read back as the dump; implements `DumpProcess`."""

    def __init__(self, copy: Path) -> None:
        self.tool_version = "sqlite " + sqlite3.sqlite_version
        self._copy = copy
        self._size = copy.stat().st_size
        self._file = open(copy, "rb", buffering=0)  # noqa: SIM115 - closed by finish() or kill()
        self.source: Readable | AsyncIterator[bytes] = self._file

    async def finish(self) -> None:
        position = -1 if self._file.closed else self._file.tell()
        self.kill()
        if self._size == 0 or position != self._size:
            raise EngineError("tool_failed", f"sqlite backup copy read {position} of {self._size} bytes")

    def kill(self) -> None:
        self._file.close()
        self._copy.unlink(missing_ok=True)


class SQLiteEngine:
    name = "sqlite"
    file_format = "sqlite3"

    async def test_connection(self, target: Target) -> None:
        await asyncio.to_thread(lambda: _read_only(Path(target.database)).close())

    async def discover(self, target: Target) -> list[DiscoveredDatabase]:
        size = await self.database_size(target)
        return [DiscoveredDatabase(target.database, size)]

    async def database_size(self, target: Target) -> int | None:
        return await asyncio.to_thread(_file_size, Path(target.database))

    async def start_dump(self, target: Target, workdir: Path) -> StagedCopy:
        copy = workdir / f"backup-{uuid.uuid4().hex}.sqlite3"

        def backup() -> None:
            source = _read_only(Path(target.database))
            try:
                with contextlib.closing(sqlite3.connect(copy)) as destination:
                    source.backup(destination)
            except sqlite3.Error as exc:
                copy.unlink(missing_ok=True)
                message = f"sqlite backup of {target.database} failed: {exc}"
                raise EngineError("tool_failed", message) from None
            finally:
                source.close()

        await asyncio.to_thread(backup)
        return await asyncio.to_thread(StagedCopy, copy)

    async def prepare_target(self, target: Target, *, replace: bool) -> None:
        path = Path(target.database)

        def prepare() -> None:
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                return
            with contextlib.closing(_read_only(path)) as conn:
                if not _user_tables(conn):
                    return
            if not replace:
                raise EngineError("not_empty", f"SQLite database {path} already holds tables")
            _remove_with_sidecars(path)

        await asyncio.to_thread(prepare)

    async def restore(self, target: Target, dump: AsyncIterator[bytes], workdir: Path) -> None:
        path = Path(target.database)
        staged = path.with_name(f".{path.name}.restore-{uuid.uuid4().hex}")
        try:
            await write_stream(staged, dump)
            await asyncio.to_thread(_install, staged, path)
        finally:
            await asyncio.to_thread(_remove_with_sidecars, staged)

    async def drop(self, target: Target) -> None:
        await asyncio.to_thread(_remove_with_sidecars, Path(target.database))

    async def table_counts(self, target: Target) -> dict[str, int]:
        def count() -> dict[str, int]:
            with contextlib.closing(_read_only(Path(target.database))) as conn:
                count_rows = "SELECT count(*) FROM {}"
                return {
                    t: conn.execute(count_rows.format(quote_ident(t))).fetchone()[0]
                    for t in _user_tables(conn)
                }

        return await asyncio.to_thread(count)

    async def mask(self, target: Target, rules: Mapping[str, MaskRule]) -> dict[str, int]:
        raise EngineError("unsupported", "masking is available for PostgreSQL and MySQL/MariaDB only")
