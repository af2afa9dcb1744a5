"""The retention service's RPC operations: policies (000 fields, 001 tiers) and the preview of
what a policy would keep and delete for one database. A policy that a database or schedule names
is never deleted from under it: its owners (catalog, scheduler) are asked who names it."""

from datetime import UTC, datetime
from typing import Any

import asyncpg

from contracts.catalog import Deleted
from contracts.events import PolicyCreated, PolicyDeleted, PolicyUpdated
from contracts.operations.catalog import Catalog
from contracts.operations.scheduler import Scheduler
from contracts.retention import (
    BackupFact,
    CreatePolicy,
    DeletePolicy,
    ListPolicies,
    PolicyDatabases,
    PolicyList,
    PolicyRef,
    PolicySchedules,
    PolicyUser,
    PolicyView,
    PreviewItem,
    PreviewRetention,
    ReassignDatabases,
    ReassignSchedules,
    RetentionPreview,
    UpdatePolicy,
)
from libs.bus import rpc
from libs.bus.broker import Broker
from libs.bus.outbox import emit
from libs.db.rows import insert_row, update_row
from libs.errors import Refused, conflict, invalid, not_found
from services.retention import policies, rules, store, usage
from services.retention.evaluation import PRODUCER, Evaluator

Users = list[PolicyUser]


def preview_items(decisions: tuple[rules.Decision, ...], by_id: dict[int, BackupFact]) -> list[PreviewItem]:
    return [
        PreviewItem(
            backup_id=d.backup_id,
            created_at=by_id[d.backup_id].created_at,
            status=by_id[d.backup_id].status,
            rules=list(d.rules),
            tier=d.tier,
            retention_until=d.retention_until,
            reason=d.reason,
        )
        for d in decisions
    ]


class PolicyHandlers:
    def __init__(self, pool: asyncpg.Pool, broker: Broker, evaluator: Evaluator) -> None:
        self.pool = pool
        self.broker = broker
        self.evaluator = evaluator

    async def create(self, request: CreatePolicy) -> PolicyView:
        values = policies.new_values(request)
        policies.check(values)
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("LOCK TABLE policies IN SHARE ROW EXCLUSIVE MODE")
            if await store.name_taken(conn, values["name"]):
                raise conflict(f"a retention policy named {values['name']!r} already exists", "name")
            row = await store.get_policy(conn, await insert_row(conn, "policies", values))
            assert row is not None
            await emit(
                conn,
                PolicyCreated(
                    policy_id=row["id"],
                    name=row["name"],
                    summary=policies.summary(row),
                    producer=PRODUCER,
                    actor=request.actor,
                    correlation_id=request.correlation_id,
                ),
            )
        return policies.view(row)

    async def list(self, _: ListPolicies) -> PolicyList:
        return PolicyList(items=[policies.view(r) for r in await store.list_policies(self.pool)])

    async def get(self, request: PolicyRef) -> PolicyView:
        row = await store.get_policy(self.pool, request.policy_id)
        if row is None:
            raise not_found("retention policy", request.policy_id)
        return policies.view(row)

    async def update(self, request: UpdatePolicy) -> PolicyView:
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("LOCK TABLE policies IN SHARE ROW EXCLUSIVE MODE")
            row = await store.get_policy(conn, request.policy_id, for_update=True)
            if row is None:
                raise not_found("retention policy", request.policy_id)
            changes = policies.changed_values(request)
            policies.check({**row, **changes})
            if "name" in changes and await store.name_taken(conn, changes["name"], row["id"]):
                raise conflict(f"a retention policy named {changes['name']!r} already exists", "name")
            if changes:
                await update_row(conn, "policies", row["id"], changes)
            updated = await store.get_policy(conn, row["id"])
            assert updated is not None
            await emit(
                conn,
                PolicyUpdated(
                    policy_id=row["id"],
                    name=updated["name"],
                    updated_fields=sorted(changes),
                    summary=policies.summary(updated),
                    producer=PRODUCER,
                    actor=request.actor,
                    correlation_id=request.correlation_id,
                ),
            )
        return policies.view(updated)

    async def delete(self, request: DeletePolicy) -> Deleted:
        """Refused while any database or schedule names the policy, unless `reassign_to` moves
        them first. Its owners are asked who names it after any move, and the row is deleted only
        when nobody does: a failure half-way leaves the policy in place, and a retry finishes."""
        row = await store.get_policy(self.pool, request.policy_id)
        if row is None:
            raise not_found("retention policy", request.policy_id)
        if row["is_system"]:
            raise Refused(400, "SYSTEM_POLICY", f"'{row['name']}' is the system policy and cannot be deleted")
        if request.reassign_to is not None:
            await self._reassign(request, row)
        databases, schedules = await self._users(request)
        if databases or schedules:
            raise Refused(409, "POLICY_IN_USE", usage.in_use(row["name"], databases, schedules))
        async with self.pool.acquire() as conn, conn.transaction():
            if await store.get_policy(conn, row["id"], for_update=True) is None:
                raise not_found("retention policy", request.policy_id)
            await conn.execute("DELETE FROM policies WHERE id = $1", row["id"])
            await emit(
                conn,
                PolicyDeleted(
                    policy_id=row["id"],
                    name=row["name"],
                    producer=PRODUCER,
                    actor=request.actor,
                    correlation_id=request.correlation_id,
                ),
            )
        return Deleted(message=usage.deleted(row["name"], request.reassign_to))

    async def _users(self, request: DeletePolicy) -> tuple[Users, Users]:
        who, policy_id = request.actor, request.policy_id
        databases = PolicyDatabases(actor=who, correlation_id=request.correlation_id, policy_id=policy_id)
        schedules = PolicySchedules(actor=who, correlation_id=request.correlation_id, policy_id=policy_id)
        return (
            (await rpc.call(self.broker, Catalog.policy_users, databases)).items,
            (await rpc.call(self.broker, Scheduler.policy_users, schedules)).items,
        )

    async def _reassign(self, request: DeletePolicy, row: dict[str, Any]) -> None:
        target = request.reassign_to
        if target == row["id"]:
            raise invalid("reassign_to", "must name another policy than the one deleted")
        if target is None or await store.get_policy(self.pool, target) is None:
            raise invalid("reassign_to", f"retention policy {target} does not exist")
        who, correlation_id = request.actor, request.correlation_id
        databases = ReassignDatabases(
            actor=who, correlation_id=correlation_id, policy_id=row["id"], to_policy_id=target
        )
        schedules = ReassignSchedules(
            actor=who, correlation_id=correlation_id, policy_id=row["id"], to_policy_id=target
        )
        await rpc.call(self.broker, Catalog.reassign_policy, databases)
        await rpc.call(self.broker, Scheduler.reassign_policy, schedules)

    async def preview(self, request: PreviewRetention) -> RetentionPreview:
        row = await store.get_policy(self.pool, request.policy_id)
        if row is None:
            raise not_found("retention policy", request.policy_id)
        history = await self.evaluator.history(request.database_id)
        now = datetime.now(UTC)
        schedules = await self.evaluator.schedules_of(history)
        # what would happen now: a database whose own policy is missing is held whatever is previewed
        hold = (await self.evaluator.policy_for(history, schedules)).hold
        plan = self.evaluator.plan(history, policies.of(row), schedules, now, hold)
        by_id = {b.id: b for b in history.backups}
        return RetentionPreview(
            policy_id=row["id"],
            database_id=history.database_id,
            evaluated_at=now,
            held=plan.held,
            held_reason=plan.held_reason,
            keep=preview_items(plan.keep, by_id),
            delete=preview_items(plan.delete, by_id),
        )
