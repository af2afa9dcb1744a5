"""The adapters routes use, built once by the composition root and injected per request."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import asyncpg
import msgspec
from faststream.nats import NatsBroker
from litestar import Request

from contracts.envelope import Actor
from libs.bus import rpc
from libs.crypto import Keyring
from libs.storage.destinations import Destinations
from services.gateway.auth.tokens import AccessTokens
from services.gateway.downloads import DownloadSigner
from services.gateway.live import LiveBoard
from services.gateway.settings import GatewaySettings

Reply = TypeVar("Reply")


@dataclass
class Gateway:
    settings: GatewaySettings
    pool: asyncpg.Pool
    broker: NatsBroker
    keyring: Keyring
    tokens: AccessTokens
    live: LiveBoard
    destinations: Destinations
    downloads: DownloadSigner

    async def ask_long(
        self, service: str, operation: str, request: msgspec.Struct, reply: type[Reply]
    ) -> Reply:
        """For requests that reach users' databases (connection tests, discovery): longer than the
        catalog waits for the executor's probe, so the probe's own answer comes back."""
        timeout = self.settings.probe_timeout_seconds + 15
        return await rpc.call(self.broker, service, operation, request, reply, timeout=timeout)

    async def ask(self, service: str, operation: str, request: msgspec.Struct, reply: type[Reply]) -> Reply:
        """Request/reply to the service that owns the data."""
        return await rpc.call(
            self.broker, service, operation, request, reply, timeout=self.settings.rpc_timeout_seconds
        )


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
