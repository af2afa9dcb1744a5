"""Request/reply plumbing types shared by every service's RPC operations."""

import msgspec

from contracts.envelope import Actor


class RpcError(msgspec.Struct, frozen=True, kw_only=True, tag="error"):
    """A request the owning service refused; `status` is the HTTP status the gateway answers with."""

    code: str
    detail: str
    status: int = 400
    field: str | None = None


class Ping(msgspec.Struct, frozen=True, kw_only=True, tag="ping"):
    sent_at: float = 0.0


class Pong(msgspec.Struct, frozen=True, kw_only=True, tag="pong"):
    service: str
    instance: str
    version: str
    started_at: float


class Request(msgspec.Struct, frozen=True, kw_only=True):
    """Base of every RPC request: carries who is asking, for authorisation records and audit."""

    actor: Actor = Actor()
    correlation_id: str | None = None
