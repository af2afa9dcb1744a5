"""The scheduler itself over RPC (004's `/backup-scheduler/status` and start/stop/restart): its
run state, the fires running now with an estimate of their end, and who holds the lease."""

from datetime import timedelta

import asyncpg

from contracts.events import SchedulerControlled
from contracts.schedules import ControlScheduler, SchedulerJob, SchedulerStatus, SchedulerStatusQuery
from libs.bus.outbox import Outbox
from services.scheduler.settings import Settings
from services.scheduler.store import fires, schedules, state


class SchedulerHandlers:
    def __init__(self, pool: asyncpg.Pool, outbox: Outbox, settings: Settings) -> None:
        self.pool = pool
        self.outbox = outbox
        self.settings = settings

    async def status(self, _: SchedulerStatusQuery) -> SchedulerStatus:
        current = await state.state(self.pool)
        total, active = await schedules.counts(self.pool)
        running = await fires.running_fires(self.pool)
        typical = await fires.typical_durations(self.pool, [f.schedule_id for f in running])
        jobs = [
            SchedulerJob(
                schedule_id=f.schedule_id,
                server_id=f.server_id,
                started_at=f.started_at,
                estimated_completion=(
                    f.started_at + timedelta(seconds=typical[f.schedule_id])
                    if f.schedule_id in typical
                    else None
                ),
            )
            for f in running
        ]
        return SchedulerStatus(
            running=current.running,
            total_schedules=total,
            active_schedules=active,
            last_check_at=current.last_check_at,
            next_check_at=current.next_check_at if current.running else None,
            current_jobs=jobs,
            leader=current.holder if current.lease_expires_at else None,
            missed_fires=self.settings.scheduler_missed_fires,
        )

    async def control(self, request: ControlScheduler) -> SchedulerStatus:
        """Stop and start persist (a stopped scheduler stays stopped across restarts); restart
        also hands the lease back so the next tick elects a holder afresh."""
        running = request.action != "stop"
        async with self.pool.acquire() as conn, conn.transaction():
            await state.set_running(conn, running, release_lease=request.action == "restart")
            event = SchedulerControlled(action=request.action, running=running)
            await self.outbox.emit(conn, event, cause=request)
        return await self.status(SchedulerStatusQuery(actor=request.actor))
