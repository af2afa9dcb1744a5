"""Connection tests and discovery, answered over RPC for the catalog: the executor is the only
service that reaches users' databases. A failure is an answer (`success: false`, a message
naming the cause), not an error.

Invariant: a probe costs at most its own `probe_timeout_seconds`, the whole engine call
included; probes are answered concurrently (`probe_concurrency`), never behind one another nor
behind jobs, which run from the JOBS stream on their own slots."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from contracts.connections import (
    ConnectionResult,
    DiscoveredDatabase,
    DiscoverEndpoint,
    Discovery,
    ProbeEndpoint,
    TestEndpoint,
)
from contracts.operations.executor import Executor
from libs.crypto import SealError
from libs.errors import Refused
from services.executor.engines import engine_for
from services.executor.engines.base import Engine, EngineError, Target
from services.executor.gate import Attempt, TargetRefused
from services.executor.jobs.context import JobContext

T = TypeVar("T")
ERROR_TYPES = {
    "authentication": "AuthenticationError",
    "unreachable": "ConnectionError",
    "unknown_database": "DatabaseNotFoundError",
    "unsupported": "UnsupportedError",
    "invalid": "InvalidConfigurationError",
}


class ProbeHandlers:
    def __init__(self, ctx: JobContext) -> None:
        self.ctx = ctx
        self.timeout = ctx.settings.probe_timeout_seconds

    async def _target(self, request: ProbeEndpoint, operation: str) -> Target:
        attempt = Attempt(
            operation,
            actor=request.actor,
            correlation_id=request.correlation_id,
            server_id=request.server_id,
            database_id=request.database_id,
        )
        try:
            return await self.ctx.target(request.endpoint, attempt)
        except SealError:
            raise Refused(
                422, "VALIDATION_ERROR", "password: does not open with the master key", "password"
            ) from None
        except TargetRefused as exc:
            raise Refused(422, "TARGET_NOT_ALLOWED", f"{exc.field}: {exc.reason}", exc.field) from None

    async def _probe(
        self, request: ProbeEndpoint, operation: str, call: Callable[[Engine, Target], Awaitable[T]]
    ) -> tuple[Target, T]:
        """The gate (name resolution included) and then `call`, all within the probe timeout; an
        unknown host or a timeout is an EngineError, like any failure of the target."""

        async def gated() -> tuple[Target, T]:
            target = await self._target(request, operation)
            return target, await call(engine_for(target.engine), target)

        try:
            return await asyncio.wait_for(gated(), self.timeout)
        except TimeoutError:
            endpoint = request.endpoint
            where = endpoint.database if endpoint.engine == "sqlite" else f"{endpoint.host}:{endpoint.port}"
            message = f"timed out: {where} did not answer within {self.timeout:g} s"
            raise EngineError("unreachable", message) from None

    async def test_connection(self, request: TestEndpoint) -> ConnectionResult:
        started = time.monotonic()
        try:
            await self._probe(request, Executor.test_connection.name, lambda e, t: e.test_connection(t))
        except EngineError as exc:
            return ConnectionResult(
                success=False,
                message=f"Connection failed: {exc.message}",
                error_type=ERROR_TYPES.get(exc.cause, "ConnectionError"),
            )
        elapsed = round((time.monotonic() - started) * 1000)
        return ConnectionResult(
            success=True, message="Connection successful", latency_ms=elapsed, duration_ms=elapsed
        )

    async def discover(self, request: DiscoverEndpoint) -> Discovery:
        try:
            target, found = await self._probe(request, Executor.discover.name, lambda e, t: e.discover(t))
        except EngineError as exc:
            # The target failed, not Lifeboat: a refusal the operator can act on, not a 5xx.
            raise Refused(409, "DISCOVERY_FAILED", f"discovery failed: {exc.message}") from None
        return Discovery(
            databases=[
                DiscoveredDatabase(
                    name=d.name,
                    size_bytes=d.size_bytes,
                    size_mb=round(d.size_bytes / 1048576, 2) if d.size_bytes is not None else None,
                    type=target.engine,
                )
                for d in found
            ]
        )
