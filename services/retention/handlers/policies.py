"""Retention policies over RPC: create, list, read, change, and delete. A policy that a database
or schedule names is never deleted from under it: its owners (catalog, scheduler) are asked who
names it, and a deletion may move them all to another policy first."""

import asyncpg
import msgspec

from contracts.catalog import Deleted
from contracts.events import PolicyCreated, PolicyDeleted, PolicyUpdated
from contracts.operations.catalog import Catalog
from contracts.operations.scheduler import Scheduler
from contracts.retention import (
    CreatePolicy,
    DeletePolicy,
    ListPolicies,
    PolicyDatabases,
    PolicyList,
    PolicyRef,
    PolicySchedules,
    PolicyUser,
    PolicyView,
    ReassignDatabases,
    ReassignSchedules,
    UpdatePolicy,
)
from libs.bus import rpc
from libs.bus.broker import Broker
from libs.bus.outbox import Outbox
from libs.db.rows import check_name_free, found, lock_names
from libs.errors import Refused, invalid
from services.retention import store
from services.retention.domain import policies, usage
from services.retention.store import Executor, PolicyRow

Users = list[PolicyUser]


async def found_policy(db: Executor, policy_id: int, *, for_update: bool = False) -> PolicyRow:
    return found(await store.get_policy(db, policy_id, for_update=for_update), "retention policy", policy_id)


class PolicyHandlers:
    def __init__(self, pool: asyncpg.Pool, broker: Broker, outbox: Outbox) -> None:
        self.pool = pool
        self.broker = broker
        self.outbox = outbox

    async def create(self, request: CreatePolicy) -> PolicyView:
        values = policies.new_values(request)
        policies.check(values)
        async with self.pool.acquire() as conn, conn.transaction():
            await lock_names(conn, "policies")
            await check_name_free(conn, "policies", "retention policy", values["name"])
            row = await found_policy(conn, await store.insert_policy(conn, values))
            event = PolicyCreated(policy_id=row.id, name=row.name, summary=policies.summary(row))
            await self.outbox.emit(conn, event, cause=request)
        return row

    async def list(self, _: ListPolicies) -> PolicyList:
        return PolicyList(items=await store.list_policies(self.pool))

    async def get(self, request: PolicyRef) -> PolicyView:
        return await found_policy(self.pool, request.policy_id)

    async def update(self, request: UpdatePolicy) -> PolicyView:
        async with self.pool.acquire() as conn, conn.transaction():
            await lock_names(conn, "policies")
            row = await found_policy(conn, request.policy_id, for_update=True)
            changes = policies.changed_values(request)
            policies.check(msgspec.structs.asdict(row) | changes)
            if "name" in changes:
                await check_name_free(conn, "policies", "retention policy", changes["name"], row.id)
            if changes:
                await store.update_policy(conn, row.id, changes)
            updated = await found_policy(conn, row.id)
            event = PolicyUpdated(
                policy_id=row.id,
                name=updated.name,
                updated_fields=sorted(changes),
                summary=policies.summary(updated),
            )
            await self.outbox.emit(conn, event, cause=request)
        return updated

    async def delete(self, request: DeletePolicy) -> Deleted:
        """Refused while any database or schedule names the policy, unless `reassign_to` moves
        them first. Its owners are asked who names it after any move, and the row is deleted only
        when nobody does: a failure half-way leaves the policy in place, and a retry finishes."""
        row = await found_policy(self.pool, request.policy_id)
        if row.is_system:
            raise Refused(400, "SYSTEM_POLICY", f"'{row.name}' is the system policy and cannot be deleted")
        if request.reassign_to is not None:
            await self._reassign(request, row)
        databases, schedules = await self._users(request)
        if databases or schedules:
            raise Refused(409, "POLICY_IN_USE", usage.in_use(row.name, databases, schedules))
        async with self.pool.acquire() as conn, conn.transaction():
            await found_policy(conn, row.id, for_update=True)
            await store.delete_policy(conn, row.id)
            await self.outbox.emit(conn, PolicyDeleted(policy_id=row.id, name=row.name), cause=request)
        return Deleted(message=usage.deleted(row.name, request.reassign_to))

    async def _users(self, request: DeletePolicy) -> tuple[Users, Users]:
        who, policy_id = request.actor, request.policy_id
        databases = PolicyDatabases(actor=who, correlation_id=request.correlation_id, policy_id=policy_id)
        schedules = PolicySchedules(actor=who, correlation_id=request.correlation_id, policy_id=policy_id)
        return (
            (await rpc.call(self.broker, Catalog.policy_users, databases)).items,
            (await rpc.call(self.broker, Scheduler.policy_users, schedules)).items,
        )

    async def _reassign(self, request: DeletePolicy, row: PolicyRow) -> None:
        target = request.reassign_to
        if target == row.id:
            raise invalid("reassign_to", "must name another policy than the one deleted")
        if target is None or await store.get_policy(self.pool, target) is None:
            raise invalid("reassign_to", f"retention policy {target} does not exist")
        who, correlation_id = request.actor, request.correlation_id
        databases = ReassignDatabases(
            actor=who, correlation_id=correlation_id, policy_id=row.id, to_policy_id=target
        )
        schedules = ReassignSchedules(
            actor=who, correlation_id=correlation_id, policy_id=row.id, to_policy_id=target
        )
        await rpc.call(self.broker, Catalog.reassign_policy, databases)
        await rpc.call(self.broker, Scheduler.reassign_policy, schedules)
