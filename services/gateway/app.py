"""Composition root of the gateway: REST under /api/v1, health, OpenAPI, served by uvicorn."""

import asyncio
import contextlib
from collections.abc import Iterator

import uvicorn
from litestar import Litestar, Router
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme

from libs.crypto import load_keyring
from libs.runtime import VERSION, Runtime
from libs.storage.destinations import Destinations
from libs.storage.links import DownloadSigner
from services.gateway.auth.tokens import AccessTokens
from services.gateway.errors import EXCEPTION_HANDLERS
from services.gateway.inputs import refuse_nul
from services.gateway.live import LiveBoard
from services.gateway.openapi import document_errors
from services.gateway.routes import ROUTERS, system, ws
from services.gateway.settings import GatewaySettings
from services.gateway.state import Gateway, provide_gateway
from services.gateway.tracing import trace_requests

API_PREFIX = "/api/v1"
MIGRATIONS = "services.gateway.migrations"
Settings = GatewaySettings


def create_app(state: Gateway) -> Litestar:
    api = Router(path=API_PREFIX, route_handlers=ROUTERS, security=[{"BearerAuth": []}])
    app = Litestar(
        route_handlers=[api, system.router, ws.live_root],
        dependencies={"gateway": Provide(provide_gateway, sync_to_thread=False)},
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        before_request=refuse_nul,
        request_max_body_size=state.settings.max_body_bytes,
        middleware=[trace_requests],
        openapi_config=OpenAPIConfig(
            title="Lifeboat",
            version=VERSION,
            path=f"{API_PREFIX}/schema",
            components=Components(
                security_schemes={
                    "BearerAuth": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT")
                }
            ),
        ),
        state=State({"gateway": state}),
        logging_config=None,
        debug=False,
    )
    document_errors(app)
    return app


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: the service runtime owns SIGTERM."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def build_state(runtime: Runtime) -> Gateway:
    settings = runtime.settings
    assert isinstance(settings, GatewaySettings)
    keyring = load_keyring(settings.master_key_path)
    live = LiveBoard()
    live.bind(runtime.broker)
    return Gateway(
        settings=settings,
        pool=runtime.pool,
        broker=runtime.broker,
        keyring=keyring,
        tokens=AccessTokens(keyring, settings.access_token_minutes * 60),
        live=live,
        destinations=Destinations(settings),  # read by `fetch_file`; the catalog signs links
        downloads=DownloadSigner(keyring),
    )


async def wire(runtime: Runtime) -> None:
    state = build_state(runtime)
    app = create_app(state)
    config = uvicorn.Config(
        app,
        host=state.settings.http_host,
        port=state.settings.http_port,
        log_config=None,
        access_log=False,
        lifespan="on",
    )
    server = _Server(config)

    async def serve() -> None:
        serving = asyncio.create_task(server.serve())
        stopping = asyncio.create_task(runtime.stop.wait())
        await asyncio.wait([serving, stopping], return_when=asyncio.FIRST_COMPLETED)
        server.should_exit = True
        stopping.cancel()
        await serving
        if not runtime.stop.is_set():
            raise RuntimeError(
                f"HTTP server on {state.settings.http_host}:{state.settings.http_port} stopped"
            )

    runtime.background.append(serve)
