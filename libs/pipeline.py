"""Stream a dump into storage (read, compress+encrypt in one worker thread, write, commit,
manifest) and back out of it (read, check, decrypt+decompress, yield plain dump bytes).

Memory stays at a few pieces regardless of dump size; nothing is visible in storage until the
artifact is complete, and its manifest is written right after it.
"""

import asyncio
import contextlib
import functools
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol, TypeVar, runtime_checkable

from libs.crypto.artifact import ArtifactError, ArtifactWriter
from libs.crypto.artifact_reader import ArtifactReader
from libs.crypto.keyring import Keyring
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
    before_commit: Callable[[], Awaitable[None]] | None = None,
) -> Manifest:
    """Store `source` as the artifact `key` and its manifest; on any failure nothing stays visible.

    `before_commit` runs once the source is exhausted and may raise to refuse the artifact —
    e.g. when the dump tool exited non-zero, so a truncated dump is never committed."""
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
        if before_commit is not None:
            await before_commit()
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


async def read_stream(
    storage: Storage, key: str, keyring: Keyring, manifest: Manifest | None = None
) -> AsyncIterator[bytes]:
    """Yield the plain dump stored at `key`. Raises ArtifactError naming the failed check —
    authentication of a chunk, truncation, and (given the `manifest`) size and SHA-256 of the
    stored bytes — at the latest after the last piece, so a consumer must treat what it
    received as unusable until the iteration ends without an error."""
    reader = ArtifactReader(keyring)
    worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="artifact-read")
    loop = asyncio.get_running_loop()
    try:
        async for stored in storage.read(key):
            plain = await loop.run_in_executor(worker, reader.feed, stored)
            if plain:
                yield plain
        reader.finish()
    finally:
        worker.shutdown(wait=False)
    if manifest is not None:
        if reader.stored_size != manifest.stored_size:
            raise ArtifactError(
                f"size: {reader.stored_size} bytes stored, the manifest says {manifest.stored_size}"
            )
        if reader.sha256_stored != manifest.sha256_stored:
            raise ArtifactError("checksum: SHA-256 of the stored bytes differs from the manifest")
        if reader.sha256_plain != manifest.sha256_plain:
            raise ArtifactError("checksum: SHA-256 of the plain dump differs from the manifest")
