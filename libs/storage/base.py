"""The storage interface every backup destination implements (local filesystem, S3).

Keys are relative, '/'-separated paths such as ``"srv-1/2024/b-123.lbart"``; every adapter
passes them through :func:`validate_key` before use.
"""

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Protocol

import msgspec


class StorageError(Exception):
    """A storage operation failed (full disk, permission, network, missing object, ...)."""


class StoredObject(msgspec.Struct, frozen=True):
    key: str
    size: int
    last_modified: datetime


class Upload(Protocol):
    """One artifact being written; invisible to readers until :meth:`commit`."""

    async def write(self, data: bytes) -> None: ...

    async def commit(self) -> None:
        """Make the object visible atomically (local: fsync+rename+dir fsync; S3: complete multipart)."""
        ...

    async def abort(self) -> None:
        """Remove every trace of the upload (temp file / multipart upload)."""
        ...


class Storage(Protocol):
    async def open_upload(self, key: str, expected_size: int | None = None) -> Upload: ...

    async def put_bytes(self, key: str, data: bytes) -> None:
        """Store a small object (e.g. a manifest) atomically."""
        ...

    def read(self, key: str) -> AsyncIterator[bytes]:
        """Stream the object's bytes in chunks."""
        ...

    async def list(self, prefix: str = "") -> list[StoredObject]: ...

    async def delete(self, key: str) -> bool:
        """Delete the object; False if it was absent."""
        ...

    async def exists(self, key: str) -> bool: ...

    async def download_url(self, key: str, expires_seconds: int) -> str: ...

    async def discard_incomplete(self, key: str) -> int:
        """Remove what an interrupted upload of `key` left behind (a killed process's temp file
        or open multipart upload); returns how many were removed. Committed objects stay."""
        ...

    def describe(self, key: str) -> str:
        """Where `key` lives, for people: `file:///…/key` or `s3://bucket/prefix/key`."""
        ...


MAX_SEGMENT_BYTES = 255


def validate_key(key: str) -> str:
    """Return `key` unchanged, or raise StorageError if it is not a safe relative key."""
    if not key:
        raise StorageError("invalid key: empty")
    if "\x00" in key:
        raise StorageError(f"invalid key {key!r}: contains NUL")
    if "\\" in key:
        raise StorageError(f"invalid key {key!r}: contains a backslash")
    if key.startswith("/"):
        raise StorageError(f"invalid key {key!r}: absolute path")
    segments = key.split("/")
    if any(segment in ("", ".", "..") for segment in segments):
        raise StorageError(f"invalid key {key!r}: empty, '.' or '..' segment")
    # A file name's limit on every common filesystem, so that any key can live on local disk too.
    if any(len(segment.encode()) > MAX_SEGMENT_BYTES for segment in segments):
        raise StorageError(f"invalid key: a segment is longer than {MAX_SEGMENT_BYTES} bytes")
    return key
