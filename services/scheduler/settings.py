"""Settings of the scheduler (`LIFEBOAT_*` like every setting)."""

from typing import Literal

from libs.config import ServiceSettings


class SchedulerSettings(ServiceSettings, frozen=True, kw_only=True):
    scheduler_tick_seconds: float = 1.0  # how often the lease holder looks for due schedules
    scheduler_lease_seconds: float = 6.0  # a holder that stops renewing this long is replaced
    # After downtime: "once" fires the latest missed slot once, "all" every missed slot,
    # "skip" only a slot missed by less than scheduler_missed_grace_seconds.
    scheduler_missed_fires: Literal["once", "all", "skip"] = "once"
    scheduler_missed_grace_seconds: float = 300.0
    scheduler_batch: int = 500  # due schedules claimed per transaction
    # Fires are recorded this long before they are due and published when due: the database
    # work of a busy minute is done before it starts. A schedule changed within this window of
    # its fire time fires as it was.
    scheduler_lookahead_seconds: float = 3.0
    # A file holding an ISO-8601 instant that replaces the wall clock for fire times (tests,
    # rehearsals); empty = the real clock. Leases always use real time.
    scheduler_clock_file: str = ""


Settings = SchedulerSettings
