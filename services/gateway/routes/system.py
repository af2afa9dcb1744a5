"""Health and version: public, so load balancers and the UI can ask before logging in; and `/`,
which sends a browser to the API docs until the web console exists."""

import asyncio
import time
from datetime import UTC, datetime

import msgspec
from litestar import Litestar, Response, Router, asgi, get
from litestar.response.redirect import ASGIRedirectResponse
from litestar.types import Receive, Scope, Send

from contracts import subjects
from contracts.operations.services import BY_NAME
from contracts.rpc import Ping
from libs.bus import rpc
from libs.db import DATABASE_UNAVAILABLE
from libs.runtime import VERSION
from services.gateway.state import Gateway

PING_TIMEOUT_SECONDS = 2.0


class ServiceHealth(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    status: str
    latency_ms: float | None = None
    instance: str | None = None
    version: str | None = None
    uptime_seconds: float | None = None


class DependencyHealth(msgspec.Struct, frozen=True, kw_only=True):
    """A server every service needs: "database" (PostgreSQL) or "nats"."""

    name: str
    status: str
    detail: str | None = None


class Health(msgspec.Struct, frozen=True, kw_only=True):
    status: str
    service: str
    version: str
    timestamp: datetime
    services: list[ServiceHealth]
    dependencies: list[DependencyHealth] = msgspec.field(default_factory=list)


class Version(msgspec.Struct, frozen=True):
    version: str
    installation_id: str
    environment: str


async def _ping(gateway: Gateway, service: str) -> ServiceHealth:
    started = time.perf_counter()
    try:
        ping = BY_NAME[service].ping
        pong = await rpc.call(gateway.broker, ping, Ping(sent_at=time.time()), timeout=PING_TIMEOUT_SECONDS)
    except rpc.ServiceUnavailable:
        return ServiceHealth(name=service, status="down")
    return ServiceHealth(
        name=service,
        status="up",
        latency_ms=round((time.perf_counter() - started) * 1000, 2),
        instance=pong.instance,
        version=pong.version,
        uptime_seconds=round(time.time() - pong.started_at, 1),
    )


async def _database(gateway: Gateway) -> DependencyHealth:
    try:
        await asyncio.wait_for(gateway.pool.fetchval("SELECT 1"), PING_TIMEOUT_SECONDS)
    except DATABASE_UNAVAILABLE:
        return DependencyHealth(name="database", status="down", detail="PostgreSQL is not answering")
    return DependencyHealth(name="database", status="up")


async def _nats(gateway: Gateway) -> DependencyHealth:
    if await gateway.broker.ping(timeout=PING_TIMEOUT_SECONDS):
        return DependencyHealth(name="nats", status="up")
    return DependencyHealth(name="nats", status="down", detail="NATS is not answering")


@get(["/health"], operation_id="health")
async def health(gateway: Gateway) -> Response[Health]:
    """Healthy when PostgreSQL, NATS and every service answer; otherwise 503 naming what does not."""
    dependencies, services = await asyncio.gather(
        asyncio.gather(_database(gateway), _nats(gateway)),
        asyncio.gather(*(_ping(gateway, name) for name in subjects.SERVICES)),
    )
    healthy = all(d.status == "up" for d in dependencies) and all(s.status == "up" for s in services)
    body = Health(
        status="healthy" if healthy else "degraded",
        service="lifeboat",
        version=VERSION,
        timestamp=datetime.now(UTC),
        services=list(services),
        dependencies=list(dependencies),
    )
    return Response(body, status_code=200 if healthy else 503)


@get(["/version"], operation_id="version")
async def version(gateway: Gateway) -> Version:
    installation_id = await gateway.pool.fetchval("SELECT installation_id FROM settings")
    return Version(version=VERSION, installation_id=installation_id, environment=gateway.settings.environment)


@asgi("/", copy_scope=False)
async def root(scope: Scope, receive: Receive, send: Send) -> None:
    """A redirect for browsers, not an API operation: no role, not in the OpenAPI document."""
    config = Litestar.from_scope(scope).openapi_config
    docs = config.path if config else None
    assert docs, "the gateway always serves its API docs"
    await ASGIRedirectResponse(path=docs, status_code=302)(scope, receive, send)


router = Router(path="/", route_handlers=[root, health, version], tags=["system"])
