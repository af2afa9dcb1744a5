"""Fixed intervals: every n hours of elapsed UTC time, at multiples since 1970-01-01T00:00Z, so an
interval schedule fires at the same instants whatever its zone and whenever it was created; and the
presets the API offers."""

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from libs.schedules.timing import TimingError

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MAX_INTERVAL_HOURS = 8760
_MIN_INTERVAL_SECONDS = 60


@dataclass(frozen=True, slots=True)
class Interval:
    """A preset offered by the API's BackupScheduleInterval."""

    hours: int
    label: str
    cron_expression: str


INTERVALS: tuple[Interval, ...] = (
    Interval(1, "Every hour", "0 * * * *"),
    Interval(2, "Every 2 hours", "0 */2 * * *"),
    Interval(4, "Every 4 hours", "0 */4 * * *"),
    Interval(6, "Every 6 hours", "0 */6 * * *"),
    Interval(8, "Every 8 hours", "0 */8 * * *"),
    Interval(12, "Every 12 hours", "0 */12 * * *"),
    Interval(24, "Daily", "0 0 * * *"),
    Interval(168, "Weekly", "0 0 * * 0"),
    Interval(720, "Monthly", "0 0 1 * *"),
)


def interval_seconds(hours: float) -> int:
    """The interval in whole seconds; raises TimingError unless it is between a minute and a year."""
    if isinstance(hours, bool) or not isinstance(hours, int | float):
        raise TimingError("interval_hours", f"must be a number of hours, got {hours!r}")
    if not math.isfinite(hours) or hours <= 0:
        raise TimingError("interval_hours", f"must be greater than 0, got {hours!r}")
    if hours > _MAX_INTERVAL_HOURS:
        raise TimingError(
            "interval_hours", f"must be at most {_MAX_INTERVAL_HOURS} (one year), got {hours!r}"
        )
    seconds = round(hours * 3600)
    if seconds < _MIN_INTERVAL_SECONDS:
        raise TimingError("interval_hours", f"must be at least 1 minute (0.0167), got {hours!r}")
    return seconds


def next_multiple(seconds: int, after: datetime) -> datetime:
    """The first multiple of `seconds` since the epoch strictly after `after` (aware UTC)."""
    step = timedelta(seconds=seconds)
    return EPOCH + ((after - EPOCH) // step + 1) * step
