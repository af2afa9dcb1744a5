"""Run Lifeboat services inside a test's event loop, against the test servers."""

import asyncio
import importlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import msgspec
import nats
import nats.errors

from contracts import subjects
from contracts.rpc import Ping
from libs.config import ServiceSettings
from libs.crypto import create_keyring
from libs.runtime import run_service


def settings_for(service: str, nats_url: str, database_url: str, data_dir: Path, **extra: Any) -> Any:
    """The service's own Settings type, pointed at the test servers."""
    module = importlib.import_module(f"services.{service}.app")
    key_file = data_dir / "master.key"
    if not key_file.exists():
        create_keyring(key_file)
    return module.Settings(
        nats_url=nats_url, database_url=database_url, data_dir=str(data_dir), log_level="WARNING", **extra
    )


@asynccontextmanager
async def running(service: str, settings: ServiceSettings) -> AsyncIterator[None]:
    """Run one service until the block ends; fail loudly if it dies early."""
    module = importlib.import_module(f"services.{service}.app")
    stop = asyncio.Event()
    task = asyncio.create_task(run_service(service, settings, module.MIGRATIONS, module.wire, stop))
    await _answers_pings(service, settings.nats_url, task)
    try:
        yield
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


async def _answers_pings(service: str, nats_url: str, task: "asyncio.Task[None]") -> None:
    connection = await nats.connect(nats_url)
    try:
        for _ in range(300):
            if task.done():
                task.result()
                raise RuntimeError(f"{service} stopped before it answered a ping")
            try:
                await connection.request(subjects.ping(service), msgspec.json.encode(Ping()), timeout=0.2)
                return
            except (nats.errors.NoRespondersError, nats.errors.TimeoutError):
                await asyncio.sleep(0.1)
        raise TimeoutError(f"{service} did not answer a ping")
    finally:
        await connection.close()
