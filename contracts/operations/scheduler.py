"""What the scheduler answers: schedules, its own run state, its firing log."""

from contracts import catalog, retention, schedules
from contracts.operations import Operation, Service


class Scheduler(Service, name="scheduler"):
    create_schedule = Operation(schedules.CreateSchedule, schedules.ScheduleView)
    list_schedules = Operation(schedules.ListSchedules, schedules.ScheduleList)
    get_schedule = Operation(schedules.GetSchedule, schedules.ScheduleView)
    update_schedule = Operation(schedules.UpdateSchedule, schedules.ScheduleView)
    delete_schedule = Operation(schedules.DeleteSchedule, catalog.Deleted)
    set_database_schedule = Operation(schedules.DatabaseSchedule, schedules.ScheduleList)
    trigger_schedule = Operation(schedules.TriggerSchedule, schedules.Triggered)
    scheduler_status = Operation(schedules.SchedulerStatusQuery, schedules.SchedulerStatus)
    control_scheduler = Operation(schedules.ControlScheduler, schedules.SchedulerStatus)
    list_logs = Operation(schedules.ListScheduleLogs, schedules.ScheduleLogPage)

    policy_users = Operation(retention.PolicySchedules, retention.PolicyUsage)
    reassign_policy = Operation(retention.ReassignSchedules, retention.Reassigned)
