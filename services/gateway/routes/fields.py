"""Request field types shared by the routes. Every integer a request carries has a range that the
services' bigint columns can hold, and every string a length limit, declared here so that the
OpenAPI document shows them; a value outside is a 422 naming the field before any service sees it.
(NUL characters are refused for every string at once, in services/gateway/inputs.py.)"""

from typing import Annotated, Literal

import msgspec
from litestar.params import Parameter

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

# A host name (each dot-separated label 1-63 letters, digits, '_' or '-', as DNS allows) or an IP
# address literal (':', '%' zone, '[]'); a longer label cannot resolve, and would fail deep in a
# driver's IDNA codec.
HostName = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=255,
        pattern=r"^[A-Za-z0-9_\-:%\[\]]{1,63}(\.[A-Za-z0-9_\-:%\[\]]{1,63})*\.?$",
        description="a DNS name or an IP address",
    ),
]

MAX_ID = 2**63 - 1
# An id sent in a body: what the services' bigint keys can hold.
Id = Annotated[int, msgspec.Meta(ge=1, le=MAX_ID)]
# The same id in a path or a query.
PathId = Annotated[int, Parameter(ge=1, le=MAX_ID)]
IdFilter = Annotated[int | None, Parameter(ge=1, le=MAX_ID)]
Offset = Annotated[int, Parameter(ge=0, le=MAX_ID)]
# 001's page number, bounded so that its offset (page - 1) * page_size stays a bigint.
PageNumber = Annotated[int | None, Parameter(ge=1, le=MAX_ID // 100)]

# Free-text filters of list routes, and names of things the settings define.
SearchText = Annotated[str | None, Parameter(max_length=200)]
FilterText = Annotated[str | None, Parameter(max_length=200)]
DestinationName = Annotated[str | None, Parameter(max_length=100)]
KeyPrefix = Annotated[str, Parameter(max_length=1024)]
