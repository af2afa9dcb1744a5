"""Applying retention to one database: read its history from the catalog, choose its policy,
plan with the pure `rules.plan`, record each backup's tier and retention date, then delete what
no rule keeps — through the catalog, which removes the artifact before the record. Running it
twice deletes nothing more: a backup already gone answers 404 and is skipped."""

import asyncio
import logging
from datetime import UTC, datetime

import asyncpg

from contracts.backups import DeleteBackup
from contracts.envelope import Actor
from contracts.events import RetentionApplied
from contracts.operations.catalog import Catalog
from contracts.operations.scheduler import Scheduler
from contracts.retention import (
    DatabaseHistory,
    History,
    ListManagedDatabases,
    MarkRetention,
    RetentionMark,
)
from contracts.schedules import GetSchedule, ListSchedules, ScheduleView
from libs.bus import rpc
from libs.bus.broker import Broker
from libs.bus.outbox import Outbox
from libs.bus.rpc import ServiceUnavailable
from libs.errors import Refused
from services.retention import store
from services.retention.domain import policies, rules
from services.retention.domain.history import HOLDING, Choice, facts, makers

log = logging.getLogger("lifeboat.retention")
RETENTION = Actor(service="retention")


class Evaluator:
    def __init__(self, pool: asyncpg.Pool, broker: Broker, outbox: Outbox, failing_window: int) -> None:
        self.pool = pool
        self.broker = broker
        self.outbox = outbox
        self.failing_window = failing_window

    async def history(self, database_id: int) -> History:
        query = DatabaseHistory(actor=RETENTION, database_id=database_id)
        return await rpc.call(self.broker, Catalog.database_history, query)

    async def schedules_of(self, history: History) -> list[ScheduleView]:
        """The schedules that made this database's backups and still exist, newest backup's first."""
        made_by = makers(history)
        if not made_by:
            return []
        if history.server_id:
            query = ListSchedules(actor=RETENTION, server_id=history.server_id)
        else:
            query = ListSchedules(actor=RETENTION, database_id=history.database_id)
        found = {s.id: s for s in (await rpc.call(self.broker, Scheduler.list_schedules, query)).items}
        for schedule_id in (i for i in made_by if i not in found):  # moved to another server since
            try:
                ref = GetSchedule(actor=RETENTION, schedule_id=schedule_id)
                found[schedule_id] = await rpc.call(self.broker, Scheduler.get_schedule, ref)
            except Refused as exc:
                if exc.status != 404:
                    raise
        return [found[i] for i in made_by if i in found]

    async def policy_for(self, history: History, schedules: list[ScheduleView]) -> Choice:
        """002's retention_days wins; then the database's policy; then the policy of the newest
        schedule (by the backups it made) that names one; then the system default. A policy that
        is named but cannot be found, or a schedule that could have named one but no longer
        exists, holds deletion: falling back to a looser policy would delete by surprise."""
        if history.retention_days:
            return Choice(None, policies.days_only(history.retention_days))
        if history.policy_id is not None:
            return await self._named(history.policy_id, "the database names")
        found = {s.id: s for s in schedules}
        for schedule_id in makers(history):
            schedule = found.get(schedule_id)
            if schedule is None:
                return Choice(
                    None,
                    HOLDING,
                    f"schedule {schedule_id}, which made backups of this database,"
                    " no longer exists and the database names no policy of its own;"
                    " nothing is deleted until the database names a retention policy",
                )
            if schedule.retention_policy_id is not None:
                return await self._named(schedule.retention_policy_id, f"schedule {schedule.name!r} names")
        row = await store.system_policy(self.pool)
        return Choice(row.id, policies.of(row))

    async def _named(self, policy_id: int, who: str) -> Choice:
        row = await store.get_policy(self.pool, policy_id)
        if row is None:
            return Choice(
                policy_id,
                HOLDING,
                f"{who} retention policy {policy_id}, which does not exist;"
                " nothing is deleted until a policy that exists is set",
            )
        return Choice(row.id, policies.of(row))

    def plan(
        self,
        history: History,
        policy: rules.Policy,
        schedules: list[ScheduleView],
        now: datetime,
        hold: str | None = None,
    ) -> rules.Plan:
        return rules.plan(
            facts(history),
            policy,
            now,
            max_backups={s.id: s.max_backups for s in schedules},
            failing_window=self.failing_window,
            hold=hold,
        )

    async def sweep(self, stop: asyncio.Event, every_seconds: float) -> None:
        """Every database with backups, every `every_seconds`, until `stop`."""
        while not stop.is_set():
            try:
                query = ListManagedDatabases(actor=RETENTION)
                managed = await rpc.call(self.broker, Catalog.managed_databases, query)
                for database_id in managed.database_ids:
                    await self.evaluate(database_id)
            except (ServiceUnavailable, Refused, OSError) as exc:
                log.warning("retention sweep stopped early, will retry: %s", exc)
            try:
                await asyncio.wait_for(stop.wait(), every_seconds)
            except TimeoutError:
                pass

    async def evaluate(self, database_id: int) -> rules.Plan | None:
        try:
            history = await self.history(database_id)
        except Refused as exc:
            if exc.status == 404:
                return None  # the database was deleted: nothing left to manage
            raise
        schedules = await self.schedules_of(history)
        choice = await self.policy_for(history, schedules)
        policy_id = choice.policy_id
        plan = self.plan(history, choice.policy, schedules, datetime.now(UTC), choice.hold)
        marks = [
            RetentionMark(backup_id=d.backup_id, tier=d.tier, retention_until=d.retention_until)
            for d in plan.keep
        ]
        if marks:
            await rpc.call(self.broker, Catalog.mark_retention, MarkRetention(actor=RETENTION, marks=marks))
        deleted = [d.backup_id for d in plan.delete if await self._delete(database_id, policy_id, d)]
        if deleted or plan.held:
            async with self.pool.acquire() as conn, conn.transaction():
                applied = RetentionApplied(
                    database_id=database_id,
                    policy_id=policy_id,
                    kept=len(plan.keep),
                    deleted=deleted,
                    held=plan.held,
                    held_reason=plan.held_reason,
                    actor=RETENTION,
                )
                await self.outbox.emit(conn, applied)
        return plan

    async def _delete(self, database_id: int, policy_id: int | None, decision: rules.Decision) -> bool:
        await store.record_deletion(self.pool, decision.backup_id, database_id, policy_id, decision.reason)
        try:
            deletion = DeleteBackup(actor=RETENTION, backup_id=decision.backup_id)
            await rpc.call(self.broker, Catalog.delete_backup, deletion)
        except Refused as exc:
            if exc.status == 404:
                return False  # already gone: an earlier run or an operator deleted it
            raise
        log.info("deleted backup %s of database %s: %s", decision.backup_id, database_id, decision.reason)
        return True
