"""The OpenAPI document tells the truth about errors. Litestar documents an operation's success
and, for handlers with parameters, a 400 of its own shape; every other status comes from guards,
validation, the services' refusals or a service that is down. This module adds, to each operation,
every error status it can answer — all with the one `Error` shape of services/gateway/errors.py —
from what the handler declares (guards, path, body), plus a short table of what only the code
knows. Public operations are documented without the bearer requirement."""

from typing import Any

from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.spec import (
    Components,
    OpenAPI,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    Reference,
    Schema,
)
from litestar.routes import HTTPRoute

ERROR_SCHEMA = Schema(
    type=OpenAPIType.OBJECT,
    description="Every error the API answers: what went wrong, the HTTP status, a stable code.",
    required=["detail", "status", "code", "timestamp"],
    properties={
        "detail": Schema(type=OpenAPIType.STRING),
        "status": Schema(type=OpenAPIType.INTEGER),
        "code": Schema(type=OpenAPIType.STRING, description="UPPER_SNAKE, e.g. VALIDATION_ERROR"),
        "timestamp": Schema(type=OpenAPIType.STRING, format="date-time"),  # type: ignore[arg-type]
        "errors": Schema(
            type=OpenAPIType.ARRAY,
            description="the offending fields, for validation errors",
            items=Schema(
                type=OpenAPIType.OBJECT,
                required=["loc", "msg"],
                properties={
                    "loc": Schema(
                        type=OpenAPIType.ARRAY,
                        description="where: body, query or path, then the field",
                        items=Schema(type=OpenAPIType.STRING),
                    ),
                    "msg": Schema(type=OpenAPIType.STRING),
                },
            ),
        ),
    },
)

DESCRIPTIONS = {
    400: "Malformed request: the body is not JSON (and, on /backup-scheduler, invalid input)",
    401: "No valid bearer token, or the user is disabled",
    403: "The user's role does not allow this",
    404: "Nothing with this id (or name)",
    409: "Conflicts with the current state (a duplicate, a job that is running, storage unavailable)",
    413: "Request body too large",
    415: "The body is not sent as application/json",
    422: "Invalid input: the `errors` name each offending field",
    429: "Too many failed attempts; see Retry-After",
    502: "The storage behind the request failed",
    503: "A service Lifeboat needs is not answering; try again (see Retry-After)",
}
API_PREFIX = "/api/v1"
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# What only the code knows: statuses a handler or the service behind it answers beyond its shape.
EXTRA: dict[str, set[int]] = {
    "login": {401, 429},
    "refreshToken": {401},
    "register": {403},
    "downloadBackupFile": {404, 409},
    "fetchSignedBackupFile": {403, 404},
    "deleteBackupFile": {400, 502},  # 502: the storage failed
    "listServerDatabases": {409},
    "deleteRetentionPolicy": {400},  # the system policy (SYSTEM_POLICY)
}


def _handlers(app: Litestar) -> dict[str, HTTPRouteHandler]:
    found: dict[str, HTTPRouteHandler] = {}
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            for handler in route.route_handlers:
                if isinstance(handler.operation_id, str):
                    found[handler.operation_id] = handler
    return found


def _role(handler: HTTPRouteHandler) -> str | None:
    roles = [getattr(g, "required_role", None) for g in handler.resolve_guards()]
    return next((r for r in roles if r), None)


def error_statuses(path: str, method: str, operation: Operation, handler: HTTPRouteHandler) -> set[int]:
    """Every error status this operation can answer."""
    statuses = set(EXTRA.get(str(operation.operation_id), set()))
    if not path.startswith(API_PREFIX):
        return statuses | {503}  # /health and /version only read
    statuses |= {422, 503}  # any string may carry a NUL; every operation reaches a service
    role = _role(handler)
    if role:
        statuses.add(401)
        if role != "viewer":
            statuses.add(403)
    if "{" in path:
        statuses.add(404)
    if method in WRITES:
        statuses |= {404, 409, 413}
    if "data" in handler.parsed_fn_signature.parameters:
        statuses |= {400, 415}
    if path.startswith(f"{API_PREFIX}/backup-scheduler"):
        statuses.add(400)
    return statuses


def _error_response(status: int) -> OpenAPIResponse:
    return OpenAPIResponse(
        description=DESCRIPTIONS[status],
        content={"application/json": OpenAPIMediaType(schema=Reference(ref="#/components/schemas/Error"))},
    )


def document_errors(app: Litestar) -> OpenAPI:
    """Rewrite the app's OpenAPI document in place (before it is first served)."""
    document = app.openapi_schema
    handlers = _handlers(app)
    components = document.components if isinstance(document.components, Components) else Components()
    components.schemas = {**(components.schemas or {}), "Error": ERROR_SCHEMA}
    document.components = components
    for path, item in (document.paths or {}).items():
        for method in ("get", "put", "post", "delete", "patch"):
            operation: Operation | None = getattr(item, method)
            if operation is None or operation.operation_id not in handlers:
                continue
            handler = handlers[str(operation.operation_id)]
            responses: dict[str, Any] = {
                code: response for code, response in (operation.responses or {}).items() if code < "400"
            }
            for status in sorted(error_statuses(path, method.upper(), operation, handler)):
                responses[str(status)] = _error_response(status)
            if operation.operation_id == "health":  # degraded health is a 503 with the same body
                responses["503"] = responses["200"]
            operation.responses = responses
            if not _role(handler):
                operation.security = []
    return document
