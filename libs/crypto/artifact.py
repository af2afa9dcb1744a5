"""The backup artifact format: compressed, then chunked AES-256-GCM; pure, no I/O.

Layout (all integers big-endian), enough to decrypt by hand:

    header  = b"LBART1\\n" || u32 len(J) || J
      J     = JSON {"format_version": 1, "backup_id": str, "key_id": str, "wrapped_key": b64,
                    "chunk_size": int, "compression": "zstd" | "gzip" | "none"}
    body    = record*,  record = u32 len(C) || C

1. data_key = AES-GCM-decrypt(key = master key `key_id` from the keyring,
                              nonce = wrapped_key[:12], ciphertext+tag = wrapped_key[12:],
                              aad = b"lifeboat-data-key|" + backup_id + b"|" + key_id)   (32 bytes)
2. Record i (from 0): P_i = AES-GCM-decrypt(key = data_key, nonce = i as 12 bytes,
                              ciphertext+tag = C,
                              aad = sha256(header) || i as u64 || final flag as 1 byte).
   The last record has flag 1 (it may be empty), all others flag 0; nothing may follow it.
   A reader tries flag 0, then flag 1.
3. P_0 || P_1 || ... is one zstd frame, one gzip member, or the raw dump (`compression`).
   Each P_i is at most `chunk_size` bytes. Writers also end a record, after a compressor
   block flush, once 4 * chunk_size dump bytes went in since the last flush, so no record
   expands to much more than that and readers need little memory even for very
   compressible dumps.

Position and finality are authenticated, so reordered, truncated, extended or re-headed
artifacts fail; the header is bound through the wrapped key's AAD and sha256(header).
"""

import base64
import hashlib
import secrets
import struct
import zlib
from typing import Literal, Protocol

import msgspec
import zstandard
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from libs.crypto.keyring import Keyring

MAGIC = b"LBART1\n"
FORMAT_VERSION = 1
DEFAULT_CHUNK_SIZE = 1024 * 1024
MAX_CHUNK_SIZE = 64 * 1024 * 1024
MAX_HEADER_BYTES = 64 * 1024
TAG_BYTES = 16
PLAIN_PER_FLUSH = 4  # chunk sizes of dump bytes between compressor flushes
Compression = Literal["zstd", "gzip", "none"]


class ArtifactError(ValueError):
    """The artifact is damaged, altered or needs another key; the message names the failed check."""


class ArtifactHeader(msgspec.Struct, frozen=True, kw_only=True):
    format_version: int
    backup_id: str
    key_id: str
    wrapped_key: str
    chunk_size: int
    compression: Compression


class _Codec(Protocol):
    def compress(self, data: bytes, /) -> bytes: ...
    def flush(self, mode: int = ..., /) -> bytes: ...


class _Decoder(Protocol):
    @property
    def eof(self) -> bool: ...
    @property
    def unused_data(self) -> bytes: ...
    def decompress(self, data: bytes, /) -> bytes: ...


class _Identity:
    eof = True
    unused_data = b""

    def compress(self, data: bytes, /) -> bytes:
        return bytes(data)

    decompress = compress

    def flush(self, mode: int = 0, /) -> bytes:
        return b""


def _codec(compression: Compression) -> tuple[_Codec, int]:
    """The compressor and its flush mode that ends a block but not the stream."""
    if compression == "zstd":
        return zstandard.ZstdCompressor(level=3).compressobj(), zstandard.COMPRESSOBJ_FLUSH_BLOCK
    if compression == "gzip":
        return zlib.compressobj(6, zlib.DEFLATED, 31), zlib.Z_SYNC_FLUSH
    return _Identity(), 0


def _decoder(compression: Compression) -> _Decoder:
    if compression == "zstd":
        return zstandard.ZstdDecompressor().decompressobj()
    if compression == "gzip":
        return zlib.decompressobj(31)
    return _Identity()


def _wrap_aad(backup_id: str, key_id: str) -> bytes:
    return f"lifeboat-data-key|{backup_id}|{key_id}".encode()


def _chunk_aad(header_digest: bytes, index: int, final: bool) -> bytes:
    return header_digest + struct.pack(">QB", index, final)


def _nonce(index: int) -> bytes:
    return index.to_bytes(12, "big")


class ArtifactWriter:
    """Turns plain dump bytes into stored artifact bytes; write header() first, then feed()…, finish()."""

    def __init__(
        self, keyring: Keyring, backup_id: str, compression: Compression, chunk_size: int = DEFAULT_CHUNK_SIZE
    ) -> None:
        if not 1 <= chunk_size <= MAX_CHUNK_SIZE:
            raise ValueError(f"chunk_size must be between 1 and {MAX_CHUNK_SIZE}")
        data_key, wrap_nonce = secrets.token_bytes(32), secrets.token_bytes(12)
        wrapped = AESGCM(keyring.current_key).encrypt(
            wrap_nonce, data_key, _wrap_aad(backup_id, keyring.current)
        )
        fields = ArtifactHeader(
            format_version=FORMAT_VERSION,
            backup_id=backup_id,
            key_id=keyring.current,
            wrapped_key=base64.b64encode(wrap_nonce + wrapped).decode(),
            chunk_size=chunk_size,
            compression=compression,
        )
        self.header_fields = fields
        body = msgspec.json.encode(fields)
        self._header = MAGIC + struct.pack(">I", len(body)) + body
        self._header_digest = hashlib.sha256(self._header).digest()
        self._aes = AESGCM(data_key)
        self._codec, self._block_flush = _codec(compression)
        self._plain_since_flush = 0
        self._pending = bytearray()
        self._index = 0
        self._finished = False
        self.plain_size = 0
        self.stored_size = len(self._header)
        self._sha_plain = hashlib.sha256()
        self._sha_stored = hashlib.sha256(self._header)

    @property
    def sha256_plain(self) -> str:
        return self._sha_plain.hexdigest()

    @property
    def sha256_stored(self) -> str:
        return self._sha_stored.hexdigest()

    def header(self) -> bytes:
        return self._header

    def feed(self, plain: bytes | bytearray | memoryview) -> bytes:
        if self._finished:
            raise ValueError("feed() after finish()")
        self.plain_size += len(plain)
        self._sha_plain.update(plain)
        size = self.header_fields.chunk_size
        stored = []
        with memoryview(plain) as view:
            for offset in range(0, len(view), size):
                piece = view[offset : offset + size]
                self._pending += self._codec.compress(piece)  # type: ignore[arg-type]  # any buffer works
                self._plain_since_flush += len(piece)
                stored.append(self._seal_full_chunks())
                if self._plain_since_flush >= PLAIN_PER_FLUSH * size:
                    stored.append(self._flush_block())
        return b"".join(stored)

    def finish(self) -> bytes:
        if self._finished:
            raise ValueError("finish() called twice")
        self._finished = True
        self._pending += self._codec.flush()
        full = self._seal_full_chunks()
        return full + self._record(bytes(self._pending), final=True)

    def _flush_block(self) -> bytes:
        self._plain_since_flush = 0
        self._pending += self._codec.flush(self._block_flush)
        stored = self._seal_full_chunks()
        if self._pending:
            stored += self._record(bytes(self._pending), final=False)
            self._pending.clear()
        return stored

    def _seal_full_chunks(self) -> bytes:
        size = self.header_fields.chunk_size
        full = len(self._pending) - len(self._pending) % size
        if not full:
            return b""
        records = [self._record(bytes(self._pending[o : o + size]), False) for o in range(0, full, size)]
        del self._pending[:full]
        return b"".join(records)

    def _record(self, chunk: bytes, final: bool) -> bytes:
        sealed = self._aes.encrypt(
            _nonce(self._index), chunk, _chunk_aad(self._header_digest, self._index, final)
        )
        record = struct.pack(">I", len(sealed)) + sealed
        self._index += 1
        self.stored_size += len(record)
        self._sha_stored.update(record)
        return record
