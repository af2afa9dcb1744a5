"""When backup schedules fire: cron expressions read in an IANA time zone, or fixed UTC intervals.

Pure rules shared by the scheduler (which fires schedules) and the gateway (which refuses a bad
expression before anything is stored): `timing` holds the value and its error, `cron` the grammar,
`fires` the daylight-saving rules, `missed` what runs after downtime, `intervals` the fixed
intervals and the API's presets.
"""

from libs.schedules.cron import check_cron
from libs.schedules.fires import check, check_timezone, next_fire
from libs.schedules.intervals import INTERVALS, Interval
from libs.schedules.missed import Missed, due
from libs.schedules.timing import Timing, TimingError

__all__ = [
    "INTERVALS",
    "Interval",
    "Missed",
    "Timing",
    "TimingError",
    "check",
    "check_cron",
    "check_timezone",
    "due",
    "next_fire",
]
