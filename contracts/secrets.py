"""A secret sealed with the master key: the only form in which a credential crosses NATS."""

import msgspec


class SealedSecret(msgspec.Struct, frozen=True, kw_only=True):
    key_id: str
    nonce: str
    ciphertext: str
