"""Connection tests and discovery, answered over RPC for the catalog: the executor is the only
service that reaches users' databases. A failure is an answer (`success: false`, a message
naming the cause), not an error."""

import time

from contracts.connections import ConnectionResult, DiscoveredDatabase, Discovery, ProbeEndpoint
from libs.crypto import SealError
from libs.errors import Refused
from services.executor.context import JobContext
from services.executor.engines import engine_for
from services.executor.engines.base import EngineError

ERROR_TYPES = {
    "authentication": "AuthenticationError",
    "unreachable": "ConnectionError",
    "unknown_database": "DatabaseNotFoundError",
    "unsupported": "UnsupportedError",
    "invalid": "InvalidConfigurationError",
}


class Probes:
    def __init__(self, ctx: JobContext) -> None:
        self.ctx = ctx

    def _target(self, request: ProbeEndpoint):  # type: ignore[no-untyped-def]
        try:
            return self.ctx.target(request.endpoint)
        except SealError:
            raise Refused(
                422, "VALIDATION_ERROR", "password: does not open with the master key", "password"
            ) from None

    async def test_connection(self, request: ProbeEndpoint) -> ConnectionResult:
        target = self._target(request)
        started = time.monotonic()
        try:
            await engine_for(target.engine).test_connection(target)
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

    async def discover(self, request: ProbeEndpoint) -> Discovery:
        target = self._target(request)
        try:
            found = await engine_for(target.engine).discover(target)
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
