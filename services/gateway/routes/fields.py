"""Request field types shared by the routes."""

from typing import Annotated, Literal

import msgspec
from litestar.params import Parameter

from libs.errors import not_found

Username = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$",
        description="1-64 letters, digits, '_', '.', '@' or '-'",
    ),
]
Email = Annotated[str, msgspec.Meta(max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")]
# Login accepts at most 256 characters, so a longer password could never be used.
Password = Annotated[str, msgspec.Meta(min_length=8, max_length=256)]
FullName = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Note = Annotated[str, msgspec.Meta(max_length=2000)]
UserStatus = Literal["active", "disabled"]
RequestStatus = Literal["pending", "approved", "rejected"]

MAX_ID = 2**63 - 1
# An id sent in a body or a query: what the services' bigint keys can hold.
Id = Annotated[int, msgspec.Meta(ge=1, le=MAX_ID)]
IdFilter = Annotated[int | None, Parameter(ge=1, le=MAX_ID)]


def known_id(resource: str, value: int) -> int:
    """A path id that no row can have is simply not found (not an overflow deeper down)."""
    if not 1 <= value <= MAX_ID:
        raise not_found(resource, value)
    return value
