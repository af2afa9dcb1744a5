"""The executor's SQL: job leases with fencing tokens, and the events it records in the outbox.

A worker claims a job before running it; the claim succeeds when nobody holds the job or the
holder's lease expired (it stopped heart-beating: killed, paused, partitioned). Each claim
gets the next fencing token. Heartbeats extend the lease only for the current token, and a
job is finished (its outcome emitted through the outbox) only in a transaction that checks
the token — so a stale worker can neither extend nor complete a job someone else took over.
"""

from typing import Literal

import asyncpg
import msgspec

from contracts.envelope import Event
from libs.bus.outbox import Outbox

Claim = Literal["claimed", "held", "done"]


class Lease(msgspec.Struct, frozen=True):
    """A claim on one job: `fence` is its token, `attempts` how many claims the job has had."""

    job_id: str
    fence: int
    attempts: int


async def claim(
    pool: asyncpg.Pool, job_id: str, kind: str, holder: str, seconds: float
) -> tuple[Claim, Lease | None, float]:
    """Claim `job_id`; returns ("claimed", lease, 0), ("held", None, seconds left on the other
    holder's lease) or ("done", None, 0) when the job already finished."""
    row = await pool.fetchrow(
        """INSERT INTO leases (job_id, kind, fence, holder, expires_at)
           VALUES ($1, $2, 1, $3, now() + make_interval(secs => $4))
           ON CONFLICT (job_id) DO UPDATE
             SET fence = leases.fence + 1, holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at,
                 attempts = leases.attempts + 1, state = 'running', updated_at = now()
             WHERE leases.state = 'waiting' OR (leases.state = 'running' AND leases.expires_at < now())
           RETURNING fence, attempts""",
        job_id,
        kind,
        holder,
        seconds,
    )
    if row is not None:
        return "claimed", Lease(job_id, *row), 0.0
    current = await pool.fetchrow(
        "SELECT state, extract(epoch FROM expires_at - now()) AS left FROM leases WHERE job_id = $1", job_id
    )
    if current is None or current["state"] == "done":
        return "done", None, 0.0
    return "held", None, max(0.5, float(current["left"]))


async def extend(pool: asyncpg.Pool, lease: Lease, seconds: float) -> bool:
    """Heartbeat: False when the lease was lost (another worker holds a newer fence)."""
    result: str = await pool.execute(
        """UPDATE leases SET expires_at = now() + make_interval(secs => $3), updated_at = now()
           WHERE job_id = $1 AND fence = $2 AND state = 'running'""",
        lease.job_id,
        lease.fence,
        seconds,
    )
    return result.endswith(" 1")


async def finish(pool: asyncpg.Pool, outbox: Outbox, lease: Lease, outcome: Event | None) -> bool:
    """Mark the job done and emit its outcome, in one transaction that checks the fence; False
    (nothing changed, nothing emitted) when the lease is stale."""
    async with pool.acquire() as conn, conn.transaction():
        result: str = await conn.execute(
            """UPDATE leases SET state = 'done', updated_at = now()
               WHERE job_id = $1 AND fence = $2 AND state = 'running'""",
            lease.job_id,
            lease.fence,
        )
        if not result.endswith(" 1"):
            return False
        if outcome is not None:
            await outbox.emit(conn, outcome)
    return True


async def release(pool: asyncpg.Pool, lease: Lease) -> None:
    """Give the job back for a retry: the next delivery claims it with a newer fence."""
    await pool.execute(
        """UPDATE leases SET state = 'waiting', updated_at = now()
           WHERE job_id = $1 AND fence = $2 AND state = 'running'""",
        lease.job_id,
        lease.fence,
    )


async def record(pool: asyncpg.Pool, outbox: Outbox, event: Event) -> None:
    """Emit `event` on its own, with no change beside it (a refused connection)."""
    async with pool.acquire() as conn:
        await outbox.emit(conn, event)
