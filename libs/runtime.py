"""What every service process does around its own handlers: connect, migrate, answer pings,
relay its outbox, announce itself, and stop cleanly on SIGTERM/SIGINT."""

import asyncio
import gc
import logging
import os
import signal
import socket
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from contracts.envelope import Actor
from contracts.events import ServiceStarted, ServiceStopped
from contracts.operations.services import BY_NAME
from contracts.rpc import Ping, Pong
from libs.bus import rpc
from libs.bus.broker import Broker, make_broker
from libs.bus.outbox import Outbox, OutboxRelay
from libs.config import ServiceSettings
from libs.db import connect, ensure_database, migrate
from libs.telemetry import setup_logging, setup_tracing

VERSION = "0.1.0"
log = logging.getLogger("lifeboat.runtime")


@dataclass
class Runtime:
    """The adapters a service's composition root hands to its handlers."""

    name: str
    settings: ServiceSettings
    broker: Broker
    pool: asyncpg.Pool
    instance: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")
    started_at: float = field(default_factory=time.time)
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    # Long-running jobs of the service; each returns once `stop` is set.
    background: list[Callable[[], Coroutine[Any, Any, None]]] = field(default_factory=list)

    @property
    def actor(self) -> Actor:
        return Actor(service=self.name)

    @property
    def outbox(self) -> Outbox:
        """How this service's handlers emit: stamped with the service as producer."""
        return Outbox(self.name)


Wire = Callable[[Runtime], Awaitable[None]]


async def open_runtime(
    name: str, settings: ServiceSettings, migrations_package: str | None, stop: asyncio.Event
) -> Runtime:
    await ensure_database(settings.database_url)
    await migrate(settings.database_url, name, migrations_package)
    pool = await connect(settings.database_url, name)
    broker = make_broker(settings.nats_url, name)
    runtime = Runtime(name=name, settings=settings, broker=broker, pool=pool, stop=stop)

    async def pong(_: Ping) -> Pong:
        return Pong(service=name, instance=runtime.instance, version=VERSION, started_at=runtime.started_at)

    rpc.serve(broker, BY_NAME[name].ping, pong)
    return runtime


async def run_service(
    name: str,
    settings: ServiceSettings,
    migrations_package: str | None,
    wire: Wire,
    stop: asyncio.Event | None = None,
) -> None:
    """Run until SIGTERM/SIGINT (or `stop` is set): the body of `lifeboat run <name>`."""
    setup_logging(name, settings.log_level)
    setup_tracing(name)
    stop = stop or _stop_on_signals()
    runtime = await open_runtime(name, settings, migrations_package, stop)
    await wire(runtime)
    relay = OutboxRelay(runtime.pool, runtime.broker, name)
    await runtime.broker.start()
    tasks = [asyncio.create_task(relay.run(), name=f"{name}-outbox")]
    tasks += [asyncio.create_task(job(), name=f"{name}-background") for job in runtime.background]
    async with runtime.pool.acquire() as conn, conn.transaction():
        started = ServiceStarted(
            service=name, instance=runtime.instance, version=VERSION, actor=runtime.actor
        )
        await runtime.outbox.emit(conn, started)
    # What startup built (modules, the app, pools) lives as long as the process: out of the
    # collector's reach, a full collection scans only what was made since, instead of stalling
    # every request in flight for tens of milliseconds to traverse the whole heap.
    gc.freeze()
    log.info("service started", extra={"instance": runtime.instance})
    try:
        await _until_stopped_or_failed(stop, tasks)
    finally:
        async with runtime.pool.acquire() as conn, conn.transaction():
            stopped = ServiceStopped(actor=runtime.actor, service=name, instance=runtime.instance)
            await runtime.outbox.emit(conn, stopped)
        stop.set()
        await relay.stop()
        await asyncio.wait(tasks, timeout=15)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await runtime.broker.stop()
        await runtime.pool.close()
        log.info("service stopped")


async def _until_stopped_or_failed(stop: asyncio.Event, tasks: list[asyncio.Task[None]]) -> None:
    waiter = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait([waiter, *tasks], return_when=asyncio.FIRST_COMPLETED)
    waiter.cancel()
    for task in done:
        if task is not waiter and task.exception() is not None:
            raise task.exception()  # type: ignore[misc]


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    return stop
