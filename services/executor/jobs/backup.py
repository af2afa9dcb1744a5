"""A backup job: claim it at the catalog, stream the dump into storage, report the outcome.

Every attempt writes to its own key (`….a<fence>.lbart`), so a stale attempt can never touch
the artifact of the one that replaced it; the new attempt first removes whatever earlier
attempts left (temp file, open multipart upload, or an artifact committed by a worker that
died before it could report it)."""

import contextlib
import time
from pathlib import Path

from nats.aio.client import Client

from contracts.backups import BackupSpec, BeginBackup
from contracts.events import BackupCompleted, BackupFailed
from contracts.jobs import BackupJob
from contracts.operations.catalog import Catalog
from libs.crypto.artifact import ArtifactWriter
from libs.crypto.manifest import Manifest, manifest_key
from libs.pipeline import store_stream
from libs.storage import Storage
from services.executor.domain import JobFailure, attempt_key
from services.executor.engines import engine_for
from services.executor.engines.base import Engine, Target
from services.executor.gate import Attempt
from services.executor.jobs.context import JobContext
from services.executor.jobs.progress import Progress
from services.executor.store import Lease

PHASES = ["connecting", "dumping", "finalizing"]


async def _clear_earlier_attempts(storage: Storage, base: str, fence: int) -> None:
    for earlier in range(1, fence):
        key = attempt_key(base, earlier)
        await storage.discard_incomplete(key)
        await storage.delete(key)
        await storage.delete(manifest_key(key))


async def run(job: BackupJob, lease: Lease, ctx: JobContext, nc: Client) -> BackupCompleted:
    spec = await ctx.begin(
        Catalog.begin_backup,
        BeginBackup(job_id=job.id, backup_id=job.backup_id, fence=lease.fence, executor=ctx.instance)
    )
    started = time.monotonic()
    engine = engine_for(spec.endpoint.engine)
    attempt = Attempt("backup", correlation_id=job.correlation_id, backup_id=job.backup_id)
    target = await ctx.target(spec.endpoint, attempt)
    storage = ctx.destinations.get(spec.destination)
    key = attempt_key(spec.storage_key, lease.fence)
    await _clear_earlier_attempts(storage, spec.storage_key, lease.fence)
    async with Progress(nc, "backup", job.id, job.backup_id, PHASES) as progress:
        with ctx.workdir() as workdir:
            manifest = await _dump_into(storage, key, spec, engine, target, ctx, progress, workdir)
    return BackupCompleted(
        backup_id=spec.backup_id,
        job_id=job.id,
        fence=lease.fence,
        destination=spec.destination,
        storage_key=key,
        storage_path=storage.describe(key),
        size_bytes=manifest.stored_size,
        plain_size_bytes=manifest.plain_size,
        sha256=manifest.sha256_stored,
        sha256_plain=manifest.sha256_plain,
        compression=manifest.compression,
        key_id=manifest.key_id,
        tool_version=manifest.tool_version,
        file_format=engine.file_format,
        duration_seconds=time.monotonic() - started,
    )


async def _dump_into(
    storage: Storage,
    key: str,
    spec: BackupSpec,
    engine: Engine,
    target: Target,
    ctx: JobContext,
    progress: Progress,
    workdir: Path,
) -> Manifest:
    """Run the dump into `key`; the artifact is committed only if the tool succeeded. A
    connection test first, so that a wrong password or a missing database is reported as such
    rather than as a failed tool."""
    await engine.test_connection(target)
    with contextlib.suppress(Exception):
        progress.total_bytes = await engine.database_size(target)
    dump = await engine.start_dump(target, workdir)
    writer = ArtifactWriter(ctx.keyring, str(spec.backup_id), spec.compression)
    progress.phase("dumping", lambda: writer.plain_size)

    async def dump_succeeded() -> None:
        progress.phase("finalizing")
        await dump.finish()
        if writer.plain_size == 0:
            raise JobFailure("tool_failed", f"{dump.tool_version}: the dump is empty")

    try:
        manifest = await store_stream(
            dump.source,
            storage,
            key,
            writer,
            engine=engine.name,
            tool_version=dump.tool_version,
            before_commit=dump_succeeded,
        )
    except BaseException:
        dump.kill()
        with contextlib.suppress(Exception):
            await dump.finish()
        raise
    return manifest


def failed(job: BackupJob, lease: Lease, failure: JobFailure) -> BackupFailed:
    return BackupFailed(
        backup_id=job.backup_id,
        job_id=job.id,
        fence=lease.fence,
        cause=failure.cause,
        error=failure.message,
    )
