"""Missed fires: after downtime, which of the fire times that passed run now, and when the next one is."""

from datetime import datetime, timedelta
from typing import Literal

from libs.schedules.fires import as_utc, next_fire
from libs.schedules.intervals import EPOCH, interval_seconds
from libs.schedules.timing import Timing

Missed = Literal["once", "all", "skip"]


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
        step = timedelta(seconds=interval_seconds(timing.interval_hours))
        return max(scheduled, EPOCH + (now - EPOCH) // step * step)
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
        step = timedelta(seconds=interval_seconds(timing.interval_hours))
        last = (now - EPOCH) // step
        first = (scheduled - EPOCH) // step + 1
        start = max(first, last - limit + 1)
        slots = [EPOCH + index * step for index in range(start, last + 1)]
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
    scheduled = as_utc(scheduled_at, "scheduled_at")
    current = as_utc(now, "now")
    if scheduled > current:
        return [], scheduled
    following = next_fire(timing, current)
    if missed == "all":
        return _newest_slots(timing, scheduled, current, limit), following
    latest = _latest_slot(timing, scheduled, current)
    if missed == "skip" and (current - latest).total_seconds() > grace_seconds:
        return [], following
    return [latest], following
