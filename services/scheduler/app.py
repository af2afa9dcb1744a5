"""Composition root of the scheduler: schedules and their log, over RPC; the firing loop (one
lease holder fires at a time); and the consumers that keep the schedule log current."""

from contracts import subjects
from contracts.retention import PolicyUsers, ReassignPolicy
from contracts.schedules import (
    ControlScheduler,
    CreateSchedule,
    DatabaseSchedule,
    ListScheduleLogs,
    ListSchedules,
    ScheduleRef,
    SchedulerStatusQuery,
    UpdateSchedule,
)
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

    def serve(operation: str, request_type: type, handler) -> None:  # type: ignore[no-untyped-def]
        rpc.serve(broker, "scheduler", operation, request_type, handler)

    handlers = ScheduleHandlers(pool, broker, settings, clock)
    serve("create_schedule", CreateSchedule, handlers.create)
    serve("list_schedules", ListSchedules, handlers.list)
    serve("get_schedule", ScheduleRef, handlers.get)
    serve("update_schedule", UpdateSchedule, handlers.update)
    serve("delete_schedule", ScheduleRef, handlers.delete)
    serve("set_database_schedule", DatabaseSchedule, handlers.set_for_database)
    serve("trigger_schedule", ScheduleRef, handlers.trigger)
    serve("scheduler_status", SchedulerStatusQuery, handlers.status)
    serve("control_scheduler", ControlScheduler, handlers.control)
    serve("list_logs", ListScheduleLogs, handlers.logs)
    policies = PolicyHandlers(pool)
    serve("policy_users", PolicyUsers, policies.policy_users)
    serve("reassign_policy", ReassignPolicy, policies.reassign_policy)

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
