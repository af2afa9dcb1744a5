"""Helpers over msgspec Structs shared by the gateway and the services."""

from collections.abc import Collection
from typing import Any

import msgspec
from msgspec import UNSET


def given(data: msgspec.Struct, exclude: Collection[str] = ()) -> dict[str, Any]:
    """The fields that were sent, in a Struct whose optional fields default to UNSET."""
    return {
        name: value
        for name in data.__struct_fields__
        if name not in exclude and (value := getattr(data, name)) is not UNSET
    }


def fields_of(data: msgspec.Struct, shape: type[msgspec.Struct]) -> dict[str, Any]:
    """`data`'s values of the fields `shape` declares (a base Struct `data`'s type shares)."""
    return {name: getattr(data, name) for name in shape.__struct_fields__}
