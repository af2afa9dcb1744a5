"""Composition root of the scheduler: schedules and their log, over RPC; the firing loop (one
lease holder fires at a time); and the consumers that keep the schedule log current."""

from contracts import subjects
from contracts.operations.scheduler import Scheduler
from libs.bus import rpc
from libs.bus.consumer import consume
from libs.bus.streams import EVENTS
from libs.runtime import Runtime
from services.scheduler.catalog_events import CatalogEvents
from services.scheduler.clock import Clock
from services.scheduler.fire_log import FireLog
from services.scheduler.firing import Firing
from services.scheduler.handlers import ScheduleHandlers
from services.scheduler.policy_handlers import PolicyHandlers
from services.scheduler.settings import SchedulerSettings as Settings

MIGRATIONS = "services.scheduler.migrations"
__all__ = ["MIGRATIONS", "Settings", "wire"]


async def wire(runtime: Runtime) -> None:
    settings = runtime.settings
    assert isinstance(settings, Settings)
    broker, pool = runtime.broker, runtime.pool
    clock = Clock(settings.scheduler_clock_file)

    handlers = ScheduleHandlers(pool, broker, settings, clock)
    rpc.serve(broker, Scheduler.create_schedule, handlers.create)
    rpc.serve(broker, Scheduler.list_schedules, handlers.list)
    rpc.serve(broker, Scheduler.get_schedule, handlers.get)
    rpc.serve(broker, Scheduler.update_schedule, handlers.update)
    rpc.serve(broker, Scheduler.delete_schedule, handlers.delete)
    rpc.serve(broker, Scheduler.set_database_schedule, handlers.set_for_database)
    rpc.serve(broker, Scheduler.trigger_schedule, handlers.trigger)
    rpc.serve(broker, Scheduler.scheduler_status, handlers.status)
    rpc.serve(broker, Scheduler.control_scheduler, handlers.control)
    rpc.serve(broker, Scheduler.list_logs, handlers.logs)
    policies = PolicyHandlers(pool)
    rpc.serve(broker, Scheduler.policy_users, policies.policy_users)
    rpc.serve(broker, Scheduler.reassign_policy, policies.reassign_policy)

    FireLog(pool).bind(broker)
    consume(
        broker,
        stream=EVENTS,
        subject=subjects.event("catalog", "*"),
        durable="scheduler",
        handle=CatalogEvents(pool).handle,
    )
    firing = Firing(pool, settings, clock, runtime.instance)
    runtime.background.append(lambda: firing.run(runtime.stop))
