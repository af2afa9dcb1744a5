"""What the retention service asks of the scheduler before a policy is deleted: which schedules
name it, and (when the deletion reassigns them) to move them all to another policy at once."""

import asyncpg

from contracts.events import ScheduleUpdated
from contracts.retention import PolicyUsage, PolicyUser, PolicyUsers, Reassigned, ReassignPolicy
from libs.bus.outbox import emit_many
from services.scheduler.firing import PRODUCER


class PolicyHandlers:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def policy_users(self, request: PolicyUsers) -> PolicyUsage:
        rows = await self.pool.fetch(
            "SELECT id, name FROM schedules WHERE retention_policy_id = $1 ORDER BY id", request.policy_id
        )
        return PolicyUsage(items=[PolicyUser(id=r["id"], name=r["name"]) for r in rows])

    async def reassign_policy(self, request: ReassignPolicy) -> Reassigned:
        """One transaction: every schedule naming the policy moves, each move is an event."""
        async with self.pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                """UPDATE schedules SET retention_policy_id = $2, updated_at = now()
                   WHERE retention_policy_id = $1 RETURNING id, name""",
                request.policy_id,
                request.to_policy_id,
            )
            moved = sorted(rows, key=lambda r: r["id"])
            await emit_many(
                conn,
                [
                    ScheduleUpdated(
                        schedule_id=r["id"],
                        name=r["name"],
                        updated_fields=["retention_policy_id"],
                        producer=PRODUCER,
                        actor=request.actor,
                        correlation_id=request.correlation_id,
                    )
                    for r in moved
                ],
            )
        return Reassigned(items=[PolicyUser(id=r["id"], name=r["name"]) for r in moved])
