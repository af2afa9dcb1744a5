"""List pages passed from the catalog to the client without being decoded and encoded again.

The catalog encodes each item of a list page (`BackupPage`, `ServerPage`) with msgspec; the
gateway used to decode every item into its view Struct (parsing each timestamp) only for Litestar
to encode the same Struct back, byte for byte the same JSON. `EncodedPage` keeps each item as
the bytes the catalog sent (`msgspec.Raw`, checked to be well-formed JSON, never parsed into
objects); msgspec writes `Raw` values verbatim wherever a response holds them, so the body the
client receives is unchanged. Invariant: only replies of a list operation whose items are
exactly the view the route documents are passed through this way.
"""

from typing import Any, cast

import msgspec


class EncodedPage(msgspec.Struct, frozen=True, kw_only=True):
    """A `…Page` reply (`items`, `total`) with its items still encoded."""

    items: list[msgspec.Raw]
    total: int


def as_views(items: list[msgspec.Raw]) -> list[Any]:
    """The encoded items where a route's documented type wants views: they encode to the same
    JSON, which is all a response does with them."""
    return cast(list[Any], items)
