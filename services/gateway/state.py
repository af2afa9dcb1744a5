"""The adapters routes use, built once by the composition root and injected per request."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import asyncpg
import msgspec
from litestar import Request

from contracts.envelope import Actor
from contracts.operations import Operation
from libs.bus import rpc
from libs.bus.broker import Broker
from libs.crypto import Keyring
from libs.storage.destinations import Destinations
from libs.storage.links import DownloadSigner
from services.gateway.auth.tokens import AccessTokens
from services.gateway.live import LiveBoard
from services.gateway.settings import GatewaySettings

Req = TypeVar("Req", bound=msgspec.Struct)
Rep = TypeVar("Rep")
T = TypeVar("T")


@dataclass
class Gateway:
    settings: GatewaySettings
    pool: asyncpg.Pool
    broker: Broker
    keyring: Keyring
    tokens: AccessTokens
    live: LiveBoard
    destinations: Destinations
    downloads: DownloadSigner

    async def ask(self, operation: Operation[Req, Rep], request: Req) -> Rep:
        """Request/reply to the service that owns the data."""
        return await rpc.call(self.broker, operation, request, timeout=self.settings.rpc_timeout_seconds)

    async def ask_as(self, operation: Operation[Req, Any], request: Req, reply: type[T]) -> T:
        """`ask`, with the reply decoded as a type of the same JSON shape (`EncodedPage`)."""
        timeout = self.settings.rpc_timeout_seconds
        return await rpc.call_as(self.broker, operation, request, reply, timeout=timeout)

    async def ask_long(self, operation: Operation[Req, Rep], request: Req) -> Rep:
        """For requests that reach users' databases (connection tests, discovery): longer than the
        catalog waits for the executor's probe, so the probe's own answer comes back."""
        timeout = self.settings.probe_timeout_seconds + 15
        return await rpc.call(self.broker, operation, request, timeout=timeout)


class CurrentUser(msgspec.Struct, frozen=True):
    """The caller as the database says now (role, status), and the access token they presented."""

    id: int
    username: str
    role: str
    token_id: str = ""
    token_expires_at: datetime | None = None


def provide_gateway(request: Request[Any, Any, Any]) -> Gateway:
    return request.app.state.gateway  # type: ignore[no-any-return]


def client_ip(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "unknown"


def actor(request: Request[Any, Any, Any]) -> Actor:
    """The caller, as recorded on every event their request causes."""
    user = request.scope.get("user")
    if isinstance(user, CurrentUser):
        return Actor(user_id=user.id, username=user.username, ip_address=client_ip(request))
    return Actor(ip_address=client_ip(request))
