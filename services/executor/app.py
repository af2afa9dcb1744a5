"""Composition root of the executor: the pool of workers that runs backups, restores and
verifications from the JOBS stream, and answers connection tests and discovery over RPC."""

import logging

from contracts.connections import ProbeEndpoint
from libs.bus import rpc
from libs.crypto import load_keyring
from libs.runtime import Runtime
from libs.storage.destinations import Destinations
from services.executor.context import JobContext
from services.executor.probes import Probes
from services.executor.settings import ExecutorSettings
from services.executor.workarea import WorkArea
from services.executor.worker import Worker

MIGRATIONS = "services.executor.migrations"
log = logging.getLogger("lifeboat.executor")
Settings = ExecutorSettings
__all__ = ["MIGRATIONS", "Settings", "wire"]


async def wire(runtime: Runtime) -> None:
    settings = runtime.settings
    assert isinstance(settings, ExecutorSettings)
    work_area = WorkArea(settings.data_path / "work")
    if removed := work_area.sweep():
        log.info("removed the job folders of %d killed executor(s)", len(removed))
    ctx = JobContext(
        settings=settings,
        broker=runtime.broker,
        keyring=load_keyring(settings.master_key_path),
        destinations=Destinations(settings),
        instance=runtime.instance,
        work_area=work_area,
    )
    probes = Probes(ctx)
    rpc.serve(runtime.broker, "executor", "test_connection", ProbeEndpoint, probes.test_connection)
    rpc.serve(runtime.broker, "executor", "discover", ProbeEndpoint, probes.discover)
    worker = Worker(runtime.pool, ctx, runtime.stop)
    runtime.background.append(worker.run)
