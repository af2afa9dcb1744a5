"""A verify job (003): read the whole artifact back — stored checksum, every chunk's
authentication, decompression to the end, sizes and digests against the manifest — and, with
`test_restore`, restore it into a throw-away database beside the source and count its rows.

A verification that finds a problem is a result (`passed: false`, the failed check named),
not a job failure; only an unreachable store or server is retried."""

import contextlib
import secrets
import time
from collections.abc import AsyncIterator, Awaitable
from typing import TypeVar

from nats.aio.client import Client

from contracts.backups import BeginVerify, VerifySpec
from contracts.events import BackupVerified
from contracts.jobs import VerifyJob
from contracts.operations.catalog import Catalog
from libs.crypto.artifact import ArtifactError
from libs.crypto.manifest import Manifest, ManifestError
from libs.pipeline import read_stream
from libs.storage import Storage, StorageError
from services.executor.domain import CHECKS, JobFailure, check_of
from services.executor.engines import engine_for
from services.executor.engines.base import EngineError
from services.executor.gate import Attempt
from services.executor.jobs.context import JobContext
from services.executor.jobs.progress import Progress
from services.executor.jobs.restore import check_stored_checksum, counted, read_manifest
from services.executor.store import Lease

T = TypeVar("T")
PHASES = ["metadata_validation", "checksum_validation", "decryption", "test_restore"]


async def run(job: VerifyJob, lease: Lease, ctx: JobContext, nc: Client) -> BackupVerified:
    spec = await ctx.begin(
        Catalog.begin_verify,
        BeginVerify(job_id=job.id, backup_id=job.backup_id, fence=lease.fence, executor=ctx.instance)
    )
    started = time.monotonic()
    storage = ctx.destinations.get(spec.destination)
    checks = {name: "not_run" for name in CHECKS}
    issues: list[str] = []
    counts: dict[str, int] = {}
    done = [0]
    async with Progress(nc, "verify", job.id, job.backup_id, PHASES) as progress:
        manifest = await _check(checks, issues, "metadata_validation", _read_manifest(storage, spec))
        if manifest is not None:
            checks["file_integrity"] = "passed"
            progress.total_bytes = manifest.stored_size
            progress.phase("checksum_validation", lambda: done[0])
            checksum = check_stored_checksum(storage, spec.storage_key, spec.checksum, done)
            intact = await _check(checks, issues, "checksum_validation", _completed(checksum)) is not None
            done[0] = 0
            progress.total_bytes = manifest.plain_size
            progress.phase("decryption", lambda: done[0])
            # Every chunk is read even after a checksum mismatch, so the report says what is damaged.
            plain = read_stream(storage, spec.storage_key, ctx.keyring, manifest if intact else None)
            decrypted = await _check(checks, issues, "encryption_validation", _drain(counted(plain, done)))
            if decrypted:
                checks["compression_validation"] = "passed"
        if job.test_restore and not issues:
            progress.phase("test_restore")
            counts = await _test_restore(spec, ctx, checks, issues)
    return BackupVerified(
        backup_id=spec.backup_id,
        job_id=job.id,
        passed=not issues,
        checks=checks,
        issues=issues,
        table_counts=counts,
        duration_seconds=time.monotonic() - started,
    )


async def _read_manifest(storage: Storage, spec: VerifySpec) -> Manifest:
    manifest = await read_manifest(storage, spec.storage_key)
    if manifest.backup_id != str(spec.backup_id) or manifest.artifact_key != spec.storage_key:
        raise ArtifactError("header: the manifest belongs to another backup")
    return manifest


async def _completed(step: Awaitable[None]) -> bool:
    """Await `step`; True, so that a passed check is told from a failed one."""
    await step
    return True


async def _drain(source: AsyncIterator[bytes]) -> bool:
    """Read `source` to the end; True, so that a passed check is told from a failed one."""
    async for _ in source:
        pass
    return True


async def _check(checks: dict[str, str], issues: list[str], name: str, step: Awaitable[T]) -> T | None:
    """Run one check; record `name` passed, or the check the error names as failed."""
    try:
        result = await step
    except (ArtifactError, ManifestError) as exc:
        failed = check_of(str(exc)) if isinstance(exc, ArtifactError) else "metadata_validation"
        reason = str(exc)
    except StorageError as exc:
        if "no such object" not in str(exc):
            raise  # unreachable storage: retried, not a verdict on the backup
        failed, reason = "file_integrity", str(exc)
    else:
        checks[name] = "passed"
        return result
    checks[failed] = "failed"
    issues.append(f"{failed}: {reason}")
    return None


async def _test_restore(
    spec: VerifySpec, ctx: JobContext, checks: dict[str, str], issues: list[str]
) -> dict[str, int]:
    if spec.endpoint is None:
        checks["test_restore"] = "skipped"
        issues.append("test_restore: the backup's server no longer exists")
        return {}
    engine = engine_for(spec.endpoint.engine)
    source = await ctx.target(spec.endpoint, Attempt("verify", backup_id=spec.backup_id))
    with ctx.workdir() as workdir:
        name = (
            str(workdir / "verify.sqlite3")
            if source.engine == "sqlite"
            else f"lifeboat_verify_{spec.backup_id}_{secrets.token_hex(4)}"
        )
        throwaway = source.with_database(name)
        if source.engine == "redis":
            checks["test_restore"] = "skipped"
            return {}
        try:
            await engine.prepare_target(throwaway, replace=False)
            manifest = await read_manifest(ctx.destinations.get(spec.destination), spec.storage_key)
            dump = read_stream(
                ctx.destinations.get(spec.destination), spec.storage_key, ctx.keyring, manifest
            )
            await engine.restore(throwaway, dump, workdir)
            counts = await engine.table_counts(throwaway)
            checks["test_restore"] = "passed"
            checks["row_count_check"] = "passed" if counts else "failed"
            if not counts:
                issues.append("row_count_check: the restored database has no tables")
            return counts
        except EngineError as exc:
            checks["test_restore"] = "failed"
            issues.append(f"test_restore: {exc.message}")
            return {}
        finally:
            with contextlib.suppress(Exception):
                await engine.drop(throwaway)


def failed(job: VerifyJob, lease: Lease, failure: JobFailure) -> BackupVerified:
    return BackupVerified(
        backup_id=job.backup_id,
        job_id=job.id,
        passed=False,
        checks={"file_integrity": "not_run"},
        issues=[f"{failure.cause}: {failure.message}"],
    )
