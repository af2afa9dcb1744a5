"""No NUL character gets past the gateway: every request's path parameters, query string and JSON
body are checked once, before any handler runs. PostgreSQL text cannot hold NUL (the driver fails
on it), and no name, host, filter or key ever needs one. One choke point, so that no route can
forget; the refusal names the field exactly as a validation error does (422, or 400 where an API
says so). Headers are left to the HTTP server, which refuses NUL in them already."""

from typing import Any

import msgspec
from litestar import Request
from litestar.exceptions import HTTPException, ValidationException

NUL = "\x00"
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MESSAGE = "must not contain NUL characters"


def _refusal(source: str, field: str) -> ValidationException:
    return ValidationException(
        detail=f"invalid {field}", extra=[{"key": field, "source": source, "message": MESSAGE}]
    )


def nul_path(value: Any, path: tuple[str, ...] = ()) -> tuple[str, ...] | None:
    """Where in a decoded JSON document the first string (value or key) holding NUL is."""
    if isinstance(value, str):
        return path if NUL in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            if NUL in key:
                return (*path, key.replace(NUL, "\\u0000"))
            if (found := nul_path(item, (*path, key))) is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            if (found := nul_path(item, (*path, str(index)))) is not None:
                return found
    return None


def _refuse_other_media(content_type: str) -> None:
    """Bodies are JSON; a client that says otherwise gets 415 rather than a guess (no type: JSON)."""
    media = content_type.partition(";")[0].strip().lower()
    json_like = media == "application/json" or (media.startswith("application/") and media.endswith("+json"))
    if media and not json_like:
        raise HTTPException(status_code=415, detail=f"send the body as application/json, not {media}")


async def refuse_nul(request: Request[Any, Any, Any]) -> None:
    """Litestar's `before_request` hook for the whole app: raises before the handler's arguments
    are even parsed. The common case costs two substring checks. Also refuses a body that is not
    JSON (415)."""
    for name, value in request.path_params.items():
        if isinstance(value, str) and NUL in value:
            raise _refusal("path", name)
    if b"%00" in request.scope.get("query_string", b""):
        for name, value in request.query_params.multi_items():
            if NUL in name or NUL in value:
                raise _refusal("query", name.replace(NUL, "\\u0000"))
    if request.method in BODY_METHODS:
        body = await request.body()
        if body and "data" in request.route_handler.parsed_fn_signature.parameters:
            _refuse_other_media(request.headers.get("content-type", ""))
        if b"\\u0000" in body:
            try:
                document = msgspec.json.decode(body)
            except msgspec.DecodeError:
                return  # not JSON: the handler's own decoding refuses it as malformed
            if (found := nul_path(document)) is not None:
                raise _refusal("body", ".".join(found) or "body")
