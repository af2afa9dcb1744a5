import errno
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from libs.storage import Storage, StorageError, validate_key
from libs.storage.local import LocalStorage


@pytest.fixture
def storage(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "store", url_signer=lambda key, expires: f"/download/{key}?e={expires}")


def temp_files(storage: LocalStorage) -> list[Path]:
    tmp = storage.root / ".tmp"
    return list(tmp.iterdir()) if tmp.exists() else []


async def read_all(storage: Storage, key: str) -> bytes:
    return b"".join([chunk async for chunk in storage.read(key)])


async def test_upload_is_invisible_until_commit(storage: LocalStorage) -> None:
    upload = await storage.open_upload("srv-1/b-1.lbart")
    await upload.write(b"hello ")
    await upload.write(b"world")
    assert not await storage.exists("srv-1/b-1.lbart")
    assert await storage.list() == []
    [temp] = temp_files(storage)
    assert temp.stat().st_mode & 0o777 == 0o600
    await upload.commit()
    assert await storage.exists("srv-1/b-1.lbart")
    assert await read_all(storage, "srv-1/b-1.lbart") == b"hello world"
    assert temp_files(storage) == []


async def test_abort_leaves_no_trace(storage: LocalStorage) -> None:
    upload = await storage.open_upload("b-2.lbart")
    await upload.write(b"partial")
    await upload.abort()
    assert temp_files(storage) == []
    assert not await storage.exists("b-2.lbart")
    with pytest.raises(StorageError, match="already committed or aborted"):
        await upload.write(b"more")


async def test_list_delete_exists_put_bytes(storage: LocalStorage) -> None:
    await storage.put_bytes("a/1.lbart", b"x" * 10)
    await storage.put_bytes("a/1.lbart.manifest.json", b"{}")
    await storage.put_bytes("b/2.lbart", b"")
    assert [(o.key, o.size) for o in await storage.list()] == [
        ("a/1.lbart", 10),
        ("a/1.lbart.manifest.json", 2),
        ("b/2.lbart", 0),
    ]
    assert [o.key for o in await storage.list("a/")] == ["a/1.lbart", "a/1.lbart.manifest.json"]
    assert await storage.delete("a/1.lbart") is True
    assert await storage.delete("a/1.lbart") is False
    assert not await storage.exists("a/1.lbart")


async def test_reads_in_one_mib_chunks(storage: LocalStorage) -> None:
    data = os.urandom(2 * 1024 * 1024 + 5)
    await storage.put_bytes("big", data)
    sizes = [len(chunk) async for chunk in storage.read("big")]
    assert sizes == [1024 * 1024, 1024 * 1024, 5]
    with pytest.raises(StorageError, match="no such object"):
        await read_all(storage, "missing")


async def test_download_url_needs_a_signer(storage: LocalStorage, tmp_path: Path) -> None:
    assert await storage.download_url("a/b", 60) == "/download/a/b?e=60"
    with pytest.raises(StorageError, match="no URL signer"):
        await LocalStorage(tmp_path / "other").download_url("a/b", 60)


@pytest.mark.parametrize(
    "key", ["", "/etc/passwd", "a/../b", "..", "a\\b", "a\x00b", "a//b", "./a", "a/" + "0" * 256]
)
def test_validate_key_rejects_unsafe_keys(key: str) -> None:
    with pytest.raises(StorageError, match="invalid key"):
        validate_key(key)


async def test_unsafe_and_reserved_keys_never_reach_the_disk(storage: LocalStorage) -> None:
    for key in ["../escape", ".tmp/x"]:
        with pytest.raises(StorageError, match="invalid key"):
            await storage.open_upload(key)
    assert validate_key("srv-1/2024/b-1.lbart") == "srv-1/2024/b-1.lbart"
    assert validate_key("a/" + "0" * 255) == "a/" + "0" * 255


async def test_full_disk_simulated_leaves_nothing(
    storage: LocalStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    upload = await storage.open_upload("full.lbart")
    await upload.write(b"fits")

    def no_space(fd: int, data: bytes) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", no_space)
    with pytest.raises(StorageError, match="storage full"):
        await upload.write(b"does not fit")
    monkeypatch.undo()
    assert temp_files(storage) == []
    await upload.abort()
    assert not await storage.exists("full.lbart")


@pytest.fixture
def tiny_tmpfs(tmp_path: Path) -> Iterator[Path]:
    mount_point = tmp_path / "tiny"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount_point)], check=False
    )
    if mounted.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", str(mount_point)], check=True)


async def test_real_full_disk_leaves_nothing(tiny_tmpfs: Path) -> None:
    storage = LocalStorage(tiny_tmpfs)
    upload = await storage.open_upload("full.lbart")
    with pytest.raises(StorageError, match="storage full"):
        for _ in range(4):
            await upload.write(b"x" * 512 * 1024)
    assert temp_files(storage) == []
    await upload.abort()
    assert await storage.list() == []
    await storage.put_bytes("after.json", b"{}")  # the space came back
    assert [o.key for o in await storage.list()] == ["after.json"]
