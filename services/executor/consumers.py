"""The executor's consumer of the JOBS stream, a job loop: pull jobs from the JOBS work queue,
at most `executor_concurrency` at a time; claim a lease; heartbeat (JetStream `in_progress` +
lease extension) while the job runs and until its outcome is recorded; finish by emitting its
outcome through the outbox in the transaction that checks the fence; retry transient failures
with backoff; stop a job when it is cancelled or its lease is lost; on shutdown give running
jobs back at once.

NATS or PostgreSQL going away for a while loses nothing: the connection to NATS is retried
for as long as it takes, and a finished job's outcome is retried until it is recorded or the
lease turns out to be lost (then the job belongs to whoever took it over).

It pulls from JetStream itself rather than through `consume()`, because a job's message is
held for as long as the job runs: heart-beaten with `in_progress`, given back with a delay."""

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import asyncpg
import msgspec
import nats
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.errors import Error as NatsError
from nats.errors import TimeoutError as NatsTimeout
from nats.js.api import AckPolicy, ConsumerConfig

from contracts import subjects
from contracts.envelope import Event
from contracts.events import BackupCancelled, BackupCompleted
from contracts.jobs import AnyJob, BackupJob, RestoreJob, VerifyJob
from libs.bus.outbox import Outbox
from libs.crypto.manifest import manifest_key
from libs.db import DATABASE_UNAVAILABLE
from services.executor import store
from services.executor.domain import Abandon, JobFailure, retry_delay
from services.executor.jobs import backup, restore, verify
from services.executor.jobs.context import JobContext, failure_of
from services.executor.store import Lease

log = logging.getLogger("lifeboat.executor")
DURABLE = "executor"
OUTAGE_RETRY_SECONDS = 1.0


@dataclass(frozen=True)
class Kind:
    name: str
    run: Callable[..., Coroutine[Any, Any, Event]]
    failed: Callable[[Any, Lease, JobFailure], Event]


KINDS: dict[type, Kind] = {
    BackupJob: Kind("backup", backup.run, backup.failed),
    RestoreJob: Kind("restore", restore.run, restore.failed),
    VerifyJob: Kind("verify", verify.run, verify.failed),
}
_decoder = msgspec.json.Decoder(AnyJob)


class Stopped(Exception):
    """Why a job's task was cancelled: by the user, by a lost lease, or by shutdown."""


class Worker:
    def __init__(self, pool: asyncpg.Pool, outbox: Outbox, ctx: JobContext, stop: asyncio.Event) -> None:
        self.pool = pool
        self.outbox = outbox
        self.ctx = ctx
        self.stop = stop
        self.settings = ctx.settings
        self.running: dict[int, tuple[asyncio.Task[Event], list[str]]] = {}  # backup id -> task, reason
        self.nc: Client | None = None

    async def run(self) -> None:
        self.nc = await nats.connect(
            self.settings.nats_url, name=f"executor {self.ctx.instance}", max_reconnect_attempts=-1
        )
        try:
            await self.nc.subscribe(BackupCancelled.subject(), cb=self._on_cancel)
            js = self.nc.jetstream()
            subscription = await js.pull_subscribe(
                subjects.ALL_JOBS,
                durable=DURABLE,
                stream=subjects.JOBS_STREAM,
                config=ConsumerConfig(
                    ack_policy=AckPolicy.EXPLICIT, ack_wait=self.settings.job_lease_seconds, max_deliver=-1
                ),
            )
            slots = asyncio.Semaphore(self.settings.executor_concurrency)
            tasks: set[asyncio.Task[None]] = set()
            while not self.stop.is_set():
                await slots.acquire()
                if self.stop.is_set():
                    break
                try:
                    messages = await subscription.fetch(1, timeout=2)
                except (NatsTimeout, TimeoutError):
                    slots.release()
                    continue
                except NatsError as exc:  # NATS is away or restarting: the durable consumer waits
                    log.warning("fetching jobs failed, retrying: %r", exc)
                    slots.release()
                    await asyncio.sleep(OUTAGE_RETRY_SECONDS)
                    continue
                task = asyncio.create_task(self._handle(messages[0]))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                task.add_done_callback(lambda _: slots.release())
            for task_, reason in self.running.values():
                reason.append("shutdown")
                task_.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        finally:
            await self.nc.close()

    async def _on_cancel(self, msg: Msg) -> None:
        with contextlib.suppress(msgspec.ValidationError, msgspec.DecodeError):
            event = msgspec.json.decode(msg.data, type=BackupCancelled)
            if event.backup_id in self.running:
                task, reason = self.running[event.backup_id]
                reason.append("cancelled")
                task.cancel()

    async def _handle(self, msg: Msg) -> None:
        try:
            job = _decoder.decode(msg.data)
        except (msgspec.ValidationError, msgspec.DecodeError):
            log.error("terminating an undecodable job on %s", msg.subject)
            await msg.term()
            return
        kind = KINDS[type(job)]
        try:
            state, lease, wait = await store.claim(
                self.pool, job.id, kind.name, self.ctx.instance, self.settings.job_lease_seconds
            )
        except DATABASE_UNAVAILABLE as exc:
            log.warning("job %s: cannot claim it while the database is away (%r)", job.id, exc)
            await msg.nak(delay=OUTAGE_RETRY_SECONDS)
            return
        if state == "done":
            await msg.ack()
            return
        if state == "held" or lease is None:
            await msg.nak(delay=wait)
            return
        await self._run(msg, job, kind, lease)

    async def _run(self, msg: Msg, job: AnyJob, kind: Kind, lease: Lease) -> None:
        reason: list[str] = []
        task = asyncio.create_task(kind.run(job, lease, self.ctx, self.nc))
        if isinstance(job, BackupJob):
            self.running[job.backup_id] = (task, reason)
        heartbeat = asyncio.create_task(self._heartbeat(msg, lease, task, reason))
        try:
            await self._settle(msg, job, kind, lease, task, reason)
        finally:
            heartbeat.cancel()
            if isinstance(job, BackupJob):
                self.running.pop(job.backup_id, None)

    async def _settle(
        self, msg: Msg, job: AnyJob, kind: Kind, lease: Lease, task: asyncio.Task[Event], reason: list[str]
    ) -> None:
        """Wait for the job's task and record what came of it."""
        try:
            outcome = await task
        except asyncio.CancelledError:
            await self._stopped(msg, lease, reason)
            return
        except Abandon as exc:
            log.info("job %s abandoned: %s", job.id, exc)
            await self._finish(lease, None)
            await msg.ack()
            return
        except Exception as exc:
            failure = failure_of(exc)
            if failure.cause == "internal":
                log.exception("job %s failed unexpectedly", job.id)
            if failure.transient and lease.attempts < self.settings.job_max_attempts:
                delay = retry_delay(self.settings.job_retry_seconds, lease.attempts)
                log.warning(
                    "job %s attempt %d failed (%s); retrying in %.0f s",
                    job.id,
                    lease.attempts,
                    failure.message,
                    delay,
                )
                await self._released(lease)
                await msg.nak(delay=delay)
                return
            outcome = kind.failed(job, lease, failure)
        if await self._finish(lease, outcome):
            await msg.ack()
        elif isinstance(outcome, BackupCompleted):
            await self._remove_stale_artifact(outcome)

    async def _stopped(self, msg: Msg, lease: Lease, reason: list[str]) -> None:
        if "cancelled" in reason:
            await self._finish(lease, None)
            await msg.ack()
        elif "shutdown" in reason:
            await self._released(lease)
            await msg.nak()
        # a lost lease: the job belongs to the worker that took it over; leave the message alone

    async def _finish(self, lease: Lease, outcome: Event | None) -> bool:
        """Record the job done (and its outcome) under its fence; False when the lease is stale.
        A database outage is waited out: the outcome of a finished job is not dropped for it."""
        while True:
            try:
                if await store.finish(self.pool, self.outbox, lease, outcome):
                    return True
                log.warning("job %s: lease %d is stale; outcome dropped", lease.job_id, lease.fence)
                return False
            except DATABASE_UNAVAILABLE as exc:
                log.warning("job %s: recording its outcome failed (%r); retrying", lease.job_id, exc)
                await asyncio.sleep(OUTAGE_RETRY_SECONDS)

    async def _released(self, lease: Lease) -> None:
        """Give the job back for a retry; if the database is away the lease simply expires."""
        try:
            await store.release(self.pool, lease)
        except DATABASE_UNAVAILABLE as exc:
            log.warning("job %s: could not release lease %d (%r)", lease.job_id, lease.fence, exc)

    async def _remove_stale_artifact(self, outcome: BackupCompleted) -> None:
        with contextlib.suppress(Exception):
            storage = self.ctx.destinations.get(outcome.destination)
            await storage.delete(outcome.storage_key)
            await storage.delete(manifest_key(outcome.storage_key))

    async def _heartbeat(self, msg: Msg, lease: Lease, task: asyncio.Task[Event], reason: list[str]) -> None:
        """Until cancelled (once the outcome is recorded): tell JetStream the job is in progress
        and extend the lease — each on its own, so one server being away does not cost the other."""
        interval = self.settings.job_lease_seconds / 3
        while True:
            await asyncio.sleep(interval)
            try:
                await msg.in_progress()
            except Exception:
                log.warning("heartbeat of job %s to NATS failed", lease.job_id, exc_info=True)
            try:
                alive = await store.extend(self.pool, lease, self.settings.job_lease_seconds)
            except Exception:
                log.warning("heartbeat of job %s to the database failed", lease.job_id, exc_info=True)
                continue
            if not alive:
                log.warning("job %s: lease %d was taken over; stopping", lease.job_id, lease.fence)
                reason.append("lost")
                task.cancel()
                return
