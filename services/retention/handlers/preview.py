"""The preview of what a policy would keep and delete for one database, now: the same plan the
evaluation makes, with the policy asked about in place of the database's own."""

from datetime import UTC, datetime

import asyncpg

from contracts.retention import BackupFact, PreviewItem, PreviewRetention, RetentionPreview
from services.retention.domain import policies, rules
from services.retention.evaluation import Evaluator
from services.retention.handlers.policies import found_policy


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


class PreviewHandlers:
    def __init__(self, pool: asyncpg.Pool, evaluator: Evaluator) -> None:
        self.pool = pool
        self.evaluator = evaluator

    async def preview(self, request: PreviewRetention) -> RetentionPreview:
        row = await found_policy(self.pool, request.policy_id)
        history = await self.evaluator.history(request.database_id)
        now = datetime.now(UTC)
        schedules = await self.evaluator.schedules_of(history)
        # what would happen now: a database whose own policy is missing is held whatever is previewed
        hold = (await self.evaluator.policy_for(history, schedules)).hold
        plan = self.evaluator.plan(history, policies.of(row), schedules, now, hold)
        by_id = {b.id: b for b in history.backups}
        return RetentionPreview(
            policy_id=row.id,
            database_id=history.database_id,
            evaluated_at=now,
            held=plan.held,
            held_reason=plan.held_reason,
            keep=preview_items(plan.keep, by_id),
            delete=preview_items(plan.delete, by_id),
        )
