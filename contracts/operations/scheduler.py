"""What the scheduler answers: schedules, its own run state, its firing log."""

from contracts.catalog import Deleted
from contracts.operations import Operation, Service
from contracts.retention import PolicySchedules, PolicyUsage, Reassigned, ReassignSchedules
from contracts.schedules import (
    ControlScheduler,
    CreateSchedule,
    DatabaseSchedule,
    DeleteSchedule,
    GetSchedule,
    ListScheduleLogs,
    ListSchedules,
    ScheduleList,
    ScheduleLogPage,
    SchedulerStatus,
    SchedulerStatusQuery,
    ScheduleView,
    Triggered,
    TriggerSchedule,
    UpdateSchedule,
)


class Scheduler(Service, name="scheduler"):
    create_schedule = Operation(CreateSchedule, ScheduleView)
    list_schedules = Operation(ListSchedules, ScheduleList)
    get_schedule = Operation(GetSchedule, ScheduleView)
    update_schedule = Operation(UpdateSchedule, ScheduleView)
    delete_schedule = Operation(DeleteSchedule, Deleted)
    set_database_schedule = Operation(DatabaseSchedule, ScheduleList)
    trigger_schedule = Operation(TriggerSchedule, Triggered)
    scheduler_status = Operation(SchedulerStatusQuery, SchedulerStatus)
    control_scheduler = Operation(ControlScheduler, SchedulerStatus)
    list_logs = Operation(ListScheduleLogs, ScheduleLogPage)

    policy_users = Operation(PolicySchedules, PolicyUsage)
    reassign_policy = Operation(ReassignSchedules, Reassigned)
