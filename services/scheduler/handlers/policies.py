"""What the retention service asks of the scheduler before a policy is deleted: which schedules
name it, and (when the deletion reassigns them) to move them all to another policy at once."""

import asyncpg

from contracts.events import ScheduleUpdated
from contracts.retention import PolicySchedules, PolicyUsage, PolicyUser, Reassigned, ReassignSchedules
from libs.bus.outbox import Outbox
from services.scheduler.store import schedules as store


class PolicyHandlers:
    def __init__(self, pool: asyncpg.Pool, outbox: Outbox) -> None:
        self.pool = pool
        self.outbox = outbox

    async def policy_users(self, request: PolicySchedules) -> PolicyUsage:
        rows = await store.naming_policy(self.pool, request.policy_id)
        return PolicyUsage(items=[PolicyUser(id=r.id, name=r.name) for r in rows])

    async def reassign_policy(self, request: ReassignSchedules) -> Reassigned:
        """One transaction: every schedule naming the policy moves, each move is an event."""
        async with self.pool.acquire() as conn, conn.transaction():
            moved = await store.reassign_policy(conn, request.policy_id, request.to_policy_id)
            events = [
                ScheduleUpdated(schedule_id=r.id, name=r.name, updated_fields=["retention_policy_id"])
                for r in moved
            ]
            await self.outbox.emit_many(conn, events, cause=request)
        return Reassigned(items=[PolicyUser(id=r.id, name=r.name) for r in moved])
