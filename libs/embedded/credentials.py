"""Secrets `lifeboat up` generates for the servers it embeds: one file each, 0600, in a 0700
folder under the data dir. A file is written once and read on every later start, so a second
`lifeboat up` uses the same passwords; a secret never goes on a command line."""

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path

SCRAM_ITERATIONS = 4096


def generated_secret(path: Path) -> str:
    """The secret kept in `path`; a new random one if the file does not exist yet."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.parent.chmod(0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        path.chmod(0o600)
        return path.read_text().strip()
    secret = secrets.token_urlsafe(32)
    with os.fdopen(fd, "w") as out:
        out.write(secret + "\n")
    return secret


def write_private(path: Path, text: str) -> None:
    """Replace `path` with `text`, readable by its owner only from the first byte on."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)
    partial.replace(path)


def scram_verifier(password: str, salt: bytes | None = None) -> str:
    """PostgreSQL's stored form of a scram-sha-256 password (RFC 5802/7677), computed here so
    the server is only ever told the verifier, never the password (not even in its log)."""
    salt = salt or secrets.token_bytes(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, SCRAM_ITERATIONS)
    client_key = hmac.digest(salted, b"Client Key", "sha256")
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.digest(salted, b"Server Key", "sha256")

    def b64(raw: bytes) -> str:
        return base64.b64encode(raw).decode()

    return f"SCRAM-SHA-256${SCRAM_ITERATIONS}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"
