"""S3Storage against a real S3-compatible server (moto_server) on loopback."""

import asyncio
import itertools
import os
import random
import time
from collections.abc import Iterator
from typing import Any

import boto3
import httpx
import pytest

from libs.embedded import free_port
from libs.storage import StorageError
from libs.storage.s3 import MAX_PARTS, MIN_PART_SIZE, TARGET_PARTS, MiB, S3Storage, S3Upload, part_size_for
from tests.support.s3 import moto_s3_server

ACCESS_KEY = "lifeboat-test-key"
SECRET_KEY = "lifeboat-test-secret-never-logged"
PART = 5 * MiB
_bucket_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    with moto_s3_server() as url:
        yield url


def admin_client(endpoint: str) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
    )


@pytest.fixture
def admin(s3_endpoint: str) -> Any:
    return admin_client(s3_endpoint)


@pytest.fixture
def bucket(admin: Any) -> str:
    name = f"lifeboat-test-{next(_bucket_numbers)}"
    admin.create_bucket(Bucket=name)
    return name


def storage_for(endpoint: str, bucket: str, prefix: str = "") -> S3Storage:
    return S3Storage(
        bucket,
        prefix=prefix,
        endpoint_url=endpoint,
        access_key_id=ACCESS_KEY,
        secret_access_key=SECRET_KEY,
        part_size=PART,
    )


@pytest.fixture
def storage(s3_endpoint: str, bucket: str) -> S3Storage:
    return storage_for(s3_endpoint, bucket, prefix="backups")


def irregular_writes(data: bytes, seed: int = 7) -> Iterator[bytes]:
    rng = random.Random(seed)
    offset = 0
    while offset < len(data):
        size = rng.choice([1, 17, 4096, 65_536, 1_000_003, 3 * MiB + 5, 7 * MiB])
        yield data[offset : offset + size]
        offset += size


async def read_all(storage: S3Storage, key: str) -> bytes:
    return b"".join([chunk async for chunk in storage.read(key)])


def open_multipart_uploads(admin: Any, bucket: str) -> list[Any]:
    return list(admin.list_multipart_uploads(Bucket=bucket).get("Uploads", []))


class SlowParts:
    """Delays every part upload so the writer outruns the network, and counts parts in flight."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.in_flight = 0
        self.most_in_flight = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    async def upload_part(self, **kwargs: Any) -> Any:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await asyncio.sleep(0.2)
            return await self._client.upload_part(**kwargs)
        finally:
            self.in_flight -= 1


async def test_upload_is_invisible_until_commit_and_round_trips(storage: S3Storage, admin: Any, bucket: str):
    data = os.urandom(25 * MiB)
    upload = await storage.open_upload("srv-1/b-1.lbart", expected_size=len(data))
    for piece in irregular_writes(data):
        await upload.write(piece)
        assert not await storage.exists("srv-1/b-1.lbart")
    assert await storage.list() == []

    await upload.commit()

    assert await read_all(storage, "srv-1/b-1.lbart") == data
    [stored] = await storage.list("srv-1/")
    assert (stored.key, stored.size) == ("srv-1/b-1.lbart", len(data))
    assert stored.last_modified.tzinfo is not None
    assert open_multipart_uploads(admin, bucket) == []
    assert admin.head_object(Bucket=bucket, Key="backups/srv-1/b-1.lbart")["ContentLength"] == len(data)


async def test_read_streams_chunks_of_about_one_mib(storage: S3Storage):
    await storage.put_bytes("manifest.json", os.urandom(3 * MiB + 10))
    sizes = [len(chunk) async for chunk in storage.read("manifest.json")]
    assert sizes == [MiB, MiB, MiB, 10]


async def test_memory_stays_bounded_when_the_writer_outruns_the_network(storage: S3Storage):
    data = os.urandom(30 * MiB)
    upload = await storage.open_upload("slow.lbart")
    assert isinstance(upload, S3Upload)
    slow = SlowParts(upload._client)
    upload._client = slow
    for piece in irregular_writes(data, seed=11):
        await upload.write(piece)
        assert slow.in_flight <= 2
    await upload.commit()

    assert slow.most_in_flight == 2
    assert 2 * PART < upload.peak_bytes_held <= 3 * PART  # the caller's current write is the only extra
    assert await read_all(storage, "slow.lbart") == data


async def test_abort_mid_upload_leaves_nothing(storage: S3Storage, admin: Any, bucket: str):
    upload = await storage.open_upload("aborted.lbart")
    await upload.write(os.urandom(12 * MiB))
    assert len(open_multipart_uploads(admin, bucket)) == 1

    await upload.abort()

    assert open_multipart_uploads(admin, bucket) == []
    assert not await storage.exists("aborted.lbart")
    assert await storage.list() == []
    with pytest.raises(StorageError, match="already committed or aborted"):
        await upload.commit()


async def test_caller_failure_between_writes_then_abort_leaves_nothing(
    storage: S3Storage, admin: Any, bucket: str
):
    upload = await storage.open_upload("dump-failed.lbart")
    with pytest.raises(RuntimeError, match="pg_dump exited with 1"):
        try:
            await upload.write(os.urandom(6 * MiB))
            raise RuntimeError("pg_dump exited with 1")
        except BaseException:
            await upload.abort()
            raise
    assert open_multipart_uploads(admin, bucket) == []
    assert admin.list_objects_v2(Bucket=bucket).get("KeyCount") == 0


async def test_empty_artifact_is_a_zero_byte_object(storage: S3Storage, admin: Any, bucket: str):
    upload = await storage.open_upload("empty.lbart")
    await upload.commit()
    assert [(o.key, o.size) for o in await storage.list()] == [("empty.lbart", 0)]
    assert await read_all(storage, "empty.lbart") == b""
    assert open_multipart_uploads(admin, bucket) == []


async def test_missing_bucket_is_a_storage_error_naming_it(s3_endpoint: str):
    storage = storage_for(s3_endpoint, "no-such-bucket-here")
    with pytest.raises(StorageError, match="no-such-bucket-here.*NoSuchBucket"):
        await storage.open_upload("a.lbart")
    with pytest.raises(StorageError, match="no-such-bucket-here"):
        await storage.put_bytes("a.json", b"{}")
    with pytest.raises(StorageError, match="no-such-bucket-here"):
        await storage.list()


async def test_unreachable_endpoint_fails_fast_without_leaking_the_secret():
    storage = storage_for(f"http://127.0.0.1:{free_port()}", "any-bucket")
    started = time.monotonic()
    with pytest.raises(StorageError, match="endpoint unreachable") as caught:
        await storage.open_upload("a.lbart")
    assert time.monotonic() - started < 10
    assert SECRET_KEY not in str(caught.value)
    assert SECRET_KEY not in repr(storage)


async def test_server_dying_mid_upload_aborts_with_a_storage_error():
    with moto_s3_server() as endpoint:
        admin_client(endpoint).create_bucket(Bucket="short-lived")
        storage = storage_for(endpoint, "short-lived")
        upload = await storage.open_upload("doomed.lbart")
        await upload.write(os.urandom(PART))
    started = time.monotonic()
    with pytest.raises(StorageError, match="s3://short-lived/doomed.lbart"):
        await upload.write(os.urandom(PART))
        await upload.commit()
    assert time.monotonic() - started < 20
    await upload.abort()


async def test_presigned_url_downloads_the_bytes(storage: S3Storage):
    await storage.put_bytes("srv-1/b-2.lbart", b"artifact bytes")
    url = await storage.download_url("srv-1/b-2.lbart", expires_seconds=60)
    async with httpx.AsyncClient() as client:
        reply = await client.get(url)
    assert reply.status_code == 200
    assert reply.content == b"artifact bytes"


async def test_delete_reports_whether_the_object_was_there(storage: S3Storage):
    await storage.put_bytes("old.lbart", b"x")
    assert await storage.delete("old.lbart") is True
    assert await storage.delete("old.lbart") is False
    assert not await storage.exists("old.lbart")


async def test_read_of_a_missing_object_is_a_storage_error(storage: S3Storage):
    with pytest.raises(StorageError, match="NoSuchKey"):
        await read_all(storage, "nope.lbart")


async def test_listing_is_relative_to_the_storage_prefix(s3_endpoint: str, bucket: str):
    tenant_a = storage_for(s3_endpoint, bucket, "tenant-a")
    tenant_b = storage_for(s3_endpoint, bucket, "tenant-b")
    for number in range(3):
        await tenant_a.put_bytes(f"srv-{number}/m.json", b"{}")
    await tenant_b.put_bytes("srv-0/m.json", b"{}")
    assert sorted(o.key for o in await tenant_a.list()) == ["srv-0/m.json", "srv-1/m.json", "srv-2/m.json"]
    assert [o.key for o in await tenant_a.list("srv-1/")] == ["srv-1/m.json"]
    assert [o.key for o in await tenant_b.list()] == ["srv-0/m.json"]


async def test_unsafe_keys_are_rejected(storage: S3Storage):
    with pytest.raises(StorageError, match="invalid key"):
        await storage.put_bytes("../escape", b"x")


@pytest.mark.parametrize("expected_size", [None, 0, 1, 10 * MiB, 200 * 1024**3, 5 * 1024**4])
def test_part_size_keeps_parts_within_limits(expected_size: int | None):
    part_size = part_size_for(expected_size, PART)
    assert part_size >= MIN_PART_SIZE
    if expected_size:
        assert -(-expected_size // part_size) <= TARGET_PARTS < MAX_PARTS


def test_part_size_for_200_gib():
    part_size = part_size_for(200 * 1024**3, 8 * MiB)
    assert part_size == 23 * MiB
    assert 200 * 1024**3 / part_size <= 9_000
