"""Request field types shared by the identity routes."""

from typing import Annotated, Literal

import msgspec

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
