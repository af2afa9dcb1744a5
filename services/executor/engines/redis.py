"""Redis: the whole instance (every database) is the unit of backup and restore.

Dump: the server's own snapshot over the replication protocol (see `redis_sync`). Restore into an
empty instance: an ephemeral `redis-server` on a private unix socket loads the snapshot, then
MIGRATE ... COPY REPLACE copies every key of every database to the target with its TTL; this needs
no access to the target's files and works for any target the executor can reach.
"""

import asyncio
import contextlib
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import AuthenticationError, BusyLoadingError, InvalidResponse, RedisError, ResponseError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from services.executor.engines.base import DiscoveredDatabase, EngineError, MaskRule, Target, unreachable
from services.executor.engines.process import exit_description, write_stream
from services.executor.engines.redis_sync import NOT_REDIS, RedisSync, error_code, start_sync

CONNECT_TIMEOUT = 10
COMMAND_TIMEOUT = 60
MIGRATE_BATCH = 1000
MIGRATE_TIMEOUT_MS = 60_000
STARTUP_TIMEOUT = 30
RESTORE_DATABASES = 256  # the ephemeral server must accept every database number a snapshot holds


def _db_number(target: Target) -> int:
    try:
        return int(target.database or "0")
    except ValueError:
        raise EngineError("invalid", f"redis database must be a number, not {target.database!r}") from None


def _classified(target: Target, exc: RedisError) -> EngineError:
    if isinstance(exc, AuthenticationError):
        user = target.username or "default"
        return EngineError("authentication", f"authentication failed for user '{user}'")
    if isinstance(exc, RedisTimeoutError):
        return unreachable(target.host, target.port, TimeoutError())
    if isinstance(exc, RedisConnectionError):
        return unreachable(target.host, target.port, exc)
    if isinstance(exc, InvalidResponse):
        return EngineError("invalid", NOT_REDIS)
    if "DB index is out of range" in str(exc):
        return EngineError("unknown_database", f"redis database {target.database} does not exist")
    return EngineError("tool_failed", f"redis answered {error_code(str(exc))}")


@contextlib.asynccontextmanager
async def connected(target: Target, db: int | None = None, **options: Any) -> AsyncIterator[Redis]:
    """A client for one database of the target; redis-py errors come out as EngineErrors."""
    client = Redis(
        host=target.host or "127.0.0.1", port=target.port or 6379,
        db=_db_number(target) if db is None else db, username=target.username, password=target.password,
        socket_connect_timeout=CONNECT_TIMEOUT, socket_timeout=COMMAND_TIMEOUT,
        retry=Retry(NoBackoff(), 0),  # report at once: the executor retries whole jobs
        **options,
    )  # fmt: skip
    try:
        yield client
    except RedisError as exc:
        raise _classified(target, exc) from None
    finally:
        with contextlib.suppress(RedisError, OSError):
            await client.aclose()


async def keyspace(client: Redis) -> dict[int, int]:
    """Keys per database number, for the databases that hold any."""
    info = await client.info("keyspace")
    return {int(name[2:]): int(stats["keys"]) for name, stats in info.items() if name.startswith("db")}


class RedisEngine:
    name = "redis"
    file_format = "rdb"

    async def test_connection(self, target: Target) -> None:
        async with connected(target) as client:
            await client.ping()

    async def discover(self, target: Target) -> list[DiscoveredDatabase]:
        """Every database with keys; the instance's dataset memory is shared out by key count,
        since Redis does not measure databases on their own."""
        async with connected(target) as client:
            keys = await keyspace(client)
            dataset = int((await client.info("memory"))["used_memory_dataset"])
        total = sum(keys.values()) or 1
        return [DiscoveredDatabase(str(db), dataset * count // total) for db, count in sorted(keys.items())]

    async def database_size(self, target: Target) -> int | None:
        async with connected(target) as client:
            return int((await client.info("memory"))["used_memory_dataset"])

    async def start_dump(self, target: Target, workdir: Path) -> RedisSync:
        return await start_sync(target)

    async def prepare_target(self, target: Target, *, replace: bool) -> None:
        async with connected(target) as client:
            if any((await keyspace(client)).values()):
                if not replace:
                    raise EngineError("not_empty", f"redis at {target.host}:{target.port} already holds keys")
                await client.flushall()

    async def drop(self, target: Target) -> None:
        async with connected(target) as client:
            await client.flushdb()

    async def table_counts(self, target: Target) -> dict[str, int]:
        counts: dict[str, int] = {}
        async with connected(target) as client:
            databases = sorted(await keyspace(client))
        for db in databases:
            async with connected(target, db) as client:
                batch = []
                async for key in client.scan_iter(count=MIGRATE_BATCH):
                    batch.append(key)
                    if len(batch) == MIGRATE_BATCH:
                        await _count_types(client, db, batch, counts)
                        batch = []
                await _count_types(client, db, batch, counts)
        return counts

    async def mask(self, target: Target, rules: Mapping[str, MaskRule]) -> dict[str, int]:
        raise EngineError("unsupported", "redis has no columns to mask")

    async def restore(self, target: Target, dump: AsyncIterator[bytes], workdir: Path) -> None:
        staging = workdir / f"redis-restore-{uuid.uuid4().hex[:8]}"
        staging.mkdir(mode=0o700)
        socket_dir = Path(tempfile.mkdtemp(prefix="lb-redis-"))  # unix socket paths must stay short
        try:
            await write_stream(staging / "dump.rdb", dump)
            async with EphemeralRedis(staging, socket_dir / "redis.sock") as source:
                await _migrate_all(source, target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
            shutil.rmtree(socket_dir, ignore_errors=True)


async def _count_types(client: Redis, db: int, keys: list[bytes], counts: dict[str, int]) -> None:
    async with client.pipeline(transaction=False) as pipe:
        for key in keys:
            pipe.type(key)
        for kind in await pipe.execute():
            if kind not in (b"none", "none"):  # expired since the scan
                label = f"db{db}:{kind.decode() if isinstance(kind, bytes) else kind}"
                counts[label] = counts.get(label, 0) + 1


class EphemeralRedis:
    """A private redis-server that loads `dir/dump.rdb`, listens on a unix socket only and never saves."""

    def __init__(self, directory: Path, socket: Path) -> None:
        self.directory, self.socket = directory, socket
        self._log = directory / "redis-server.log"
        self._process: subprocess.Popen[bytes] | None = None

    async def __aenter__(self) -> "EphemeralRedis":
        args = [
            shutil.which("redis-server") or "redis-server", "--port", "0",
            "--unixsocket", str(self.socket), "--unixsocketperm", "700",
            "--dir", str(self.directory), "--dbfilename", "dump.rdb", "--save", "", "--appendonly", "no",
            "--databases", str(RESTORE_DATABASES), "--logfile", str(self._log),
        ]  # fmt: skip
        self._process = await asyncio.to_thread(self._spawn, args)
        await self._wait_loaded()
        return self

    def _spawn(self, args: list[str]) -> "subprocess.Popen[bytes]":
        with open(self.directory / "redis-server.stderr", "wb") as err:
            return subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=err, stderr=err)

    async def _wait_loaded(self) -> None:
        """Until PING answers. While loading, Redis answers LOADING, however long that takes;
        a server that does not answer at all gets STARTUP_TIMEOUT seconds."""
        assert self._process is not None
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            if self._process.poll() is not None:
                message = exit_description("redis-server", self._process.returncode, self._log)
                raise EngineError("tool_failed", f"cannot load the snapshot: {message}")
            if time.monotonic() > deadline:
                raise EngineError("tool_failed", f"redis-server did not answer on {self.socket}")
            client = self.client(0)
            try:
                await client.ping()
                return
            except BusyLoadingError:
                deadline = time.monotonic() + STARTUP_TIMEOUT
            except RedisConnectionError:
                pass  # not listening yet
            finally:
                await client.aclose()
            await asyncio.sleep(0.05)

    def client(self, db: int) -> Redis:
        return Redis(unix_socket_path=str(self.socket), db=db, socket_timeout=MIGRATE_TIMEOUT_MS / 1000 + 10)

    async def __aexit__(self, *_: object) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)
            try:
                await asyncio.to_thread(self._process.wait, 30)
            except subprocess.TimeoutExpired:
                self._process.kill()
                await asyncio.to_thread(self._process.wait)


async def _migrate_all(source: EphemeralRedis, target: Target) -> None:
    """Copy every key of every database of `source` to the same database of `target`."""
    auth: list[str] = []
    if target.password is not None:
        auth = ["AUTH2", target.username, target.password] if target.username else ["AUTH", target.password]
    client = source.client(0)
    try:
        databases = sorted(await keyspace(client))
    finally:
        await client.aclose()
    for db in databases:
        client = source.client(db)
        try:
            batch: list[bytes] = []
            async for key in client.scan_iter(count=MIGRATE_BATCH):
                batch.append(key)
                if len(batch) == MIGRATE_BATCH:
                    await _migrate(client, target, db, auth, batch)
                    batch = []
            if batch:
                await _migrate(client, target, db, auth, batch)
        finally:
            await client.aclose()


async def _migrate(client: Redis, target: Target, db: int, auth: list[str], keys: list[bytes]) -> None:
    host, port = target.host or "127.0.0.1", target.port or 6379
    try:
        await client.execute_command(  # type: ignore[no-untyped-call]
            "MIGRATE", host, port, "", db, MIGRATE_TIMEOUT_MS, "COPY", "REPLACE", *auth, "KEYS", *keys
        )
    except ResponseError as exc:
        text = str(exc)
        if "NOAUTH" in text or "WRONGPASS" in text or "invalid password" in text:
            user = target.username or "default"
            raise EngineError("authentication", f"authentication failed for user '{user}'") from None
        if text.startswith("IOERR"):
            raise unreachable(host, port, ConnectionError(text)) from None
        message = f"redis MIGRATE to {host}:{port} failed: {error_code(text)}"
        raise EngineError("tool_failed", message) from None
