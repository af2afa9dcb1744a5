"""A Redis dump without a subprocess: connect as a replica would (AUTH, then SYNC) and keep the RDB
snapshot the server sends, which is the server's own consistent dump of every database.

The server answers SYNC with newline keep-alives while it writes the snapshot, then either
`$<length>\\r\\n` and that many bytes, or (diskless) `$EOF:<40-byte mark>\\r\\n`, the bytes and the mark.

Errors never repeat what the peer sent (beyond a Redis error code): whatever answers on the port
may not be Redis, and its banner is not for the user to read.
"""

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable
from typing import TypeVar

from libs.pipeline import Readable
from services.executor.engines.base import EngineError, Target, unreachable

CONNECT_TIMEOUT = 10
IDLE_TIMEOUT = 60  # the server sends a keep-alive every second while it writes the snapshot
READ_SIZE = 1024 * 1024
MARK_LENGTH = 40
RDB_MAGIC = b"REDIS"
NOT_REDIS = "unexpected reply: not a Redis server"
T = TypeVar("T")


def error_code(text: str) -> str:
    """The code an error reply starts with ("ERR", "NOPERM"), the only part of it repeated."""
    word = text.lstrip("-").split(" ", 1)[0]
    return word if re.fullmatch(r"[A-Z]{2,20}", word) else "an error"


def command(*args: str | bytes | int) -> bytes:
    """RESP-encode one command (binary safe: a password may hold any byte)."""
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        data = arg if isinstance(arg, bytes) else str(arg).encode()
        parts += [b"$%d\r\n" % len(data), data, b"\r\n"]
    return b"".join(parts)


def reply_error(line: bytes, what: str) -> EngineError:
    """An error reply as an EngineError; Redis never echoes the password in one."""
    text = line[1:].decode("utf-8", "replace").strip()
    if text.startswith(("NOAUTH", "WRONGPASS", "ERR invalid password", "ERR AUTH")):
        return EngineError("authentication", f"redis refused {what}: wrong user or password")
    return EngineError("tool_failed", f"redis refused {what}: {error_code(text)}")


async def _waited(step: Awaitable[T], what: str) -> T:
    try:
        return await asyncio.wait_for(step, IDLE_TIMEOUT)
    except TimeoutError:
        raise EngineError("tool_failed", f"redis sent nothing for {IDLE_TIMEOUT} s during {what}") from None


async def _line(reader: asyncio.StreamReader, what: str) -> bytes:
    line = await _waited(reader.readline(), what)
    if not line:
        raise EngineError("tool_failed", f"redis closed the connection while waiting for {what}")
    if line.startswith(b"-"):
        raise reply_error(line, what)
    return line


async def _bulk(reader: asyncio.StreamReader, what: str) -> bytes:
    line = await _line(reader, what)
    if not line.startswith(b"$"):
        raise EngineError("invalid", f"{NOT_REDIS} (to {what})")
    return (await _waited(reader.readexactly(int(line[1:]) + 2), what))[:-2]


class RedisSync:
    """A running SYNC; `source` yields the RDB payload only. Implements `DumpProcess`."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, tool_version: str) -> None:
        self.tool_version = tool_version
        self._reader, self._writer = reader, writer
        self.received = 0
        self._complete = False
        self._killed = False
        self._error: EngineError | None = None
        self.source: Readable | AsyncIterator[bytes] = self._payload()

    async def _payload(self) -> AsyncIterator[bytes]:
        head = b""
        try:
            async for piece in self._pieces():
                if len(head) < len(RDB_MAGIC):
                    head += piece[: len(RDB_MAGIC) - len(head)]
                    if len(head) == len(RDB_MAGIC):
                        self._check_magic(head)
                self.received += len(piece)
                yield piece
            self._check_magic(head)  # also refuses a payload shorter than the magic
            self._complete = True
        except EngineError as exc:
            self._error = exc
            raise
        finally:
            self._writer.close()

    @staticmethod
    def _check_magic(head: bytes) -> None:
        if head != RDB_MAGIC:
            raise EngineError("tool_failed", "redis sent no RDB snapshot")

    async def _pieces(self) -> AsyncIterator[bytes]:
        while (line := await _line(self._reader, "SYNC")) == b"\n":
            pass  # keep-alive while the server writes the snapshot
        if line.startswith(b"$EOF:"):
            mark = line[5:].rstrip(b"\r\n")
            if len(mark) != MARK_LENGTH:
                raise EngineError("tool_failed", "malformed diskless SYNC reply")
            async for piece in self._until(mark):
                yield piece
        elif line.startswith(b"$"):
            remaining = int(line[1:])
            while remaining:
                piece = await self._read(min(READ_SIZE, remaining))
                remaining -= len(piece)
                yield piece
        else:
            raise EngineError("invalid", f"{NOT_REDIS} (to SYNC)")

    async def _until(self, mark: bytes) -> AsyncIterator[bytes]:
        """Everything before `mark`; the last MARK_LENGTH bytes are held back, as they may be the mark."""
        held = b""
        while True:
            buffer = held + await self._read(READ_SIZE)
            end = buffer.find(mark)
            if end >= 0:
                if end:
                    yield buffer[:end]
                return
            if len(buffer) > MARK_LENGTH:
                yield buffer[:-MARK_LENGTH]
            held = buffer[-MARK_LENGTH:]

    async def _read(self, size: int) -> bytes:
        try:
            piece = await _waited(self._reader.read(size), "SYNC")
        except OSError as exc:
            message = f"redis SYNC failed after {self.received} bytes: {exc}"
            raise EngineError("tool_failed", message) from None
        if not piece:
            how = "stopped" if self._killed else "cut off by the server"
            raise EngineError("tool_failed", f"redis SYNC was {how} after {self.received} bytes")
        return piece

    async def finish(self) -> None:
        self._writer.close()
        if self._error is not None:
            raise self._error
        if not self._complete:
            raise EngineError("tool_failed", "the redis snapshot was not read to the end")

    def kill(self) -> None:
        self._killed = True
        self._writer.close()


async def start_sync(target: Target) -> RedisSync:
    """Authenticate, read the server's version, and ask for the snapshot."""
    try:
        connecting = asyncio.open_connection(target.host or "127.0.0.1", target.port or 6379)
        reader, writer = await asyncio.wait_for(connecting, CONNECT_TIMEOUT)
    except (OSError, TimeoutError) as exc:
        raise unreachable(target.host, target.port, exc) from None
    try:
        if target.password is not None:
            user = [target.username] if target.username else []
            writer.write(command("AUTH", *user, target.password))
            await _line(reader, "AUTH")
        writer.write(command("INFO", "server"))
        info = (await _bulk(reader, "INFO")).decode("utf-8", "replace")
        version = next((line.split(":", 1)[1].strip() for line in info.splitlines()
                        if line.startswith("redis_version:")), "unknown")  # fmt: skip
        writer.write(command("SYNC"))
        await writer.drain()
    except (OSError, asyncio.IncompleteReadError) as exc:
        writer.close()
        raise unreachable(target.host, target.port, exc) from None
    except BaseException:
        writer.close()
        raise
    return RedisSync(reader, writer, f"redis {version}")
