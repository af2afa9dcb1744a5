"""`lifeboat artifact verify|decrypt`: check or decrypt an artifact offline, with only the master key."""

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from libs import config
from libs.crypto.artifact import ArtifactError
from libs.crypto.artifact_reader import ArtifactReader
from libs.crypto.keyring import Keyring, KeyringError, load_keyring
from libs.crypto.manifest import Manifest, manifest_key


def read_artifact(path: Path, keyring: Keyring, sink: Callable[[bytes], object]) -> int:
    """Decrypt `path` into `sink`, checking every chunk and, if a manifest lies beside it, its digests."""
    manifest_path = path.with_name(manifest_key(path.name))
    manifest = Manifest.decode(manifest_path.read_bytes()) if manifest_path.exists() else None
    reader = ArtifactReader(keyring)
    with path.open("rb") as stored:
        while piece := stored.read(1024 * 1024):
            sink(reader.feed(piece))
    reader.finish()
    if manifest is None:
        print(f"lifeboat: no {manifest_path.name}; sizes and digests not compared", file=sys.stderr)
        return reader.plain_size
    assert reader.header is not None
    for field, found, expected in [
        ("backup_id", reader.header.backup_id, manifest.backup_id),
        ("stored_size", reader.stored_size, manifest.stored_size),
        ("sha256_stored", reader.sha256_stored, manifest.sha256_stored),
        ("plain_size", reader.plain_size, manifest.plain_size),
        ("sha256_plain", reader.sha256_plain, manifest.sha256_plain),
    ]:
        if found != expected:
            raise ArtifactError(f"{field} {found} does not match the manifest's {expected}")
    return reader.plain_size


@contextlib.contextmanager
def _private_file(path: Path) -> Iterator[BinaryIO]:
    """A new file only its owner can read (it holds a plain dump), flushed to disk when done."""
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as out:
        yield out
        out.flush()
        os.fsync(out.fileno())


def artifact(action: str, path: Path, key_file: Path | None, output: Path | None) -> None:
    """Check or decrypt an artifact offline, with only the master key file; exit 1 on any failed check."""
    if key_file is None:
        key_file = config.load(config.ServiceSettings).master_key_path
    part = output.with_name(output.name + ".part") if output else None
    try:
        keyring = load_keyring(key_file)
        if part is None:
            plain_size = read_artifact(path, keyring, lambda plain: None)
        else:
            with _private_file(part) as out:
                plain_size = read_artifact(path, keyring, out.write)
    except BaseException as exc:
        if part is not None:
            part.unlink(missing_ok=True)
        if isinstance(exc, ValueError | KeyringError | OSError):
            sys.exit(f"lifeboat: artifact {action} {path}: {exc}")
        raise
    if part is not None and output is not None:
        part.replace(output)
    print(f"OK {plain_size} bytes")
