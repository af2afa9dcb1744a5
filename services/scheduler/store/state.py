"""SQL over `scheduler_state`: whether the scheduler fires at all (004's start/stop, kept across
restarts) and which process holds the firing lease, under which fencing token."""

from datetime import datetime

import asyncpg
import msgspec

from services.scheduler.store import Executor


class StateRow(msgspec.Struct, frozen=True):
    running: bool
    holder: str | None
    lease_expires_at: datetime | None
    last_check_at: datetime | None
    next_check_at: datetime | None


STATE_COLUMNS = ", ".join(StateRow.__struct_fields__)


async def state(db: Executor) -> StateRow:
    row = await db.fetchrow(f"SELECT {STATE_COLUMNS} FROM scheduler_state WHERE id = 1")
    assert row is not None
    return StateRow(*row)


async def hold_lease(db: Executor, instance: str, seconds: float) -> int | None:
    """Take or renew the lease; its fencing token, or None while another process holds it."""
    fence = await db.fetchval(
        """UPDATE scheduler_state
           SET fence = CASE WHEN holder = $1 THEN fence ELSE fence + 1 END, holder = $1,
               lease_expires_at = now() + make_interval(secs => $2)
           WHERE id = 1 AND (holder = $1 OR holder IS NULL OR lease_expires_at < now())
           RETURNING fence""",
        instance,
        seconds,
    )
    return int(fence) if fence is not None else None


async def release_lease(db: Executor, instance: str) -> None:
    await db.execute(
        "UPDATE scheduler_state SET holder = NULL, lease_expires_at = NULL WHERE holder = $1", instance
    )


async def still_holding(
    conn: asyncpg.Connection, instance: str, fence: int, now: datetime, next_check_at: datetime
) -> bool:
    """Whether `instance` still holds the lease under `fence` and the scheduler runs; locks the
    state row, so a successor waits for this transaction to end."""
    return bool(
        await conn.fetchval(
            """UPDATE scheduler_state SET last_check_at = $3, next_check_at = $4
               WHERE id = 1 AND holder = $1 AND fence = $2 AND running AND lease_expires_at > now()
               RETURNING true""",
            instance,
            fence,
            now,
            next_check_at,
        )
    )


async def set_running(conn: asyncpg.Connection, running: bool, *, release_lease: bool) -> None:
    release = ", holder = NULL, lease_expires_at = NULL" if release_lease else ""
    await conn.execute(
        f"UPDATE scheduler_state SET running = $1, changed_at = now(){release} WHERE id = 1", running
    )
