"""Composition root of the scheduler: schedules and their log, over RPC; the firing loop (one
lease holder fires at a time); and the consumers that keep schedules and their log current."""

from contracts import subjects
from contracts.operations.scheduler import Scheduler
from libs.bus import rpc
from libs.bus.consumer import consume
from libs.bus.streams import EVENTS
from libs.runtime import Runtime
from services.scheduler.clock import Clock
from services.scheduler.consumers import CatalogDeletions, FireLog
from services.scheduler.firing import Firing
from services.scheduler.handlers.database_schedules import DatabaseScheduleHandlers
from services.scheduler.handlers.fires import FireHandlers
from services.scheduler.handlers.policies import PolicyHandlers
from services.scheduler.handlers.scheduler import SchedulerHandlers
from services.scheduler.handlers.schedules import ScheduleHandlers
from services.scheduler.settings import Settings

MIGRATIONS = "services.scheduler.migrations"
__all__ = ["MIGRATIONS", "Settings", "wire"]


async def wire(runtime: Runtime) -> None:
    settings = runtime.settings
    assert isinstance(settings, Settings)
    broker, pool, outbox = runtime.broker, runtime.pool, runtime.outbox
    clock = Clock(settings.scheduler_clock_file)

    schedules = ScheduleHandlers(pool, broker, outbox, clock)
    rpc.serve(broker, Scheduler.create_schedule, schedules.create)
    rpc.serve(broker, Scheduler.list_schedules, schedules.list)
    rpc.serve(broker, Scheduler.get_schedule, schedules.get)
    rpc.serve(broker, Scheduler.update_schedule, schedules.update)
    rpc.serve(broker, Scheduler.delete_schedule, schedules.delete)
    rpc.serve(broker, Scheduler.trigger_schedule, schedules.trigger)
    database_schedules = DatabaseScheduleHandlers(pool, outbox, clock)
    rpc.serve(broker, Scheduler.set_database_schedule, database_schedules.set_for_database)
    scheduler = SchedulerHandlers(pool, outbox, settings)
    rpc.serve(broker, Scheduler.scheduler_status, scheduler.status)
    rpc.serve(broker, Scheduler.control_scheduler, scheduler.control)
    rpc.serve(broker, Scheduler.list_logs, FireHandlers(pool).logs)
    policies = PolicyHandlers(pool, outbox)
    rpc.serve(broker, Scheduler.policy_users, policies.policy_users)
    rpc.serve(broker, Scheduler.reassign_policy, policies.reassign_policy)

    deletions, fire_log = CatalogDeletions(pool).handle, FireLog(pool).handle
    catalog, backup = subjects.event("catalog", "*"), subjects.event("backup", "*")
    consume(broker, stream=EVENTS, subject=catalog, durable="scheduler", handle=deletions)
    consume(broker, stream=EVENTS, subject=catalog, durable="scheduler-fires-catalog", handle=fire_log)
    consume(broker, stream=EVENTS, subject=backup, durable="scheduler-fires-backup", handle=fire_log)

    firing = Firing(pool, outbox, settings, clock, runtime.instance)
    runtime.background.append(lambda: firing.run(runtime.stop))
