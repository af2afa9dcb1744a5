"""Short-lived JWT access tokens (HS256, key derived from the master keyring by key id) and
opaque refresh tokens, stored only as digests. Every access token has an id (`jti`), by which
logout revokes it before it expires."""

import hashlib
import secrets
import time
import uuid
from datetime import UTC, datetime

import msgspec
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey
from joserfc.jws import extract_compact

from libs.crypto import Keyring, KeyringError, derive_key

ALGORITHM = "HS256"
PURPOSE = "access-token"
# Tokens whose signature was checked, remembered so that each is verified once, not per request
# (joserfc's decode and claim checks cost ~8% of a list request). Expiry is still checked on
# every use, and revocation is the guard's per-request database check, so a remembered token
# is accepted exactly when verifying it again would accept it.
VERIFIED_CACHE_SIZE = 4096


class InvalidToken(Exception):
    pass


class AccessClaims(msgspec.Struct, frozen=True):
    """What a verified access token says: whose it is, its id, and when it stops working."""

    user_id: int
    token_id: str
    expires_at: datetime


class AccessTokens:
    def __init__(self, keyring: Keyring, ttl_seconds: int) -> None:
        self._keyring = keyring
        self._ttl = ttl_seconds
        self._keys: dict[str, OctKey] = {}  # by key id: deriving one per request cost ~5% of a request
        self._verified: dict[str, AccessClaims] = {}

    def _key(self, key_id: str) -> OctKey:
        key = self._keys.get(key_id)
        if key is None:
            key = self._keys[key_id] = OctKey.import_key(derive_key(self._keyring, key_id, PURPOSE))
        return key

    def issue(self, user_id: int, role: str) -> str:
        now = int(time.time())
        claims = {
            "sub": str(user_id),
            "role": role,
            "typ": "access",
            "iat": now,
            "exp": now + self._ttl,
            "jti": uuid.uuid4().hex,
        }
        header = {"alg": ALGORITHM, "kid": self._keyring.current}
        return jwt.encode(header, claims, self._key(self._keyring.current), algorithms=[ALGORITHM])

    def verify(self, token: str) -> AccessClaims:
        """The claims of a valid, unexpired access token signed by one of our keys."""
        claims = self._verified.get(token)
        if claims is None:
            claims = self._verify_signed(token)
            if len(self._verified) >= VERIFIED_CACHE_SIZE:
                self._verified.clear()
            self._verified[token] = claims
        if claims.expires_at.timestamp() < time.time():
            raise InvalidToken("the token has expired")
        return claims

    def _verify_signed(self, token: str) -> AccessClaims:
        try:
            header = extract_compact(token.encode()).protected
            key = self._key(str(header.get("kid", "")))
            decoded = jwt.decode(token, key, algorithms=[ALGORITHM])
            jwt.JWTClaimsRegistry(
                exp={"essential": True},
                sub={"essential": True},
                jti={"essential": True},
                typ={"essential": True, "value": "access"},
            ).validate(decoded.claims)
            claims = decoded.claims
            expires_at = datetime.fromtimestamp(int(claims["exp"]), UTC)
            return AccessClaims(int(claims["sub"]), str(claims["jti"]), expires_at)
        except (JoseError, KeyringError, ValueError, KeyError, TypeError, OverflowError, OSError) as exc:
            raise InvalidToken(str(exc)) from None


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
