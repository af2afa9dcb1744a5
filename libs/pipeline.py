"""Stream a dump into storage: read, compress+encrypt in one worker thread, write, commit, manifest.

Memory stays at a few pieces regardless of dump size; nothing is visible in storage until the
artifact is complete, and its manifest is written right after it.
"""

import asyncio
import contextlib
import functools
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol, TypeVar, runtime_checkable

from libs.crypto.artifact import ArtifactWriter
from libs.crypto.manifest import Manifest, manifest_for, manifest_key
from libs.storage.base import Storage, Upload

PIECE_SIZE = 1024 * 1024
T = TypeVar("T")


@runtime_checkable
class Readable(Protocol):
    """A blocking byte source: an open file, or a subprocess pipe opened unbuffered."""

    def readinto(self, buffer: bytearray | memoryview, /) -> int | None: ...


async def store_stream(
    source: AsyncIterator[bytes] | Readable,
    storage: Storage,
    key: str,
    writer: ArtifactWriter,
    *,
    engine: str,
    tool_version: str,
) -> Manifest:
    """Store `source` as the artifact `key` and its manifest; on any failure nothing stays visible."""
    upload = await storage.open_upload(key)
    worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="artifact")
    loop = asyncio.get_running_loop()

    def in_worker(call: Callable[[], T]) -> asyncio.Future[T]:
        return loop.run_in_executor(worker, call)

    try:
        await upload.write(writer.header())
        if isinstance(source, Readable):
            await _pump_readable(source, upload, writer, in_worker)
        else:
            async for piece in source:
                await _write(upload, await in_worker(functools.partial(writer.feed, piece)))
        await _write(upload, await in_worker(writer.finish))
        await upload.commit()
    except BaseException:
        with contextlib.suppress(Exception):
            await upload.abort()
        raise
    finally:
        worker.shutdown(wait=False)  # a read blocked on a pipe must not block the event loop
    manifest = manifest_for(writer, key, engine=engine, tool_version=tool_version)
    try:
        await storage.put_bytes(manifest_key(key), manifest.encode())
    except BaseException:
        with contextlib.suppress(Exception):
            await storage.delete(key)
        raise
    return manifest


async def _pump_readable(
    source: Readable,
    upload: Upload,
    writer: ArtifactWriter,
    in_worker: Callable[[Callable[[], bytes | None]], asyncio.Future[bytes | None]],
) -> None:
    """Read and seal the next piece in the worker while the event loop writes the previous one."""
    buffer = bytearray(PIECE_SIZE)
    view = memoryview(buffer)

    def next_piece() -> bytes | None:
        count = source.readinto(buffer)
        if count is None:
            raise BlockingIOError("store_stream needs a blocking source")
        return writer.feed(view[:count]) if count else None

    pending = in_worker(next_piece)
    try:
        while (stored := await pending) is not None:
            pending = in_worker(next_piece)
            await _write(upload, stored)
    finally:
        # after a failed write the worker may still finish a piece; nobody wants its result
        pending.add_done_callback(lambda done: done.cancelled() or done.exception())


async def _write(upload: Upload, data: bytes) -> None:
    if data:
        await upload.write(data)
