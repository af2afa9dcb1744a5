"""When a backup schedule fires: cron expressions read in an IANA time zone, or fixed UTC intervals.

Cron expressions have the standard 5 fields (minute hour day month weekday); the macros @hourly, @daily,
@midnight, @weekly, @monthly, @yearly and @annually are accepted too. Fields take numbers, `*`, ranges
`a-b`, steps `/n` and comma lists; month and weekday also take English three-letter names, and weekday 7
is Sunday. When both day-of-month and weekday are restricted (anything but a bare `*`) a day matches if
either matches, as in standard cron (croniter's default). Seconds, @reboot, wrap-around ranges such as
`22-2` and the L/W/#/H/? extensions are rejected.

Cron times are wall-clock times in the schedule's zone: a matching time skipped by a daylight-saving gap
fires once, at the first existing time after the gap (several matches in one gap, or a match right at its
end, collapse into that one fire); a time that occurs twice fires only at its first occurrence.
"""

import bisect
import calendar
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterError, croniter

Missed = Literal["once", "all", "skip"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NAIVE_EPOCH = datetime(1970, 1, 1)
_SECOND = timedelta(seconds=1)
_MINUTE = timedelta(minutes=1)
_MAX_INTERVAL_HOURS = 8760
_MIN_INTERVAL_SECONDS = 60
# A 29 February can be 8 years from the previous one (2096 -> 2104); nothing valid is sparser.
_SEARCH_MONTHS = 12 * 9
# The longest days of each month, leap years included: a day beyond these can never match.
_MONTH_LENGTHS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_MONTH_NAMES = {
    name: i for i, name in enumerate(("jan feb mar apr may jun jul aug sep oct nov dec").split(), 1)
}
_WEEKDAY_NAMES = {name: i for i, name in enumerate(("sun mon tue wed thu fri sat").split())}
# (name, lowest, highest, names); weekday 7 is another Sunday.
_FIELDS: tuple[tuple[str, int, int, dict[str, int]], ...] = (
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day", 1, 31, {}),
    ("month", 1, 12, _MONTH_NAMES),
    ("weekday", 0, 7, _WEEKDAY_NAMES),
)
# Host-dependent aliases in the tz database: a schedule must not change meaning when it moves host.
_HOST_ZONES = frozenset({"localtime", "posixrules"})


class TimingError(ValueError):
    """A schedule input is invalid: `field` names it ("cron_expression", "timezone", "interval_hours")."""

    field: str

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


@dataclass(frozen=True, slots=True)
class Timing:
    """When a schedule fires: a cron expression in `timezone`, or every `interval_hours` of UTC time."""

    cron_expression: str
    timezone: str = "UTC"
    # When set, fires every interval_hours of elapsed time at multiples since 1970-01-01T00:00Z.
    interval_hours: float | None = None


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


@dataclass(frozen=True, slots=True)
class _Cron:
    """A validated expression, expanded to the values each field allows."""

    expression: str
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    months: frozenset[int]
    days: frozenset[int] | None  # None: unrestricted
    weekdays: frozenset[int] | None  # cron numbering, 0 is Sunday; None: unrestricted

    def day_matches(self, day: int, weekday: int) -> bool:
        if self.days is None:
            return self.weekdays is None or weekday in self.weekdays
        if self.weekdays is None:
            return day in self.days
        return day in self.days or weekday in self.weekdays

    def time_of_day(self, hour: int, minute: int) -> tuple[int, int] | None:
        """The first allowed (hour, minute) at or after hour:minute on the same day."""
        i = bisect.bisect_left(self.hours, hour)
        if i < len(self.hours) and self.hours[i] == hour:
            j = bisect.bisect_left(self.minutes, minute)
            if j < len(self.minutes):
                return hour, self.minutes[j]
            i += 1
        if i < len(self.hours):
            return self.hours[i], self.minutes[0]
        return None


def _cron_error(message: str) -> TimingError:
    return TimingError("cron_expression", message)


def _field_value(part: str, token: str, field: str, low: int, high: int, names: dict[str, int]) -> int:
    if part.isascii() and part.isdigit():
        value = int(part)
        if not low <= value <= high:
            raise _cron_error(f"{field} field '{token}' is out of range {low}-{high}")
        return value
    if part.lower() in names:
        return names[part.lower()]
    raise _cron_error(f"{field} field '{token}' is not a valid value")


def _check_field(text: str, field: str, low: int, high: int, names: dict[str, int]) -> None:
    for token in text.split(","):
        if not token:
            raise _cron_error(f"{field} field '{text}' has an empty list item")
        base, slash, step = token.partition("/")
        if slash:
            if not (step.isascii() and step.isdigit()):
                raise _cron_error(f"{field} field '{token}' is not a valid value")
            if int(step) < 1:
                raise _cron_error(f"{field} field '{token}' has a step of 0; steps must be at least 1")
        if base == "*":
            continue
        first, dash, last = base.partition("-")
        start = _field_value(first, token, field, low, high, names)
        if dash:
            end = _field_value(last, token, field, low, high, names)
            if start > end:
                raise _cron_error(f"{field} field '{token}' is a backwards range; split it into two ranges")


def _values(expanded: list[int | str], low: int, high: int) -> tuple[int, ...]:
    if "*" in expanded:
        return tuple(range(low, high + 1))
    return tuple(sorted({int(value) for value in expanded}))


@lru_cache(maxsize=4096)
def _parse(expression: str) -> _Cron:
    if not isinstance(expression, str):
        raise _cron_error(f"must be a string, got {type(expression).__name__}")
    fields = expression.split()
    if not fields:
        raise _cron_error("must not be empty")
    if len(fields) == 1 and fields[0].startswith("@"):
        normalised = fields[0].lower()
        if normalised not in _MACROS:
            raise _cron_error(
                f"'{fields[0]}' is not supported; use 5 fields or one of @hourly, @daily, @weekly, "
                "@monthly, @yearly"
            )
        fields = _MACROS[normalised].split()
    else:
        if len(fields) != 5:
            raise _cron_error(f"expected 5 fields (minute hour day month weekday), got {len(fields)}")
        normalised = " ".join(fields)
        for text, (field, low, high, names) in zip(fields, _FIELDS, strict=True):
            _check_field(text, field, low, high, names)
    try:
        expanded, _ = croniter.expand(" ".join(fields))
    except CroniterError as exc:  # our grammar is narrower than croniter's, so this is a safety net
        raise _cron_error(f"'{normalised}' is not a valid cron expression ({exc})") from exc
    minutes, hours, days, months, weekdays = expanded
    cron = _Cron(
        expression=normalised,
        minutes=_values(minutes, 0, 59),
        hours=_values(hours, 0, 23),
        months=frozenset(_values(months, 1, 12)),
        # croniter treats a field as restricted unless it expands to a bare '*', and so do we.
        days=None if days == ["*"] else frozenset(_values(days, 1, 31)),
        weekdays=None if weekdays == ["*"] else frozenset(v % 7 for v in _values(weekdays, 0, 7)),
    )
    if cron.days is not None and cron.weekdays is None:
        first_day = min(cron.days)
        if all(first_day > _MONTH_LENGTHS[month - 1] for month in cron.months):
            raise _cron_error(
                f"'{normalised}' never fires: day {first_day} does not occur in the chosen months"
            )
    return cron


def check_cron(expression: str) -> str:
    """The expression with single spaces, no surrounding blanks, macros lower-cased; raises TimingError."""
    return _parse(expression).expression


@lru_cache(maxsize=1024)
def check_timezone(name: str) -> ZoneInfo:
    """The IANA zone called `name` (surrounding blanks ignored); raises TimingError if there is none."""
    if not isinstance(name, str):
        raise TimingError("timezone", f"must be a string, got {type(name).__name__}")
    key = name.strip()
    if key in _HOST_ZONES:
        raise TimingError(
            "timezone", f"'{key}' depends on the host; name an IANA zone such as 'Europe/Berlin'"
        )
    try:
        return ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise TimingError("timezone", f"unknown time zone '{name}'") from None


def _interval_seconds(hours: float) -> int:
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


def check(timing: Timing) -> Timing:
    """Validate all three inputs; returns the timing with the expression and zone name normalised."""
    expression = check_cron(timing.cron_expression)
    zone = check_timezone(timing.timezone)
    hours = timing.interval_hours
    if hours is not None:
        _interval_seconds(hours)
        hours = float(hours)
    return Timing(cron_expression=expression, timezone=zone.key, interval_hours=hours)


def _as_utc(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {value.isoformat()}")
    return value.astimezone(UTC)


def _next_wall(cron: _Cron, wall: datetime) -> datetime:
    """The first naive wall-clock minute after `wall` that the expression matches."""
    start = wall.replace(second=0, microsecond=0) + _MINUTE
    year, month, day, hour, minute = start.year, start.month, start.day, start.hour, start.minute
    for _ in range(_SEARCH_MONTHS):
        if month in cron.months:
            first_weekday, length = calendar.monthrange(year, month)
            for current in range(day, length + 1):
                # monthrange counts Monday as 0, cron counts Sunday as 0
                if cron.day_matches(current, (first_weekday + current) % 7):
                    found = cron.time_of_day(hour, minute)
                    if found is not None:
                        return datetime(year, month, current, found[0], found[1])
                hour = minute = 0
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        day = 1
        hour = minute = 0
    # Validation rejects expressions that never fire, so only a corrupt _Cron gets here.
    raise RuntimeError(f"'{cron.expression}' found no time after {wall.isoformat()}")


def _gap_end(wall: datetime, zone: ZoneInfo) -> datetime:
    """The instant a daylight-saving gap containing the non-existent `wall` ends."""
    # fold=0 reads a gap time with the offset before the jump, fold=1 with the one after: it lies between.
    offsets = (wall.replace(tzinfo=zone, fold=fold).utcoffset() or timedelta() for fold in (0, 1))
    low, high = sorted((wall - offset - _NAIVE_EPOCH) // _SECOND for offset in offsets)
    while high - low > 1:  # tz database transitions fall on whole seconds
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, zone).replace(tzinfo=None) < wall:
            low = middle
        else:
            high = middle
    return datetime.fromtimestamp(high, UTC)


def _repeat_end(local: datetime) -> datetime:
    """The naive wall time at which the repeated period holding `local` (a second occurrence, fold=1) ends."""
    zone = local.tzinfo
    earlier = local.replace(fold=0).utcoffset() or timedelta()
    later = local.utcoffset() or timedelta()
    moment = (local - later).replace(tzinfo=None)
    # The clocks went back less than (earlier - later) ago: before that the zone still had the earlier offset.
    low = (moment - (earlier - later) - _NAIVE_EPOCH) // _SECOND
    high = (moment - _NAIVE_EPOCH) // _SECOND
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, zone).utcoffset() == earlier:
            low = middle
        else:
            high = middle
    return datetime.fromtimestamp(high, UTC).replace(tzinfo=None) + earlier


def _instant(wall: datetime, zone: ZoneInfo) -> datetime:
    """When the wall-clock time fires: its first occurrence, or the end of the gap that skips it."""
    instant = wall.replace(tzinfo=zone).astimezone(UTC)  # fold=0 picks the first of a repeated time
    if instant.astimezone(zone).replace(tzinfo=None) == wall:
        return instant
    return _gap_end(wall, zone)


def _next_multiple(seconds: int, after: datetime) -> datetime:
    step = timedelta(seconds=seconds)
    return _EPOCH + ((after - _EPOCH) // step + 1) * step


def next_fire(timing: Timing, after: datetime) -> datetime:
    """The first fire time strictly after `after` (aware, any zone), as an aware UTC datetime."""
    moment = _as_utc(after, "after")
    if timing.interval_hours is not None:
        return _next_multiple(_interval_seconds(timing.interval_hours), moment)
    cron = _parse(timing.cron_expression)
    zone = check_timezone(timing.timezone)
    local = moment.astimezone(zone)
    wall = local.replace(tzinfo=None)
    if local.fold:
        # `after` is in the second run of a repeated hour, whose matches all fired in the first run.
        wall = max(wall, _repeat_end(local) - timedelta(microseconds=1))
    while True:
        # Fire instants never decrease as wall times increase; the check guards zones with odd transitions.
        wall = _next_wall(cron, wall)
        fire = _instant(wall, zone)
        if fire > moment:
            return fire


def _fires_between(timing: Timing, low: datetime, high: datetime) -> list[datetime]:
    """Every fire time in (low, high]."""
    fires = []
    fire = next_fire(timing, low)
    while fire <= high:
        fires.append(fire)
        fire = next_fire(timing, fire)
    return fires


def _latest_slot(timing: Timing, scheduled: datetime, now: datetime) -> datetime:
    """The latest of `scheduled` and the fire times in (scheduled, now], without walking them all."""
    if timing.interval_hours is not None:
        step = timedelta(seconds=_interval_seconds(timing.interval_hours))
        return max(scheduled, _EPOCH + (now - _EPOCH) // step * step)
    fire = next_fire(timing, scheduled)
    if fire > now:
        return scheduled
    high = now
    # Bisect: `fire` is a fire time <= high, and the latest fire time <= now is also the latest <= high.
    while True:
        following = next_fire(timing, fire)
        if following > high:
            return fire
        middle = following + (high - following) / 2
        probe = next_fire(timing, middle)
        if probe <= high:
            fire = probe
        else:
            fire, high = following, middle


def _newest_slots(timing: Timing, scheduled: datetime, now: datetime, limit: int) -> list[datetime]:
    """The newest `limit` of `scheduled` and the fire times in (scheduled, now], oldest first."""
    if timing.interval_hours is not None:
        step = timedelta(seconds=_interval_seconds(timing.interval_hours))
        last = (now - _EPOCH) // step
        first = (scheduled - _EPOCH) // step + 1
        start = max(first, last - limit + 1)
        slots = [_EPOCH + index * step for index in range(start, last + 1)]
        return ([scheduled, *slots] if start == first else slots)[-limit:]
    # Walk back from now in doubling windows so a long outage costs about `limit` fires, not all of them.
    chunks: list[list[datetime]] = []
    count = 0
    high = now
    span = timedelta(hours=1)
    while count < limit:
        if span >= high - scheduled:
            chunks.append([scheduled, *_fires_between(timing, scheduled, high)])
            break
        low = high - span
        chunk = _fires_between(timing, low, high)
        chunks.append(chunk)
        count += len(chunk)
        high, span = low, span * 2
    return [slot for chunk in reversed(chunks) for slot in chunk][-limit:]


def due(
    timing: Timing,
    scheduled_at: datetime,
    now: datetime,
    missed: Missed = "once",
    grace_seconds: float = 300,
    limit: int = 1000,
) -> tuple[list[datetime], datetime]:
    """The fire times to run now and the new stored next fire time (the first fire time after `now`).

    The slots are `scheduled_at` and every later fire time up to `now`. "all" runs each (the newest `limit`),
    "once" runs only the latest, "skip" runs the latest only if it is at most `grace_seconds` old.
    """
    if missed not in ("once", "all", "skip"):
        raise ValueError(f"missed must be 'once', 'all' or 'skip', got {missed!r}")
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    scheduled = _as_utc(scheduled_at, "scheduled_at")
    current = _as_utc(now, "now")
    if scheduled > current:
        return [], scheduled
    following = next_fire(timing, current)
    if missed == "all":
        return _newest_slots(timing, scheduled, current, limit), following
    latest = _latest_slot(timing, scheduled, current)
    if missed == "skip" and (current - latest).total_seconds() > grace_seconds:
        return [], following
    return [latest], following
