"""Every error leaves the gateway as {"detail", "status", "code", "timestamp"}; never a stack trace."""

import logging
import re
from datetime import UTC, datetime
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_422_UNPROCESSABLE_ENTITY, HTTP_500_INTERNAL_SERVER_ERROR

from libs.bus.rpc import ServiceUnavailable
from libs.db import DATABASE_UNAVAILABLE
from libs.errors import Refused

log = logging.getLogger("lifeboat.gateway.errors")
# How Litestar words a required query/header/cookie parameter that is absent (it names no field).
MISSING_PARAMETER = re.compile(r"Missing required (?P<source>\w+) parameter '(?P<key>[^']+)'")
RETRY_AFTER = {"Retry-After": "5"}

CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "VALIDATION_ERROR",
    429: "RATE_LIMITED",
    503: "SERVICE_UNAVAILABLE",
}


def error_body(status: int, detail: str, code: str | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "detail": detail,
        "status": status,
        "code": code or CODES.get(status, "ERROR"),
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        **extra,
    }


def _respond(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response[Any]:
    if status == 503:  # whatever is unavailable is expected back: tell clients when to retry
        headers = {**RETRY_AFTER, **(headers or {})}
    return Response(body, status_code=status, media_type=MediaType.JSON, headers=headers)


def validation_response(
    exc: ValidationException, status: int = HTTP_422_UNPROCESSABLE_ENTITY
) -> Response[Any]:
    """Input that did not fit the declared shapes; `status` is 422 except where an API says 400."""
    problems = exc.extra if isinstance(exc.extra, list) else []
    if not problems and (missing := MISSING_PARAMETER.match(str(exc.detail))):
        problems = [{"source": missing["source"], "key": missing["key"], "message": "field required"}]
    errors = [
        {"loc": [p.get("source", "body"), *([p["key"]] if p.get("key") else [])], "msg": p.get("message", "")}
        for p in problems
        if isinstance(p, dict)
    ]
    if not errors:  # the body could not be parsed at all
        return _respond(400, error_body(400, f"malformed request: {exc.detail}", "MALFORMED_REQUEST"))
    fields = ", ".join(".".join(str(part) for part in e["loc"][1:]) or e["loc"][0] for e in errors)
    detail = f"invalid {fields}: " + "; ".join(e["msg"] for e in errors)
    return _respond(status, error_body(status, detail, "VALIDATION_ERROR", errors=errors))


def on_validation(_: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    return validation_response(exc)


def on_http(_: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    return _respond(status, error_body(status, str(exc.detail)), exc.headers)


def refusal_response(exc: Refused, status: int | None = None) -> Response[Any]:
    """A service's refusal, answered with its own status unless the caller maps it (`status`)."""
    status = status or exc.status
    extra = {"errors": [{"loc": ["body", exc.field], "msg": exc.detail}]} if exc.field else {}
    return _respond(status, error_body(status, exc.detail, exc.code, **extra))


def on_refused(_: Request[Any, Any, Any], exc: Refused) -> Response[Any]:
    return refusal_response(exc)


def on_unavailable(_: Request[Any, Any, Any], exc: ServiceUnavailable) -> Response[Any]:
    return _respond(503, error_body(503, f"the {exc.service} service is not answering; try again"))


def on_database_unavailable(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """The gateway's own pool lost PostgreSQL (down or restarting): a retry will do, not a 500."""
    log.warning("database unavailable on %s %s: %r", request.method, request.url.path, exc)
    detail = "the database is not answering; try again"
    return _respond(503, error_body(503, detail, "DATABASE_UNAVAILABLE"))


def on_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return _respond(HTTP_500_INTERNAL_SERVER_ERROR, error_body(500, "internal error", "INTERNAL_ERROR"))


EXCEPTION_HANDLERS = {
    ValidationException: on_validation,
    HTTPException: on_http,
    Refused: on_refused,
    ServiceUnavailable: on_unavailable,
    **dict.fromkeys(DATABASE_UNAVAILABLE, on_database_unavailable),
    Exception: on_unexpected,
}
