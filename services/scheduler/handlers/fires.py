"""The schedule log over RPC (004's BackupScheduleLog): each fire, the backups the catalog
created for it, and what became of them."""

import asyncpg

from contracts.schedules import ListScheduleLogs, ScheduleLog, ScheduleLogPage
from services.scheduler.store import fires
from services.scheduler.store.fires import LogRow


def view(row: LogRow) -> ScheduleLog:
    return ScheduleLog(
        id=row.id,
        schedule_id=row.schedule_id,
        server_id=row.server_id,
        backup_id=row.backup_ids[0] if row.backup_ids else None,
        backup_ids=row.backup_ids,
        fire_at=row.fire_at,
        manual=row.manual,
        status=row.status,
        started_at=row.started_at,
        completed_at=row.completed_at,
        duration_seconds=(row.completed_at - row.started_at).total_seconds() if row.completed_at else None,
        backup_size_bytes=row.backup_size_bytes,
        logs=row.logs,
        error_message=row.error_message,
    )


class FireHandlers:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def logs(self, request: ListScheduleLogs) -> ScheduleLogPage:
        rows, total = await fires.list_logs(self.pool, request)
        return ScheduleLogPage(items=[view(r) for r in rows], total=total)
