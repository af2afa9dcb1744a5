"""Composition root of the executor: the pool of workers that runs backups, restores and
verifications from the JOBS stream, and answers connection tests and discovery over RPC."""

import logging

from contracts.operations.executor import Executor
from libs.bus import rpc
from libs.crypto import load_keyring
from libs.netguard.resolver import lifeboat_policy
from libs.runtime import Runtime
from libs.storage.destinations import Destinations
from services.executor.consumers import Worker
from services.executor.gate import Gate
from services.executor.handlers import ProbeHandlers
from services.executor.jobs.context import JobContext
from services.executor.settings import ExecutorSettings as Settings
from services.executor.workarea import WorkArea

MIGRATIONS = "services.executor.migrations"
log = logging.getLogger("lifeboat.executor")
__all__ = ["MIGRATIONS", "Settings", "wire"]


async def wire(runtime: Runtime) -> None:
    settings = runtime.settings
    assert isinstance(settings, Settings)
    allow, deny = settings.network_ranges()
    policy = await lifeboat_policy(
        nats_url=settings.nats_url,
        database_url=settings.database_url,
        http_host=settings.http_host,
        http_port=settings.http_port,
        allow=allow,
        deny=deny,
    )
    work_area = WorkArea(settings.data_path / "work")
    if removed := work_area.sweep():
        log.info("removed the job folders of %d killed executor(s)", len(removed))
    ctx = JobContext(
        settings=settings,
        broker=runtime.broker,
        keyring=load_keyring(settings.master_key_path),
        destinations=Destinations(settings),
        instance=runtime.instance,
        gate=Gate(policy, settings.sqlite_root_paths, runtime.pool, runtime.outbox),
        work_area=work_area,
    )
    probes = ProbeHandlers(ctx)
    concurrency = settings.probe_concurrency
    rpc.serve(runtime.broker, Executor.test_connection, probes.test_connection, concurrency=concurrency)
    rpc.serve(runtime.broker, Executor.discover, probes.discover, concurrency=concurrency)
    runtime.background.append(Worker(runtime.pool, runtime.outbox, ctx, runtime.stop).run)
