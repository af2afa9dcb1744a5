"""A restore job: check the artifact before touching the target, restore, mask, count.

The stored bytes are checked against the checksum the catalog recorded at backup time
before the target is prepared, so a damaged artifact is refused without changing anything.
Masking runs before the job reports success; if restoring or masking fails, a database this
job created is dropped, so unmasked data is never left behind for anyone to use."""

import asyncio
import contextlib
import hashlib
import time
from collections.abc import AsyncIterator

from nats.aio.client import Client

from contracts.backups import BeginRestore, RestoreSpec
from contracts.events import RestoreCompleted, RestoreFailed
from contracts.jobs import RestoreJob
from contracts.operations.catalog import Catalog
from libs.crypto.artifact import ArtifactError
from libs.crypto.manifest import Manifest, manifest_key
from libs.pipeline import read_stream
from libs.storage import Storage
from services.executor.domain import JobFailure
from services.executor.engines import engine_for
from services.executor.engines.base import Engine, EngineError, MaskRule, Target
from services.executor.gate import Attempt
from services.executor.jobs.context import JobContext
from services.executor.jobs.progress import Progress
from services.executor.store import Lease

PHASES = ["verification", "preparation", "restoring", "masking", "post_restore_validation"]


async def read_manifest(storage: Storage, key: str) -> Manifest:
    data = b"".join([piece async for piece in storage.read(manifest_key(key))])
    return Manifest.decode(data)


async def check_stored_checksum(storage: Storage, key: str, expected: str | None, counter: list[int]) -> None:
    """SHA-256 of the stored bytes against the catalog's record (independent of the manifest)."""
    digest = hashlib.sha256()
    async for piece in storage.read(key):
        await asyncio.to_thread(digest.update, piece)
        counter[0] += len(piece)
    if expected and digest.hexdigest() != expected:
        raise ArtifactError(
            "checksum: SHA-256 of the stored artifact differs from the one recorded at backup time"
        )


async def counted(source: AsyncIterator[bytes], counter: list[int]) -> AsyncIterator[bytes]:
    async for piece in source:
        counter[0] += len(piece)
        yield piece


async def run(job: RestoreJob, lease: Lease, ctx: JobContext, nc: Client) -> RestoreCompleted:
    spec = await ctx.begin(
        Catalog.begin_restore,
        BeginRestore(
            job_id=job.id,
            backup_id=job.backup_id,
            restore_id=job.restore_id,
            fence=lease.fence,
            executor=ctx.instance,
        )
    )
    started = time.monotonic()
    engine = engine_for(spec.endpoint.engine)
    attempt = Attempt(
        "restore", correlation_id=job.correlation_id, backup_id=job.backup_id, restore_id=job.restore_id
    )
    target = await ctx.target(spec.endpoint, attempt)
    storage = ctx.destinations.get(spec.destination)
    warnings: list[str] = []
    checked, restored = [0], [0]
    async with Progress(nc, "restore", job.id, job.backup_id, PHASES, job.restore_id) as progress:
        manifest = await read_manifest(storage, spec.storage_key)
        progress.total_bytes = manifest.stored_size
        progress.phase("verification", lambda: checked[0])
        await check_stored_checksum(storage, spec.storage_key, spec.checksum, checked)
        progress.phase("preparation")
        if spec.dry_run:
            return await _dry_run(spec, job, lease, engine, target, started)
        progress.total_bytes = manifest.plain_size
        await engine.prepare_target(target, replace=spec.replace_existing)
        try:
            with ctx.workdir() as workdir:
                progress.phase("restoring", lambda: restored[0])
                dump = counted(read_stream(storage, spec.storage_key, ctx.keyring, manifest), restored)
                await engine.restore(target, dump, workdir)
            masked: dict[str, int] = {}
            if spec.masking_rules:
                progress.phase("masking")
                rules = {c: MaskRule(r.strategy, r.value) for c, r in spec.masking_rules.items()}
                masked = await engine.mask(target, rules)
                if not masked:
                    warnings.append("no column matched the masking rules")
            progress.phase("post_restore_validation")
            counts = await engine.table_counts(target)
        except BaseException:
            with contextlib.suppress(Exception):
                await engine.drop(target)
            raise
    return RestoreCompleted(
        restore_id=spec.restore_id,
        backup_id=spec.backup_id,
        job_id=job.id,
        fence=lease.fence,
        bytes_restored=restored[0],
        masked_columns=masked,
        table_counts=counts,
        warnings=warnings,
        duration_seconds=time.monotonic() - started,
    )


async def _dry_run(
    spec: RestoreSpec, job: RestoreJob, lease: Lease, engine: Engine, target: Target, started: float
) -> RestoreCompleted:
    """Everything but the change: the artifact checks out, the target answers, and it is empty
    (or replacing it was asked for)."""
    warnings = ["dry run: nothing was changed"]
    try:
        await engine.test_connection(target)
        counts = await engine.table_counts(target)
    except EngineError as exc:
        if exc.cause != "unknown_database":
            raise
        counts = {}
        warnings.append(f"database {target.database!r} does not exist and would be created")
    if any(counts.values()) and not spec.replace_existing:
        raise JobFailure(
            "not_empty", f"database {target.database!r} holds data; restoring needs replace_existing"
        )
    if counts and spec.replace_existing:
        warnings.append(f"database {target.database!r} holds data that would be replaced")
    return RestoreCompleted(
        restore_id=spec.restore_id,
        backup_id=spec.backup_id,
        job_id=job.id,
        fence=lease.fence,
        bytes_restored=0,
        warnings=warnings,
        duration_seconds=time.monotonic() - started,
    )


def failed(job: RestoreJob, lease: Lease, failure: JobFailure) -> RestoreFailed:
    return RestoreFailed(
        restore_id=job.restore_id,
        backup_id=job.backup_id,
        job_id=job.id,
        fence=lease.fence,
        cause=failure.cause,
        error=failure.message,
    )
