"""Every route declares the least role it needs, and OpenAPI documents every route."""

from types import SimpleNamespace

from litestar.routes import HTTPRoute

from services.gateway.app import API_PREFIX, create_app
from services.gateway.settings import GatewaySettings

PUBLIC = {
    f"{API_PREFIX}/auth/login",
    f"{API_PREFIX}/auth/refresh",
    f"{API_PREFIX}/auth/register",
    f"{API_PREFIX}/backups/files/content",  # authorised by the URL's signature instead
    "/health",
    "/version",
}


def _app():
    return create_app(SimpleNamespace(settings=GatewaySettings()))  # type: ignore[arg-type]


def _api_handlers():
    for route in _app().routes:
        if isinstance(route, HTTPRoute) and not route.path.startswith(f"{API_PREFIX}/schema"):
            for handler in route.route_handlers:
                if handler.http_methods - {"OPTIONS", "HEAD"}:  # skip Litestar's automatic OPTIONS
                    yield route.path, handler


def test_every_non_public_route_declares_a_role():
    unguarded = []
    for path, handler in _api_handlers():
        roles = [getattr(g, "required_role", None) for g in handler.resolve_guards()]
        if path not in PUBLIC and not any(roles):
            unguarded.append(f"{sorted(handler.http_methods)} {path}")
    assert not unguarded, f"routes without a role guard: {unguarded}"


def test_openapi_documents_every_route_with_an_operation_id():
    schema = _app().openapi_schema.to_schema()
    documented = {(path, method.upper()) for path, item in schema["paths"].items() for method in item}
    missing = [
        (path, method)
        for path, handler in _api_handlers()
        for method in handler.http_methods - {"HEAD", "OPTIONS"}
        if (path.replace(":int}", "}"), method) not in documented
    ]
    assert not missing
    operation_ids = [op["operationId"] for item in schema["paths"].values() for op in item.values()]
    assert len(operation_ids) == len(set(operation_ids)), "operation ids are unique"
