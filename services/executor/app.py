"""Composition root of the executor. Skeleton for now: it binds the JOBS work-queue consumer and
answers health pings; engines and the backup pipeline arrive with the backup issue."""

from contracts import subjects
from libs.bus.consumer import consume
from libs.bus.streams import JOBS
from libs.config import ServiceSettings as Settings
from libs.runtime import Runtime
from services.executor import handlers

MIGRATIONS = None
__all__ = ["MIGRATIONS", "Settings", "wire"]


async def wire(runtime: Runtime) -> None:
    consume(
        runtime.broker,
        stream=JOBS,
        subject=subjects.ALL_JOBS,
        durable="executor",
        handle=handlers.on_job,
        max_deliver=5,
    )
