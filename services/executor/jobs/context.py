"""What every job runner needs: keyring, destinations, the catalog, progress, a private workdir,
and one place that turns failures into a cause, a message and whether a retry may help."""

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import msgspec

from contracts.connections import Endpoint
from contracts.operations import Operation
from libs.bus import rpc
from libs.bus.broker import Broker
from libs.crypto import Keyring, SealError, open_sealed
from libs.crypto.artifact import ArtifactError
from libs.errors import Refused
from libs.storage import StorageError
from libs.storage.destinations import DestinationError, Destinations
from services.executor.domain import Abandon, JobFailure
from services.executor.engines.base import EngineError, Target
from services.executor.gate import Attempt, Gate, TargetRefused
from services.executor.settings import ExecutorSettings
from services.executor.workarea import WorkArea

Req = TypeVar("Req", bound=msgspec.Struct)
Rep = TypeVar("Rep")


def failure_of(exc: BaseException) -> JobFailure:
    """What went wrong, as the job's outcome names it."""
    match exc:
        case JobFailure():
            return exc
        case EngineError():
            return JobFailure(exc.cause, exc.message)
        case TargetRefused():
            return JobFailure("refused", exc.reason)
        case StorageError() | DestinationError():
            return JobFailure("storage", f"storage: {exc}")
        case ArtifactError():
            return JobFailure("corrupt", f"artifact check failed: {exc}")
        case SealError():
            return JobFailure("credentials", "stored credentials do not open with the master key")
        case rpc.ServiceUnavailable():
            return JobFailure("catalog_unavailable", str(exc))
        case _:
            return JobFailure("internal", f"{type(exc).__name__}: {exc}")


@dataclass
class JobContext:
    settings: ExecutorSettings
    broker: Broker
    keyring: Keyring
    destinations: Destinations
    instance: str
    gate: Gate
    work_area: WorkArea

    async def begin(self, operation: Operation[Req, Rep], request: Req) -> Rep:
        """Claim the job at the catalog; Abandon if it says no."""
        try:
            return await rpc.call(self.broker, operation, request, timeout=15)
        except Refused as exc:
            if exc.status == 409:
                raise Abandon(exc.detail) from None
            if exc.status == 503:  # the catalog's database is away: a later attempt may succeed
                raise JobFailure("catalog_unavailable", exc.detail) from None
            raise JobFailure("internal", f"catalog refused {operation.name}: {exc.detail}") from None

    async def target(self, endpoint: Endpoint, attempt: Attempt) -> Target:
        """The only way to a Target: through the gate (network guard, SQLite roots)."""
        password = None
        if endpoint.password is not None:
            password = open_sealed(self.keyring, endpoint.password, endpoint.password_purpose).decode()
        return await self.gate.target(endpoint, password, attempt)

    def workdir(self) -> contextlib.AbstractContextManager[Path]:
        """A private (0700) directory for credential files and staging, removed afterwards (or,
        if this executor is killed, by the next one to start)."""
        return self.work_area.job_folder()
