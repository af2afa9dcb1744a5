"""Reading artifacts: the incremental inverse of `libs.crypto.artifact.ArtifactWriter`."""

import base64
import binascii
import hashlib
import struct
import zlib

import msgspec
import zstandard
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from libs.crypto.artifact import (
    FORMAT_VERSION,
    MAGIC,
    MAX_CHUNK_SIZE,
    MAX_HEADER_BYTES,
    TAG_BYTES,
    ArtifactError,
    ArtifactHeader,
    _chunk_aad,
    _Decoder,
    _decoder,
    _Identity,
    _nonce,
    _wrap_aad,
)
from libs.crypto.keyring import Keyring


class ArtifactReader:
    """Incremental inverse of ArtifactWriter: feed() stored bytes, get plain bytes; then finish()."""

    def __init__(self, keyring: Keyring) -> None:
        self._keyring = keyring
        self._buffer = bytearray()
        self._index = 0
        self._final_seen = False
        self._aes: AESGCM | None = None
        self._decoder: _Decoder = _Identity()
        self._header_digest = b""
        self.header: ArtifactHeader | None = None
        self.plain_size = 0
        self.stored_size = 0
        self._sha_plain = hashlib.sha256()
        self._sha_stored = hashlib.sha256()

    @property
    def sha256_plain(self) -> str:
        return self._sha_plain.hexdigest()

    @property
    def sha256_stored(self) -> str:
        return self._sha_stored.hexdigest()

    def feed(self, stored: bytes | bytearray | memoryview) -> bytes:
        if self._final_seen and len(stored):
            raise ArtifactError("data after final chunk")
        self.stored_size += len(stored)
        self._sha_stored.update(stored)
        self._buffer += stored
        if self.header is None and not self._read_header():
            return b""
        plain = self._read_records()
        self.plain_size += len(plain)
        self._sha_plain.update(plain)
        return plain

    def finish(self) -> None:
        if self.header is None:
            raise ArtifactError("header: truncated")
        if not self._final_seen:
            raise ArtifactError("truncated: no final chunk")

    def _read_header(self) -> bool:
        if not MAGIC.startswith(bytes(self._buffer[: len(MAGIC)])):
            raise ArtifactError("bad magic: not a Lifeboat artifact")
        if len(self._buffer) < len(MAGIC) + 4:
            return False
        (size,) = struct.unpack_from(">I", self._buffer, len(MAGIC))
        if size > MAX_HEADER_BYTES:
            raise ArtifactError(f"header: {size} bytes is too long")
        end = len(MAGIC) + 4 + size
        if len(self._buffer) < end:
            return False
        raw = bytes(self._buffer[:end])
        del self._buffer[:end]
        try:
            header = msgspec.json.decode(raw[len(MAGIC) + 4 :], type=ArtifactHeader)
        except msgspec.DecodeError as exc:
            raise ArtifactError(f"header: {exc}") from None
        if header.format_version != FORMAT_VERSION:
            raise ArtifactError(f"header: unsupported format_version {header.format_version}")
        if not 1 <= header.chunk_size <= MAX_CHUNK_SIZE:
            raise ArtifactError(f"header: chunk_size {header.chunk_size} out of range")
        if header.key_id not in self._keyring.keys:
            raise ArtifactError(f"unknown master key {header.key_id}")
        self._aes = AESGCM(self._unwrap(header))
        self._decoder = _decoder(header.compression)
        self._header_digest = hashlib.sha256(raw).digest()
        self.header = header
        return True

    def _unwrap(self, header: ArtifactHeader) -> bytes:
        try:
            wrapped = base64.b64decode(header.wrapped_key, validate=True)
            return AESGCM(self._keyring.key(header.key_id)).decrypt(
                wrapped[:12], wrapped[12:], _wrap_aad(header.backup_id, header.key_id)
            )
        except (binascii.Error, InvalidTag, ValueError):
            raise ArtifactError(
                f"header: data key does not open with master key {header.key_id} (altered or wrong key)"
            ) from None

    def _read_records(self) -> bytes:
        assert self.header is not None and self._aes is not None
        full_record = self.header.chunk_size + TAG_BYTES
        plain: list[bytes] = []
        offset = 0
        while len(self._buffer) - offset >= 4:
            (size,) = struct.unpack_from(">I", self._buffer, offset)
            if not TAG_BYTES <= size <= full_record:
                raise ArtifactError(f"chunk {self._index} failed authentication (record length {size})")
            if len(self._buffer) - offset - 4 < size:
                break
            chunk, final = self._open_record(bytes(self._buffer[offset + 4 : offset + 4 + size]))
            offset += 4 + size
            plain.append(self._decompress(chunk, final))
            self._index += 1
            if final:
                self._final_seen = True
                if len(self._buffer) > offset:
                    raise ArtifactError("data after final chunk")
                break
        del self._buffer[:offset]
        return b"".join(plain)

    def _open_record(self, sealed: bytes) -> tuple[bytes, bool]:
        assert self._aes is not None
        for final in (False, True):
            try:
                aad = _chunk_aad(self._header_digest, self._index, final)
                return self._aes.decrypt(_nonce(self._index), sealed, aad), final
            except InvalidTag:
                pass
        raise ArtifactError(f"chunk {self._index} failed authentication")

    def _decompress(self, chunk: bytes, final: bool) -> bytes:
        try:
            plain = self._decoder.decompress(chunk) if chunk else b""
        except (zstandard.ZstdError, zlib.error) as exc:
            raise ArtifactError(f"decompression: {exc}") from None
        if self._decoder.unused_data:
            raise ArtifactError("decompression: data after the end of the compressed stream")
        if final and not self._decoder.eof:
            raise ArtifactError("decompression: compressed stream ends early")
        return plain
