"""Composition root of the scheduler. Skeleton for now: it binds its durable consumer and
answers health pings; its capability arrives with its own issue."""

from contracts import subjects
from libs.bus.consumer import consume
from libs.bus.streams import EVENTS
from libs.config import ServiceSettings as Settings
from libs.runtime import Runtime
from services.scheduler import handlers

MIGRATIONS = None
__all__ = ["MIGRATIONS", "Settings", "wire"]


async def wire(runtime: Runtime) -> None:
    consume(
        runtime.broker,
        stream=EVENTS,
        subject=subjects.event("catalog", "*"),
        durable="scheduler",
        handle=handlers.on_event,
    )
