"""Composition root of the notifier. Skeleton for now: it binds its durable consumer and
answers health pings; its capability arrives with its own issue."""

from contracts import subjects
from libs.bus.consumer import consume
from libs.bus.streams import EVENTS
from libs.runtime import Runtime
from services.notifier.consumers import DURABLE, EventWatcher
from services.notifier.settings import NotifierSettings as Settings

MIGRATIONS = "services.notifier.migrations"
__all__ = ["MIGRATIONS", "Settings", "wire"]


async def wire(runtime: Runtime) -> None:
    consume(runtime.broker, stream=EVENTS, subject=subjects.ALL_EVENTS, durable=DURABLE,
            handle=EventWatcher().handle)
