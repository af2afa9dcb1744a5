"""The master keyring and the sealing of stored secrets (credentials) under it."""

from libs.crypto.keyring import Keyring, KeyringError, create_keyring, load_keyring
from libs.crypto.sealing import SealError, derive_key, open_sealed, seal

__all__ = [
    "Keyring",
    "KeyringError",
    "SealError",
    "create_keyring",
    "derive_key",
    "load_keyring",
    "open_sealed",
    "seal",
]
