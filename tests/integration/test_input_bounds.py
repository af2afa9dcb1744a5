"""Input bounds everywhere: integers beyond 64 bits and NUL characters are refused as 422 naming the
field (400 on 004's /backup-scheduler, as 004 lists it) on every route, before anything changes."""

from typing import Any

import pytest
from litestar import Litestar, Router
from litestar.routes import HTTPRoute

from services.gateway.routes import ROUTERS

TOO_BIG = 2**63
METHODS = ("get", "put", "post", "delete", "patch")


def _status_for(path: str) -> int:
    return 400 if path.startswith("/api/v1/backup-scheduler") else 422


def _refused(reply: Any, path: str, field: str) -> None:
    assert reply.status_code == _status_for(path), (path, field, reply.status_code, reply.text)
    body = reply.json()
    assert body["code"] == "VALIDATION_ERROR" and field in body["detail"], (path, field, body)
    assert any(field in ".".join(error["loc"]) for error in body["errors"]), body


def _resolve(document: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _types(document: dict, schema: dict) -> set[str]:
    schema = _resolve(document, schema)
    found = {schema["type"]} if isinstance(schema.get("type"), str) else set(schema.get("type", []))
    for option in schema.get("oneOf", []) + schema.get("anyOf", []):
        found |= _types(document, option)
    return found


def _plausible(document: dict, schema: dict) -> Any:
    """A value that passes the parameter's own validation, for the parameters not under test."""
    schema = _resolve(document, schema)
    for option in schema.get("oneOf", []) + schema.get("anyOf", []):
        if option.get("type") != "null":
            return _plausible(document, option)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    return {"integer": 1, "number": 1, "boolean": "true"}.get(kind, "x")  # type: ignore[arg-type]


def _operations(document: dict) -> list[tuple[str, str, dict]]:
    return [
        (method, path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def _request(api: Any, method: str, path: str, operation: dict, document: dict, **override: Any) -> Any:
    values = {p["name"]: _plausible(document, p["schema"]) for p in operation.get("parameters", [])}
    values.update(override)
    url = path.removeprefix("/api/v1")
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "path":
            url = url.replace("{" + parameter["name"] + "}", str(values[parameter["name"]]))
    query = {
        p["name"]: values[p["name"]]
        for p in operation.get("parameters", [])
        if p["in"] == "query" and (p.get("required") or p["name"] in override)
    }
    return api.request(method.upper(), url, params=query, **override.get("_body", {}))


async def test_the_exact_requests_of_the_issue_are_422_naming_the_field(api):
    cases = [
        (api.get("/backups", params={"offset": 10000000000000000000}), "offset"),
        (api.post("/servers/5071561541706005969108992/discover"), "server_id"),
        (api.get("/servers", params={"search": "\x00"}), "search"),
        (api.post("/servers", json={"name": "a\x00b", "host": "h"}), "name"),
        (api.get("/backups/download", params={"blob_name": "\x00abc"}), "blob_name"),
        (api.delete("/backups/delete", params={"blob_name": "\x00x"}), "blob_name"),
        (api.delete("/backups/delete", params={"blob_name": "../../etc/passwd"}), "blob_name"),
        (api.get("/backups/download", params={"blob_name": "0" * 1000}), "blob_name"),
        (api.post("/backups/delete-bulk", json={"blob_names": ["ok", "a/../b"]}), "blob_names.1"),
        (api.post("/backups", json={"database_id": 10**25}), "database_id"),
        (api.post("/servers", json={"name": "x", "host": "a" * 64 + ".example"}), "host"),
    ]
    for pending, field in cases:
        reply = await pending
        _refused(reply, "/api/v1", field)
    assert (await api.get("/servers")).json() == []


async def test_every_route_refuses_oversized_ids_and_nul_strings_and_changes_nothing(api):
    """Every route of the app, from its own OpenAPI document: each integer parameter at 2^63, each
    string parameter and the first field of each JSON body with a NUL."""
    document = (await api.get("/schema/openapi.json")).json()
    app = Litestar(route_handlers=[Router(path="/api/v1", route_handlers=ROUTERS)], openapi_config=None)
    routes = {
        (method.lower(), route.path_format)
        for route in app.routes
        if isinstance(route, HTTPRoute)
        for method in route.route_handler_map
        if method not in ("HEAD", "OPTIONS")
    }
    operations = _operations(document)
    assert routes <= {(m, p) for m, p, _ in operations}, "every route is in the document"

    tried = 0
    for method, path, operation in operations:
        if not path.startswith("/api/v1") or operation["operationId"] == "logout":
            continue
        for parameter in operation.get("parameters", []):
            kinds, name = _types(document, parameter["schema"]), parameter["name"]
            if "integer" in kinds:
                reply = await _request(api, method, path, operation, document, **{name: TOO_BIG})
                _refused(reply, path, name)
                tried += 1
            if "string" in kinds and parameter["in"] == "query":
                reply = await _request(api, method, path, operation, document, **{name: "a\x00"})
                _refused(reply, path, name)
                tried += 1
        if "requestBody" in operation:
            schema = _resolve(document, operation["requestBody"]["content"]["application/json"]["schema"])
            field = next(iter(schema.get("properties", {"value": None})))
            body = {"_body": {"json": {field: "a\x00b"}}}
            reply = await _request(api, method, path, operation, document, **body)
            _refused(reply, path, field)
            tried += 1
    assert tried > 100
    assert (await api.get("/servers")).json() == []
    assert (await api.get("/databases")).json()["total"] == 0
    assert [u["username"] for u in (await api.get("/users")).json()["users"]] == ["admin"]


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
async def test_a_body_that_is_not_json_is_415(api, content_type):
    body = b'{"name": "x", "host": "h"}'
    reply = await api.post("/servers", content=body, headers={"content-type": content_type})
    assert reply.status_code == 415 and reply.json()["code"] == "UNSUPPORTED_MEDIA_TYPE", reply.text
    assert (await api.get("/servers")).json() == []
