import base64
import json
import os
import struct
import tracemalloc

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from libs.crypto.artifact import MAGIC, ArtifactError, ArtifactWriter, Compression
from libs.crypto.artifact_reader import ArtifactReader
from libs.crypto.keyring import Keyring

COMPRESSIONS: list[Compression] = ["zstd", "gzip", "none"]


def keyring(key_id: str = "mk-test", key: bytes = b"k" * 32) -> Keyring:
    return Keyring(current=key_id, keys={key_id: base64.b64encode(key).decode()})


KEYRING = keyring()


def write(plain: bytes, compression: Compression = "none", chunk_size: int = 64, pieces: int = 1) -> bytes:
    writer = ArtifactWriter(KEYRING, "b-1", compression, chunk_size)
    step = max(1, len(plain) // pieces)
    stored = writer.header() + b"".join(writer.feed(plain[i : i + step]) for i in range(0, len(plain), step))
    stored += writer.finish()
    assert writer.stored_size == len(stored)
    assert writer.plain_size == len(plain)
    return stored


def read(stored: bytes, ring: Keyring = KEYRING, piece: int = 1000) -> bytes:
    reader = ArtifactReader(ring)
    plain = b"".join(reader.feed(stored[i : i + piece]) for i in range(0, len(stored), piece))
    reader.finish()
    return plain


def records(stored: bytes) -> tuple[bytes, list[bytes]]:
    """Split an artifact into its header and its records (each with its length prefix)."""
    offset = len(MAGIC) + 4 + struct.unpack_from(">I", stored, len(MAGIC))[0]
    header, found = stored[:offset], []
    while offset < len(stored):
        size = struct.unpack_from(">I", stored, offset)[0]
        found.append(stored[offset : offset + 4 + size])
        offset += 4 + size
    return header, found


def sample(size: int) -> bytes:
    lines = (f"{i}\t{i % 7}\t{i * 31 % 1000}\t{'x' * (i % 50)}\n" for i in range(size))
    return "".join(lines).encode()[:size]


@pytest.mark.parametrize("compression", COMPRESSIONS)
@pytest.mark.parametrize("size", [0, 1, 63, 64, 65, 640, 100_001])
def test_round_trip(compression: Compression, size: int) -> None:
    plain = sample(size)
    assert read(write(plain, compression, pieces=3)) == plain


@pytest.mark.parametrize("compression", COMPRESSIONS)
def test_digests_match_between_writer_and_reader(compression: Compression) -> None:
    writer = ArtifactWriter(KEYRING, "b-1", compression, 1024)
    stored = writer.header() + writer.feed(os.urandom(5000)) + writer.feed(sample(9000)) + writer.finish()
    reader = ArtifactReader(KEYRING)
    reader.feed(stored)
    reader.finish()
    assert (reader.sha256_stored, reader.sha256_plain) == (writer.sha256_stored, writer.sha256_plain)
    assert (reader.stored_size, reader.plain_size) == (writer.stored_size, writer.plain_size)


@pytest.mark.parametrize("compression", COMPRESSIONS)
def test_no_record_expands_to_much_more_than_four_chunks(compression: Compression) -> None:
    header, found = records(write(b"\0" * 100_000 + sample(20_000), compression, chunk_size=256, pieces=7))
    reader = ArtifactReader(KEYRING)
    reader.feed(header)
    expansions = [len(reader.feed(record)) for record in found]
    reader.finish()
    assert sum(expansions) == 120_000
    assert max(expansions) <= 5 * 256


def test_a_flipped_byte_names_its_chunk() -> None:
    stored = bytearray(write(sample(1000)))
    header, found = records(bytes(stored))
    stored[len(header) + len(found[0]) + len(found[1]) + 10] ^= 0x01
    with pytest.raises(ArtifactError, match="chunk 2 failed authentication"):
        read(bytes(stored))


def test_missing_final_chunk_is_truncation() -> None:
    header, found = records(write(sample(1000)))
    with pytest.raises(ArtifactError, match="truncated: no final chunk"):
        read(header + b"".join(found[:-1]))


def test_cut_inside_the_final_chunk_is_truncation() -> None:
    with pytest.raises(ArtifactError, match="truncated: no final chunk"):
        read(write(sample(1000))[:-5])


def test_swapped_chunks_fail() -> None:
    header, found = records(write(sample(1000)))
    found[1], found[2] = found[2], found[1]
    with pytest.raises(ArtifactError, match="chunk 1 failed authentication"):
        read(header + b"".join(found))


def test_bytes_after_final_chunk_fail() -> None:
    with pytest.raises(ArtifactError, match="data after final chunk"):
        read(write(sample(1000)) + b"\x00")
    reader = ArtifactReader(KEYRING)
    reader.feed(write(sample(10)))
    with pytest.raises(ArtifactError, match="data after final chunk"):
        reader.feed(b"more")


def test_dropping_an_empty_final_record_is_truncation() -> None:
    header, found = records(write(sample(640)))  # ten full records, then an empty final one
    with pytest.raises(ArtifactError, match="truncated"):
        read(header + b"".join(found[:-1]))


def test_changed_backup_id_in_header_fails() -> None:
    stored = write(sample(1000))
    altered = stored.replace(b'"backup_id":"b-1"', b'"backup_id":"b-2"', 1)
    assert altered != stored
    with pytest.raises(ArtifactError, match="header"):
        read(altered)


def test_changed_header_field_outside_the_key_wrap_fails_at_chunk_0() -> None:
    stored = write(sample(1000), "none")
    altered = stored.replace(b'"compression":"none"', b'"compression":"zstd"', 1)
    with pytest.raises(ArtifactError, match="chunk 0 failed authentication"):
        read(altered)


def test_wrong_keyring() -> None:
    stored = write(sample(1000))
    with pytest.raises(ArtifactError, match="unknown master key mk-test"):
        read(stored, keyring("mk-other"))
    with pytest.raises(ArtifactError, match="header: data key does not open with master key mk-test"):
        read(stored, keyring("mk-test", b"z" * 32))


def test_bad_magic_and_bad_header() -> None:
    with pytest.raises(ArtifactError, match="bad magic"):
        ArtifactReader(KEYRING).feed(b"PGDMP\x01\x0e")
    body = json.dumps({"format_version": 2}).encode()
    with pytest.raises(ArtifactError, match="header"):
        ArtifactReader(KEYRING).feed(MAGIC + struct.pack(">I", len(body)) + body)
    with pytest.raises(ArtifactError, match="header: truncated"):
        ArtifactReader(KEYRING).finish()


def test_older_master_key_still_opens_after_rotation() -> None:
    stored = write(sample(1000))
    assert read(stored, KEYRING.rotated()) == sample(1000)


@pytest.mark.parametrize("compression", COMPRESSIONS)
def test_memory_stays_bounded_by_the_chunk_size(compression: Compression) -> None:
    writer, reader = ArtifactWriter(KEYRING, "b-big", compression), ArtifactReader(KEYRING)
    piece = sample(1024 * 1024)  # the same piece again and again: zstd shrinks it ~1000 times
    tracemalloc.start()
    try:
        reader.feed(writer.header())
        for _ in range(64):
            reader.feed(writer.feed(piece))
        reader.feed(writer.finish())
        reader.finish()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert reader.plain_size == writer.plain_size == 64 * len(piece)
    assert peak < 12 * 1024 * 1024


@settings(max_examples=60, deadline=None)
@given(
    plain=st.binary(max_size=3000),
    cuts=st.lists(st.integers(min_value=0, max_value=3000), max_size=8),
    compression=st.sampled_from(COMPRESSIONS),
    chunk_size=st.integers(min_value=1, max_value=300),
    read_piece=st.integers(min_value=1, max_value=500),
)
def test_any_split_round_trips(
    plain: bytes, cuts: list[int], compression: Compression, chunk_size: int, read_piece: int
) -> None:
    writer = ArtifactWriter(KEYRING, "b-prop", compression, chunk_size)
    bounds = [0, *sorted(c % (len(plain) + 1) for c in cuts), len(plain)]
    stored = writer.header() + b"".join(
        writer.feed(plain[a:b]) for a, b in zip(bounds, bounds[1:], strict=False)
    )
    stored += writer.finish()
    assert read(stored, piece=read_piece) == plain
