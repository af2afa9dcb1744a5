"""Short-lived signed download URLs for artifacts in local storage (S3 destinations presign
their own). The signature is an HMAC, under a key derived from the master keyring, over the
destination, key and expiry, so a URL works for nobody after it expires and for no other file.
The catalog signs (it hands out every download link); the gateway checks, then serves the bytes."""

import hashlib
import hmac
import time
from urllib.parse import urlencode

from libs.crypto import Keyring, derive_key

PATH = "/api/v1/backups/files/content"
PURPOSE = "download-url"


class DownloadSigner:
    def __init__(self, keyring: Keyring) -> None:
        self._key_id = keyring.current
        self._keys = {key_id: derive_key(keyring, key_id, PURPOSE) for key_id in keyring.keys}

    def _mac(self, key_id: str, destination: str, key: str, expires: int) -> str:
        message = f"{destination}\n{key}\n{expires}".encode()
        return hmac.new(self._keys[key_id], message, hashlib.sha256).hexdigest()

    def sign(self, destination: str, key: str, expires_seconds: int) -> str:
        """A relative URL; the route prefixes it with the address the client used."""
        expires = int(time.time()) + expires_seconds
        query = {
            "destination": destination,
            "key": key,
            "expires": expires,
            "kid": self._key_id,
            "signature": self._mac(self._key_id, destination, key, expires),
        }
        return f"{PATH}?{urlencode(query)}"

    def check(self, destination: str, key: str, expires: int, kid: str, signature: str) -> str | None:
        """None when valid, else why not."""
        if expires < time.time():
            return "the download URL has expired"
        if kid not in self._keys or not hmac.compare_digest(
            self._mac(kid, destination, key, expires), signature
        ):
            return "the download URL's signature is not valid"
        return None
