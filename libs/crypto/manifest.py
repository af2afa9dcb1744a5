"""The manifest stored beside each artifact as `<artifact_key>.manifest.json`.

It makes storage self-describing: the catalog can be rebuilt from a bucket, and a restore
can check sizes and SHA-256 digests before trusting the bytes.
"""

from datetime import UTC, datetime

import msgspec

from libs.crypto.artifact import FORMAT_VERSION, ArtifactWriter

MANIFEST_SUFFIX = ".manifest.json"


class ManifestError(ValueError):
    pass


class Manifest(msgspec.Struct, frozen=True, kw_only=True):
    format_version: int
    backup_id: str
    engine: str
    tool_version: str
    created_at: datetime
    compression: str
    key_id: str
    chunk_size: int
    plain_size: int
    stored_size: int
    sha256_plain: str
    sha256_stored: str
    artifact_key: str

    def encode(self) -> bytes:
        return msgspec.json.format(msgspec.json.encode(self))

    @classmethod
    def decode(cls, data: bytes) -> "Manifest":
        try:
            return msgspec.json.decode(data, type=cls)
        except msgspec.DecodeError as exc:
            raise ManifestError(f"not a valid manifest: {exc}") from None


def manifest_key(artifact_key: str) -> str:
    return artifact_key + MANIFEST_SUFFIX


def manifest_for(writer: ArtifactWriter, artifact_key: str, *, engine: str, tool_version: str) -> Manifest:
    """The manifest of a finished artifact, from what its writer counted."""
    header = writer.header_fields
    return Manifest(
        format_version=FORMAT_VERSION,
        backup_id=header.backup_id,
        engine=engine,
        tool_version=tool_version,
        created_at=datetime.now(UTC),
        compression=header.compression,
        key_id=header.key_id,
        chunk_size=header.chunk_size,
        plain_size=writer.plain_size,
        stored_size=writer.stored_size,
        sha256_plain=writer.sha256_plain,
        sha256_stored=writer.sha256_stored,
        artifact_key=artifact_key,
    )
