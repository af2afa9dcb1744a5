"""AES-256-GCM sealing of small secrets, bound to their purpose and to the key that sealed them."""

import base64
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from contracts.secrets import SealedSecret
from libs.crypto.keyring import Keyring


class SealError(ValueError):
    pass


def seal(keyring: Keyring, plaintext: bytes, purpose: str) -> SealedSecret:
    nonce = secrets.token_bytes(12)
    aad = _aad(keyring.current, purpose)
    ciphertext = AESGCM(keyring.current_key).encrypt(nonce, plaintext, aad)
    return SealedSecret(
        key_id=keyring.current,
        nonce=base64.b64encode(nonce).decode(),
        ciphertext=base64.b64encode(ciphertext).decode(),
    )


def open_sealed(keyring: Keyring, sealed: SealedSecret, purpose: str) -> bytes:
    try:
        return AESGCM(keyring.key(sealed.key_id)).decrypt(
            base64.b64decode(sealed.nonce),
            base64.b64decode(sealed.ciphertext),
            _aad(sealed.key_id, purpose),
        )
    except (InvalidTag, ValueError) as exc:
        raise SealError(f"sealed secret for {purpose!r} does not open with key {sealed.key_id}") from exc


def derive_key(keyring: Keyring, key_id: str, purpose: str) -> bytes:
    """A 256-bit key for `purpose` (e.g. token signing) derived from one master key."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=f"lifeboat/{purpose}".encode())
    return hkdf.derive(keyring.key(key_id))


def _aad(key_id: str, purpose: str) -> bytes:
    return f"lifeboat-sealed-v1|{key_id}|{purpose}".encode()
