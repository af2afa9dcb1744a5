"""Artifacts as files under one directory; uploads go to `.tmp/` and appear by an atomic rename."""

import asyncio
import errno
import hashlib
import os
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path

from libs.storage.base import StorageError, StoredObject, validate_key

TMP_DIR = ".tmp"
READ_CHUNK = 1024 * 1024


def _storage_error(action: str, exc: OSError) -> StorageError:
    if exc.errno == errno.ENOSPC:
        return StorageError(f"storage full: {action}: {exc}")
    return StorageError(f"{action}: {exc}")


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _make_dirs(root: Path, directory: Path) -> None:
    """mkdir -p that also fsyncs the parent of every directory it creates, so the rename survives a crash."""
    missing = [d for d in (directory, *directory.parents) if d.is_relative_to(root) and not d.exists()]
    for created in reversed(missing):
        created.mkdir(exist_ok=True)
        _fsync_dir(created.parent)


def _walk(root: Path, prefix: str) -> list[StoredObject]:
    found = []
    for directory, subdirs, files in os.walk(root):
        if Path(directory) == root and TMP_DIR in subdirs:
            subdirs.remove(TMP_DIR)
        for name in files:
            path = Path(directory, name)
            key = path.relative_to(root).as_posix()
            if key.startswith(prefix):
                try:
                    stat = path.stat()
                except FileNotFoundError:  # deleted while listing
                    continue
                modified = datetime.fromtimestamp(stat.st_mtime, UTC)
                found.append(StoredObject(key=key, size=stat.st_size, last_modified=modified))
    return sorted(found, key=lambda item: item.key)


def _temp_prefix(final: Path) -> str:
    """Temp files of one key share a prefix, so a later attempt can find a killed one's."""
    return hashlib.sha256(str(final).encode()).hexdigest()[:16] + "."


class LocalUpload:
    def __init__(self, root: Path, final: Path) -> None:
        self._root = root
        self._final = final
        self._temp = root / TMP_DIR / f"{_temp_prefix(final)}{uuid.uuid4().hex}"
        self._fd: int | None = os.open(self._temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)

    async def write(self, data: bytes) -> None:
        await asyncio.to_thread(self._write, data)

    async def commit(self) -> None:
        await asyncio.to_thread(self._commit)

    async def abort(self) -> None:
        await asyncio.to_thread(self._discard)

    def _open_fd(self) -> int:
        if self._fd is None:
            raise StorageError(f"upload of {self._final.name} is already committed or aborted")
        return self._fd

    def _write(self, data: bytes) -> None:
        fd = self._open_fd()
        try:
            with memoryview(data) as view:
                written = 0
                while written < len(view):
                    written += os.write(fd, view[written:])
        except OSError as exc:
            self._discard()
            raise _storage_error(f"writing {self._final}", exc) from None

    def _commit(self) -> None:
        fd = self._open_fd()
        try:
            os.fsync(fd)
            os.close(fd)
            self._fd = None
            _make_dirs(self._root, self._final.parent)
            os.replace(self._temp, self._final)
            _fsync_dir(self._final.parent)
        except OSError as exc:
            self._discard()
            raise _storage_error(f"committing {self._final}", exc) from None

    def _discard(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        self._temp.unlink(missing_ok=True)


class LocalStorage:
    def __init__(self, root: Path, url_signer: Callable[[str, int], str] | None = None) -> None:
        self.root = root.resolve()
        self._url_signer = url_signer

    def _path(self, key: str) -> Path:
        validate_key(key)
        if key.split("/", 1)[0] == TMP_DIR:
            raise StorageError(f"invalid key {key!r}: {TMP_DIR} is reserved")
        return self.root / key

    async def open_upload(self, key: str, expected_size: int | None = None) -> LocalUpload:
        final = self._path(key)

        def start() -> LocalUpload:
            (self.root / TMP_DIR).mkdir(parents=True, exist_ok=True)
            return LocalUpload(self.root, final)

        try:
            return await asyncio.to_thread(start)
        except OSError as exc:
            raise _storage_error(f"starting upload of {key}", exc) from None

    async def put_bytes(self, key: str, data: bytes) -> None:
        upload = await self.open_upload(key, len(data))
        try:
            await upload.write(data)
            await upload.commit()
        except BaseException:
            await upload.abort()
            raise

    async def read(self, key: str) -> AsyncIterator[bytes]:
        path = self._path(key)
        try:
            file = await asyncio.to_thread(path.open, "rb")
        except FileNotFoundError:
            raise StorageError(f"no such object: {key}") from None
        except OSError as exc:
            raise _storage_error(f"reading {key}", exc) from None
        try:
            while chunk := await asyncio.to_thread(file.read, READ_CHUNK):
                yield chunk
        finally:
            await asyncio.to_thread(file.close)

    async def list(self, prefix: str = "") -> list[StoredObject]:
        return await asyncio.to_thread(_walk, self.root, prefix)

    async def delete(self, key: str) -> bool:
        path = self._path(key)
        try:
            await asyncio.to_thread(path.unlink)
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise _storage_error(f"deleting {key}", exc) from None
        return True

    async def exists(self, key: str) -> bool:
        return await asyncio.to_thread(self._path(key).is_file)

    async def discard_incomplete(self, key: str) -> int:
        prefix = _temp_prefix(self._path(key))

        def discard() -> int:
            temp_dir = self.root / TMP_DIR
            stale = list(temp_dir.glob(prefix + "*")) if temp_dir.is_dir() else []
            for path in stale:
                path.unlink(missing_ok=True)
            return len(stale)

        return await asyncio.to_thread(discard)

    def describe(self, key: str) -> str:
        return self._path(key).as_uri()

    async def download_url(self, key: str, expires_seconds: int) -> str:
        self._path(key)
        if self._url_signer is None:
            raise StorageError("local storage has no URL signer configured")
        return self._url_signer(key, expires_seconds)
