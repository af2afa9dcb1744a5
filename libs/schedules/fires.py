"""When a schedule next fires: its cron expression read as wall-clock time in an IANA zone, or its
fixed UTC interval.

Cron times are wall-clock times in the schedule's zone: a matching time skipped by a daylight-saving gap
fires once, at the first existing time after the gap (several matches in one gap, or a match right at its
end, collapse into that one fire); a time that occurs twice fires only at its first occurrence.
"""

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from libs.schedules.cron import check_cron, next_wall, parse
from libs.schedules.intervals import interval_seconds, next_multiple
from libs.schedules.timing import Timing, TimingError

_NAIVE_EPOCH = datetime(1970, 1, 1)
_SECOND = timedelta(seconds=1)
# Host-dependent aliases in the tz database: a schedule must not change meaning when it moves host.
_HOST_ZONES = frozenset({"localtime", "posixrules"})


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


def check(timing: Timing) -> Timing:
    """Validate all three inputs; returns the timing with the expression and zone name normalised."""
    expression = check_cron(timing.cron_expression)
    zone = check_timezone(timing.timezone)
    hours = timing.interval_hours
    if hours is not None:
        interval_seconds(hours)
        hours = float(hours)
    return Timing(cron_expression=expression, timezone=zone.key, interval_hours=hours)


def as_utc(value: datetime, name: str) -> datetime:
    """`value` in UTC; raises ValueError (naming the argument `name`) if it is naive."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {value.isoformat()}")
    return value.astimezone(UTC)


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


def next_fire(timing: Timing, after: datetime) -> datetime:
    """The first fire time strictly after `after` (aware, any zone), as an aware UTC datetime."""
    moment = as_utc(after, "after")
    if timing.interval_hours is not None:
        return next_multiple(interval_seconds(timing.interval_hours), moment)
    cron = parse(timing.cron_expression)
    zone = check_timezone(timing.timezone)
    local = moment.astimezone(zone)
    wall = local.replace(tzinfo=None)
    if local.fold:
        # `after` is in the second run of a repeated hour, whose matches all fired in the first run.
        wall = max(wall, _repeat_end(local) - timedelta(microseconds=1))
    while True:
        # Fire instants never decrease as wall times increase; the check guards zones with odd transitions.
        wall = next_wall(cron, wall)
        fire = _instant(wall, zone)
        if fire > moment:
            return fire
