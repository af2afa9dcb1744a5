"""Access tokens are verified once and remembered; a remembered token is accepted exactly when
verifying it again would be: never after it expires, and a token altered in any byte is not it."""

import base64
import time

import pytest

from libs.crypto.keyring import Keyring
from services.gateway.auth.tokens import AccessTokens, InvalidToken

KEYRING = Keyring(current="mk-test", keys={"mk-test": base64.b64encode(b"k" * 32).decode()})


def test_a_remembered_token_stops_working_when_it_expires():
    tokens = AccessTokens(KEYRING, ttl_seconds=1)
    token = tokens.issue(7, "viewer")
    claims = tokens.verify(token)
    assert claims.user_id == 7 and tokens.verify(token) == claims
    time.sleep(2.1)
    with pytest.raises(InvalidToken):
        tokens.verify(token)


def _flip(part: str) -> str:
    """`part` with its second-last base64url character changed: always carries 6 bits of data."""
    return f"{part[:-2]}{'B' if part[-2] == 'A' else 'A'}{part[-1]}"


def test_a_remembered_token_does_not_vouch_for_an_altered_one():
    tokens = AccessTokens(KEYRING, ttl_seconds=600)
    token = tokens.issue(7, "viewer")
    tokens.verify(token)
    header, payload, signature = token.split(".")
    for altered in (f"{header}.{payload}.{_flip(signature)}", f"{header}.{_flip(payload)}.{signature}"):
        with pytest.raises(InvalidToken):
            tokens.verify(altered)


def test_tokens_of_another_key_are_refused_even_when_the_cache_is_full(monkeypatch):
    monkeypatch.setattr("services.gateway.auth.tokens.VERIFIED_CACHE_SIZE", 3)
    tokens = AccessTokens(KEYRING, ttl_seconds=600)
    for user in range(10):
        assert tokens.verify(tokens.issue(user, "viewer")).user_id == user
    impostor = Keyring(current="mk-test", keys={"mk-test": base64.b64encode(b"x" * 32).decode()})
    with pytest.raises(InvalidToken):
        tokens.verify(AccessTokens(impostor, 600).issue(1, "admin"))
