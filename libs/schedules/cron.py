"""Cron expressions: their grammar, and the naive wall-clock minutes they match.

Cron expressions have the standard 5 fields (minute hour day month weekday); the macros @hourly, @daily,
@midnight, @weekly, @monthly, @yearly and @annually are accepted too. Fields take numbers, `*`, ranges
`a-b`, steps `/n` and comma lists; month and weekday also take English three-letter names, and weekday 7
is Sunday. When both day-of-month and weekday are restricted (anything but a bare `*`) a day matches if
either matches, as in standard cron (croniter's default). Seconds, @reboot, wrap-around ranges such as
`22-2` and the L/W/#/H/? extensions are rejected.
"""

import bisect
import calendar
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from croniter import CroniterError, croniter

from libs.schedules.timing import TimingError

_MINUTE = timedelta(minutes=1)
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


@dataclass(frozen=True, slots=True)
class Cron:
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
def parse(expression: str) -> Cron:
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
    cron = Cron(
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
    return parse(expression).expression


def next_wall(cron: Cron, wall: datetime) -> datetime:
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
    # Validation rejects expressions that never fire, so only a corrupt Cron gets here.
    raise RuntimeError(f"'{cron.expression}' found no time after {wall.isoformat()}")
