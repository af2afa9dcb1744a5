"""The master key file: a small JSON keyring whose `current` key seals new secrets.

Older keys stay in the file so that what they sealed can still be opened after a rotation.
"""

import base64
import os
import secrets
from datetime import UTC, datetime
from pathlib import Path

import msgspec

KEY_BYTES = 32


class KeyringError(RuntimeError):
    pass


class Keyring(msgspec.Struct, frozen=True, kw_only=True):
    current: str
    keys: dict[str, str]

    def key(self, key_id: str) -> bytes:
        try:
            return base64.b64decode(self.keys[key_id])
        except KeyError:
            raise KeyringError(f"master key {key_id!r} is not in the keyring") from None

    @property
    def current_key(self) -> bytes:
        return self.key(self.current)

    def rotated(self) -> "Keyring":
        key_id = _new_key_id()
        return Keyring(current=key_id, keys={**self.keys, key_id: _new_key()})


def _new_key_id() -> str:
    return "mk-" + datetime.now(UTC).strftime("%Y%m%d%H%M%S") + "-" + secrets.token_hex(3)


def _new_key() -> str:
    return base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()


def create_keyring(path: Path) -> Keyring:
    """Write a new keyring readable only by its owner; never overwrites an existing file."""
    key_id = _new_key_id()
    keyring = Keyring(current=key_id, keys={key_id: _new_key()})
    save_keyring(path, keyring, exclusive=True)
    return keyring


def save_keyring(path: Path, keyring: Keyring, *, exclusive: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
    fd = os.open(path, flags, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(msgspec.json.format(msgspec.json.encode(keyring)))
        out.flush()
        os.fsync(out.fileno())


def load_keyring(path: Path) -> Keyring:
    try:
        keyring = msgspec.json.decode(path.read_bytes(), type=Keyring)
    except FileNotFoundError:
        raise KeyringError(f"master key file {path} does not exist") from None
    except msgspec.DecodeError as exc:
        raise KeyringError(f"master key file {path} is not a valid keyring: {exc}") from None
    keyring.key(keyring.current)
    return keyring
