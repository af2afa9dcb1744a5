"""S3 and S3-compatible storage through aioboto3, with a small bounded multipart uploader.

aioboto3's ``upload_fileobj`` queues up to 100 parts when the reader outruns the network,
so artifacts go through :class:`S3Upload`, which holds at most three parts in memory.
"""

import asyncio
import io
import math
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from typing import Any

import aioboto3
from botocore.config import Config
from botocore.exceptions import ClientError, EndpointConnectionError

from libs.storage.base import StorageError, StoredObject, validate_key

MiB = 1024 * 1024
MIN_PART_SIZE = 5 * MiB  # S3's floor for every part but the last
MAX_PARTS = 10_000
TARGET_PARTS = 9_000  # headroom for an artifact that outgrows its expected size
MAX_IN_FLIGHT = 2
READ_CHUNK = MiB


def part_size_for(expected_size: int | None, preferred: int) -> int:
    """The part size that keeps an artifact of `expected_size` bytes within TARGET_PARTS parts."""
    size = max(preferred, MIN_PART_SIZE)
    if expected_size:
        size = max(size, math.ceil(expected_size / TARGET_PARTS / MiB) * MiB)
    return size


def _reason(exc: Exception) -> str:
    if isinstance(exc, StorageError):
        return str(exc)
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"{error.get('Code', 'error')}: {error.get('Message') or 'no message'}"
    if isinstance(exc, EndpointConnectionError):
        return f"endpoint unreachable: {exc}"
    return f"{type(exc).__name__}: {exc}"


@contextmanager
def _translated(action: str, where: str) -> Iterator[None]:
    try:
        yield
    except Exception as exc:
        raise StorageError(f"S3 {action} {where} failed: {_reason(exc)}") from exc


def _is_missing(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound")


class S3Upload:
    """One multipart upload; the object appears only when :meth:`commit` completes it."""

    def __init__(self, client: Any, stack: AsyncExitStack, where: dict[str, str], part_size: int) -> None:
        self._client, self._stack = client, stack
        self._ids = where  # Bucket, Key, UploadId: the arguments every multipart call takes
        self.part_size = part_size
        self._buffer = io.BytesIO()  # aiohttp streams a file-like body; raw bytes would block the loop
        self._in_flight: dict[asyncio.Task[None], int] = {}  # task -> part size
        self._etags: dict[int, str] = {}
        self._next_part = 1
        self._closed = False
        self.peak_bytes_held = 0  # buffered + in flight; the memory bound tests check

    @property
    def _where(self) -> str:
        return f"s3://{self._ids['Bucket']}/{self._ids['Key']}"

    async def write(self, data: bytes) -> None:
        self._check_open()
        try:
            view = memoryview(data)
            while view:
                room = self.part_size - self._buffer.tell()
                self._buffer.write(view[:room])
                view = view[room:]
                self._note_held()
                if self._buffer.tell() == self.part_size:
                    await self._wait_for_slot(MAX_IN_FLIGHT - 1)
                    self._start_part()
        except Exception as exc:
            raise await self._fail("write", exc) from exc

    async def commit(self) -> None:
        self._check_open()
        try:
            if self._next_part == 1 and not self._buffer.tell():
                await self._client.abort_multipart_upload(**self._ids)
                await self._client.put_object(Bucket=self._ids["Bucket"], Key=self._ids["Key"], Body=b"")
            else:
                if self._buffer.tell():
                    self._start_part()
                await self._wait_for_slot(0)
                parts = [{"PartNumber": n, "ETag": etag} for n, etag in sorted(self._etags.items())]
                await self._client.complete_multipart_upload(**self._ids, MultipartUpload={"Parts": parts})
        except Exception as exc:
            raise await self._fail("commit", exc) from exc
        self._closed = True
        await self._stack.aclose()

    async def abort(self) -> None:
        if self._closed:
            return
        with _translated("abort", self._where):
            await self._discard()

    def _check_open(self) -> None:
        if self._closed:
            raise StorageError(f"upload to {self._where} is already committed or aborted")

    def _note_held(self) -> None:
        held = self._buffer.tell() + sum(self._in_flight.values())
        self.peak_bytes_held = max(self.peak_bytes_held, held)

    async def _wait_for_slot(self, most_in_flight: int) -> None:
        while len(self._in_flight) > most_in_flight:
            done, _ = await asyncio.wait(self._in_flight, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                del self._in_flight[task]
                task.result()

    def _start_part(self) -> None:
        if self._next_part > MAX_PARTS:
            raise StorageError(f"more than {MAX_PARTS} parts of {self.part_size} bytes")
        body, self._buffer = self._buffer, io.BytesIO()
        size = body.tell()
        body.seek(0)
        self._in_flight[asyncio.create_task(self._upload_part(self._next_part, body))] = size
        self._next_part += 1

    async def _upload_part(self, number: int, body: io.BytesIO) -> None:
        reply = await self._client.upload_part(**self._ids, PartNumber=number, Body=body)
        self._etags[number] = str(reply["ETag"])

    async def _discard(self) -> None:
        self._closed = True
        try:
            for task in self._in_flight:
                task.cancel()
            await asyncio.gather(*self._in_flight, return_exceptions=True)
            self._in_flight.clear()
            self._buffer = io.BytesIO()
            await self._client.abort_multipart_upload(**self._ids)
        finally:
            await self._stack.aclose()

    async def _fail(self, action: str, exc: Exception) -> StorageError:
        message = f"S3 {action} {self._where} failed: {_reason(exc)}"
        try:
            await self._discard()
        except Exception as abort_exc:
            message += f"; abort also failed, the multipart upload remains: {_reason(abort_exc)}"
        return StorageError(message)


class S3Storage:
    """Objects under `prefix` in one bucket; keys given and returned are relative to the prefix."""

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        endpoint_url: str | None = None,
        region: str = "us-east-1",
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        part_size: int = 8 * MiB,
    ) -> None:
        if part_size < MIN_PART_SIZE:
            raise ValueError(f"part_size must be at least {MIN_PART_SIZE} bytes")
        self.bucket = bucket
        self._prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self._endpoint_url = endpoint_url
        self._part_size = part_size
        self._session = aioboto3.Session(
            aws_access_key_id=access_key_id, aws_secret_access_key=secret_access_key, region_name=region
        )
        self._config = Config(
            # botocore >= 1.36 adds checksums that some S3-compatible stores reject
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
            retries={"max_attempts": 3, "mode": "standard"},
            connect_timeout=5,
            read_timeout=60,
            s3={"addressing_style": "path"} if endpoint_url else None,
        )

    def _name(self, key: str) -> str:
        return self._prefix + validate_key(key)

    @asynccontextmanager
    async def _client(self, action: str, name: str) -> AsyncIterator[Any]:
        with _translated(action, f"s3://{self.bucket}/{name}"):
            async with self._session.client(
                "s3", endpoint_url=self._endpoint_url, config=self._config
            ) as client:
                yield client

    async def open_upload(self, key: str, expected_size: int | None = None) -> S3Upload:
        name = self._name(key)
        stack = AsyncExitStack()
        try:
            client = await stack.enter_async_context(self._client("open upload", name))
            with _translated("open upload", f"s3://{self.bucket}/{name}"):
                reply = await client.create_multipart_upload(Bucket=self.bucket, Key=name)
        except BaseException:
            await stack.aclose()
            raise
        where = {"Bucket": self.bucket, "Key": name, "UploadId": str(reply["UploadId"])}
        return S3Upload(client, stack, where, part_size_for(expected_size, self._part_size))

    async def put_bytes(self, key: str, data: bytes) -> None:
        name = self._name(key)
        async with self._client("put", name) as client:
            await client.put_object(Bucket=self.bucket, Key=name, Body=io.BytesIO(data))

    async def read(self, key: str) -> AsyncIterator[bytes]:
        name = self._name(key)
        async with self._client("read", name) as client:
            body = (await client.get_object(Bucket=self.bucket, Key=name))["Body"]
            async with body:  # entering yields the raw aiohttp response, so keep the wrapper
                chunk = bytearray()
                while piece := await body.read(READ_CHUNK - len(chunk)):
                    chunk += piece
                    if len(chunk) == READ_CHUNK:
                        yield bytes(chunk)
                        chunk.clear()
                if chunk:
                    yield bytes(chunk)

    async def delete(self, key: str) -> bool:
        name = self._name(key)
        async with self._client("delete", name) as client:
            if not await self._head(client, name):
                return False
            await client.delete_object(Bucket=self.bucket, Key=name)
        return True

    async def exists(self, key: str) -> bool:
        name = self._name(key)
        async with self._client("head", name) as client:
            return await self._head(client, name)

    async def _head(self, client: Any, name: str) -> bool:
        try:
            await client.head_object(Bucket=self.bucket, Key=name)
        except ClientError as exc:
            if _is_missing(exc):
                return False
            raise
        return True

    async def download_url(self, key: str, expires_seconds: int) -> str:
        name = self._name(key)
        async with self._client("presign", name) as client:
            params = {"Bucket": self.bucket, "Key": name}
            return str(
                await client.generate_presigned_url("get_object", Params=params, ExpiresIn=expires_seconds)
            )

    async def discard_incomplete(self, key: str) -> int:
        name = self._name(key)
        async with self._client("abort stale uploads", name) as client:
            reply = await client.list_multipart_uploads(Bucket=self.bucket, Prefix=name)
            stale = [u for u in reply.get("Uploads", []) if u["Key"] == name]
            for upload in stale:
                await client.abort_multipart_upload(Bucket=self.bucket, Key=name, UploadId=upload["UploadId"])
        return len(stale)

    def describe(self, key: str) -> str:
        return f"s3://{self.bucket}/{self._name(key)}"

    async def list(self, prefix: str = "") -> list[StoredObject]:
        objects: list[StoredObject] = []
        async with self._client("list", self._prefix + prefix) as client:
            pages = client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=self._prefix + prefix
            )
            async for page in pages:
                for item in page.get("Contents", []):
                    key, size, modified = item["Key"], item["Size"], item["LastModified"]
                    objects.append(StoredObject(key[len(self._prefix) :], size, modified))
        return objects
