"""Health and version: public, so load balancers and the UI can ask before logging in."""

import asyncio
import time
from datetime import UTC, datetime

import msgspec
from litestar import Response, Router, get

from contracts import subjects
from contracts.rpc import Ping, Pong
from libs.bus import rpc
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


class Health(msgspec.Struct, frozen=True, kw_only=True):
    status: str
    service: str
    version: str
    timestamp: datetime
    services: list[ServiceHealth]


class Version(msgspec.Struct, frozen=True):
    version: str
    installation_id: str
    environment: str


async def _ping(gateway: Gateway, service: str) -> ServiceHealth:
    started = time.perf_counter()
    try:
        pong = await rpc.call(
            gateway.broker, service, "ping", Ping(sent_at=time.time()), Pong, timeout=PING_TIMEOUT_SECONDS
        )
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


@get(["/health"], operation_id="health")
async def health(gateway: Gateway) -> Response[Health]:
    services = await asyncio.gather(*(_ping(gateway, name) for name in subjects.SERVICES))
    healthy = all(s.status == "up" for s in services)
    body = Health(
        status="healthy" if healthy else "degraded",
        service="lifeboat",
        version=VERSION,
        timestamp=datetime.now(UTC),
        services=list(services),
    )
    return Response(body, status_code=200 if healthy else 503)


@get(["/version"], operation_id="version")
async def version(gateway: Gateway) -> Version:
    installation_id = await gateway.pool.fetchval("SELECT installation_id FROM settings")
    return Version(version=VERSION, installation_id=installation_id, environment=gateway.settings.environment)


router = Router(path="/", route_handlers=[health, version], tags=["system"])
