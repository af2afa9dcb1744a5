"""`GET /` on the gateway leads to the API docs (until the web console exists)."""

from types import SimpleNamespace

from litestar.testing import TestClient

from services.gateway.app import API_PREFIX, create_app
from services.gateway.settings import GatewaySettings


def test_the_root_redirects_to_the_api_docs():
    app = create_app(SimpleNamespace(settings=GatewaySettings()))  # type: ignore[arg-type]
    with TestClient(app) as client:
        reply = client.get("/", follow_redirects=False)
        assert reply.status_code == 302
        assert reply.headers["location"] == f"{API_PREFIX}/schema"
        docs = client.get("/")
        assert docs.status_code == 200 and docs.headers["content-type"].startswith("text/html")
