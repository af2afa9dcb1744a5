"""Schedule timing: validation, wall-clock semantics across daylight saving, and missed runs."""

import math
from datetime import UTC, date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import pytest
from croniter import croniter
from hypothesis import given, settings
from hypothesis import strategies as st

from libs.schedules import (
    INTERVALS,
    Interval,
    Timing,
    TimingError,
    check,
    check_cron,
    check_timezone,
    due,
    next_fire,
)

ZONES = ("UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "Pacific/Chatham")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def fires_between(timing: Timing, start: datetime, end: datetime) -> list[datetime]:
    """Every fire time in (start, end], by iterating next_fire."""
    found = []
    fire = next_fire(timing, start)
    while fire <= end:
        found.append(fire)
        fire = next_fire(timing, fire)
    return found


def fires_on_local_day(timing: Timing, day: date) -> list[datetime]:
    zone = ZoneInfo(timing.timezone)
    start = datetime(day.year, day.month, day.day, tzinfo=UTC) - timedelta(days=1)
    found = fires_between(timing, start, start + timedelta(days=3))
    return [fire for fire in found if fire.astimezone(zone).date() == day]


def existing_hours(zone: ZoneInfo, day: date) -> set[int]:
    """The local hours of `day` that have at least one existing minute."""
    hours = set()
    wall = datetime(day.year, day.month, day.day)
    while wall.date() == day:
        if wall.replace(tzinfo=zone).astimezone(UTC).astimezone(zone).replace(tzinfo=None) == wall:
            hours.add(wall.hour)
        wall += MINUTE
    return hours


def local_wall(instant: datetime, zone: ZoneInfo) -> datetime:
    return instant.astimezone(zone).replace(tzinfo=None)


# --- validation ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "count"),
    [("0 0 * *", 4), ("0 0 * * * *", 6), ("0 0 0 * * * 2026", 7), ("daily", 1)],
)
def test_a_cron_expression_needs_exactly_five_fields(expression: str, count: int) -> None:
    with pytest.raises(TimingError) as caught:
        check_cron(expression)
    assert caught.value.field == "cron_expression"
    assert str(caught.value) == (
        f"cron_expression: expected 5 fields (minute hour day month weekday), got {count}"
    )


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("60 * * * *", "minute field '60' is out of range 0-59"),
        ("0-60 * * * *", "minute field '0-60' is out of range 0-59"),
        ("* 24 * * *", "hour field '24' is out of range 0-23"),
        ("0 1,25 * * *", "hour field '25' is out of range 0-23"),
        ("* * 0 * *", "day field '0' is out of range 1-31"),
        ("* * 32 * *", "day field '32' is out of range 1-31"),
        ("* * * 0 *", "month field '0' is out of range 1-12"),
        ("* * * 13 *", "month field '13' is out of range 1-12"),
        ("* * * * 8", "weekday field '8' is out of range 0-7"),
        ("x * * * *", "minute field 'x' is not a valid value"),
        ("* mon * * *", "hour field 'mon' is not a valid value"),
        ("* * * foo *", "month field 'foo' is not a valid value"),
        ("* * * * funday", "weekday field 'funday' is not a valid value"),
        ("0 0 L * *", "day field 'L' is not a valid value"),
        ("0 0 ? * *", "day field '?' is not a valid value"),
        ("H * * * *", "minute field 'H' is not a valid value"),
        ("0 0 * * mon#2", "weekday field 'mon#2' is not a valid value"),
        ("*/x * * * *", "minute field '*/x' is not a valid value"),
        ("1-2-3 * * * *", "minute field '1-2-3' is not a valid value"),
        ("*/0 * * * *", "minute field '*/0' has a step of 0"),
        ("1,,2 * * * *", "minute field '1,,2' has an empty list item"),
        ("5-1 * * * *", "minute field '5-1' is a backwards range"),
        ("* * * * fri-mon", "weekday field 'fri-mon' is a backwards range"),
        ("@reboot", "'@reboot' is not supported"),
        ("@often", "'@often' is not supported"),
        ("", "must not be empty"),
    ],
)
def test_a_bad_cron_expression_is_named_by_field_and_value(expression: str, message: str) -> None:
    with pytest.raises(TimingError) as caught:
        check_cron(expression)
    assert caught.value.field == "cron_expression"
    assert str(caught.value).startswith(f"cron_expression: {message}")


@pytest.mark.parametrize("expression", ["0 0 31 2 *", "0 0 30 2 *", "0 0 30,31 2 *", "0 0 31 4,6,9,11 *"])
def test_an_expression_that_can_never_fire_is_rejected(expression: str) -> None:
    with pytest.raises(TimingError) as caught:
        check_cron(expression)
    assert caught.value.field == "cron_expression"
    assert "never fires" in str(caught.value)
    assert f"'{expression}'" in str(caught.value)


def test_rare_but_possible_days_are_accepted() -> None:
    assert next_fire(Timing("0 0 29 2 *"), utc(2026, 1, 1)) == utc(2028, 2, 29)
    assert next_fire(Timing("0 0 29 2 *"), utc(2096, 3, 1)) == utc(2104, 2, 29)
    # With both day fields restricted either one matching is enough, so Mondays in February still fire.
    assert next_fire(Timing("0 0 31 2 1"), utc(2026, 1, 1)) == utc(2026, 2, 2)


def test_day_of_month_and_weekday_are_ored_when_both_are_restricted() -> None:
    fires = fires_between(Timing("0 12 13 * fri"), utc(2026, 3, 1), utc(2026, 3, 31))
    assert [fire.day for fire in fires] == [6, 13, 20, 27]
    fires = fires_between(Timing("0 12 13 * *"), utc(2026, 3, 1), utc(2026, 3, 31))
    assert [fire.day for fire in fires] == [13]
    fires = fires_between(Timing("0 12 * * fri"), utc(2026, 3, 1), utc(2026, 3, 31))
    assert [fire.day for fire in fires] == [6, 13, 20, 27]


def test_expressions_are_normalised() -> None:
    assert check_cron("  0   3 * *\tmon ") == "0 3 * * mon"
    assert check_cron("@Daily") == "@daily"
    assert check_cron("*/15 2 * jan-mar 1-5") == "*/15 2 * jan-mar 1-5"


@pytest.mark.parametrize(
    ("macro", "expression"),
    [
        ("@hourly", "0 * * * *"),
        ("@daily", "0 0 * * *"),
        ("@midnight", "0 0 * * *"),
        ("@weekly", "0 0 * * 0"),
        ("@monthly", "0 0 1 * *"),
        ("@yearly", "0 0 1 1 *"),
        ("@annually", "0 0 1 1 *"),
    ],
)
def test_macros_fire_like_their_expansion(macro: str, expression: str) -> None:
    start = utc(2026, 1, 15, 7, 3)
    end = start + timedelta(days=3 if macro == "@hourly" else 400)
    fires = fires_between(Timing(macro), start, end)
    assert fires
    assert fires == fires_between(Timing(expression), start, end)


def test_weekday_names_and_seven_mean_the_same_days() -> None:
    start = utc(2026, 1, 1)
    sundays = fires_between(Timing("0 9 * * 0"), start, start + timedelta(days=60))
    assert len(sundays) == 9
    assert fires_between(Timing("0 9 * * 7"), start, start + timedelta(days=60)) == sundays
    assert fires_between(Timing("0 9 * * SUN"), start, start + timedelta(days=60)) == sundays


@pytest.mark.parametrize("name", ["Mars/Base", "", "Europe", "../etc/passwd", "/etc/localtime", "localtime"])
def test_an_unknown_time_zone_is_rejected(name: str) -> None:
    with pytest.raises(TimingError) as caught:
        check_timezone(name)
    assert caught.value.field == "timezone"
    assert str(caught.value).startswith("timezone: ")


def test_the_unknown_time_zone_message_quotes_the_name() -> None:
    with pytest.raises(TimingError, match=r"^timezone: unknown time zone 'Mars/Base'$"):
        check_timezone("Mars/Base")


@pytest.mark.parametrize("name", ZONES)
def test_known_time_zones_load(name: str) -> None:
    assert check_timezone(name).key == name


@pytest.mark.parametrize("hours", [0, -1, 0.001, 0.016, 8761, math.nan, math.inf, True])
def test_bad_intervals_are_rejected(hours: float) -> None:
    with pytest.raises(TimingError) as caught:
        check(Timing("0 * * * *", interval_hours=hours))
    assert caught.value.field == "interval_hours"
    assert str(caught.value).startswith("interval_hours: ")


def test_an_interval_under_a_minute_says_so() -> None:
    with pytest.raises(TimingError, match=r"^interval_hours: must be at least 1 minute \(0\.0167\)"):
        next_fire(Timing("0 * * * *", interval_hours=0.001), utc(2026, 1, 1))


def test_check_validates_everything_and_normalises() -> None:
    assert check(Timing(" 0  3 * * * ", " Europe/Berlin ", 6)) == Timing("0 3 * * *", "Europe/Berlin", 6.0)
    assert check(Timing("@daily")) == Timing("@daily", "UTC", None)
    with pytest.raises(TimingError) as caught:
        check(Timing("0 3 * *", interval_hours=6))
    assert caught.value.field == "cron_expression"
    with pytest.raises(TimingError) as caught:
        check(Timing("0 3 * * *", "Mars/Base"))
    assert caught.value.field == "timezone"


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        next_fire(Timing("0 * * * *"), datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="timezone-aware"):
        due(Timing("0 * * * *"), datetime(2026, 1, 1), utc(2026, 1, 2))


def test_presets_are_valid_and_fire_every_n_hours() -> None:
    assert [preset.hours for preset in INTERVALS] == [1, 2, 4, 6, 8, 12, 24, 168, 720]
    assert INTERVALS[0] == Interval(1, "Every hour", "0 * * * *")
    assert INTERVALS[3] == Interval(6, "Every 6 hours", "0 */6 * * *")
    assert [preset.label for preset in INTERVALS[-3:]] == ["Daily", "Weekly", "Monthly"]
    for preset in INTERVALS:
        assert check_cron(preset.cron_expression) == preset.cron_expression
        if preset.hours <= 24:
            fires = fires_between(Timing(preset.cron_expression), utc(2026, 1, 1), utc(2026, 1, 3))
            assert len(fires) == 48 // preset.hours
            assert {b - a for a, b in zip(fires, fires[1:], strict=False)} == {timedelta(hours=preset.hours)}


# --- time zones and daylight saving ------------------------------------------------------------------


def test_next_fire_is_strictly_after_and_utc() -> None:
    timing = Timing("0 * * * *", "Asia/Kolkata")
    fire = next_fire(timing, datetime(2026, 5, 1, 10, 0, tzinfo=ZoneInfo("Asia/Kolkata")))
    assert fire == utc(2026, 5, 1, 4, 30) + timedelta(hours=1)
    assert fire.tzinfo is UTC
    assert next_fire(timing, fire - timedelta(microseconds=1)) == fire
    assert next_fire(timing, fire) == fire + timedelta(hours=1)


def test_daily_0230_in_berlin_fires_once_at_0300_on_the_spring_forward_day() -> None:
    timing = Timing("30 2 * * *", "Europe/Berlin")
    fires = fires_on_local_day(timing, date(2026, 3, 29))
    assert fires == [utc(2026, 3, 29, 1, 0)]
    assert local_wall(fires[0], ZoneInfo("Europe/Berlin")) == datetime(2026, 3, 29, 3, 0)
    assert fires_on_local_day(timing, date(2026, 3, 28)) == [utc(2026, 3, 28, 1, 30)]
    assert fires_on_local_day(timing, date(2026, 3, 30)) == [utc(2026, 3, 30, 0, 30)]


def test_daily_0230_in_berlin_fires_once_at_the_first_occurrence_on_the_fall_back_day() -> None:
    timing = Timing("30 2 * * *", "Europe/Berlin")
    assert fires_on_local_day(timing, date(2026, 10, 25)) == [utc(2026, 10, 25, 0, 30)]
    # Asked from inside the second run of the repeated hour, the next fire is the next day.
    assert next_fire(timing, utc(2026, 10, 25, 1, 15)) == utc(2026, 10, 26, 1, 30)
    assert next_fire(timing, utc(2026, 10, 25, 0, 30)) == utc(2026, 10, 26, 1, 30)


def test_several_matches_in_one_gap_collapse_into_one_fire() -> None:
    timing = Timing("*/15 2 * * *", "Europe/Berlin")
    assert fires_on_local_day(timing, date(2026, 3, 29)) == [utc(2026, 3, 29, 1, 0)]
    assert fires_on_local_day(timing, date(2026, 10, 25)) == [
        utc(2026, 10, 25, 0, 0),
        utc(2026, 10, 25, 0, 15),
        utc(2026, 10, 25, 0, 30),
        utc(2026, 10, 25, 0, 45),
    ]


def test_a_gap_match_and_a_match_at_the_gap_end_fire_once() -> None:
    timing = Timing("0 2,3 * * *", "Europe/Berlin")
    assert fires_on_local_day(timing, date(2026, 3, 29)) == [utc(2026, 3, 29, 1, 0)]


@pytest.mark.parametrize(
    ("zone", "day", "count"),
    [
        ("Europe/Berlin", date(2026, 3, 29), 23),
        ("Europe/Berlin", date(2026, 10, 25), 24),
        ("America/New_York", date(2026, 3, 8), 23),
        ("America/New_York", date(2026, 11, 1), 24),
        ("Australia/Lord_Howe", date(2026, 10, 4), 24),
        ("Australia/Lord_Howe", date(2026, 4, 5), 24),
        ("Pacific/Chatham", date(2026, 9, 27), 24),
        ("Pacific/Chatham", date(2026, 4, 5), 24),
        ("Asia/Kolkata", date(2026, 3, 29), 24),
    ],
)
def test_hourly_fires_once_per_existing_wall_clock_hour(zone: str, day: date, count: int) -> None:
    tz = ZoneInfo(zone)
    fires = fires_on_local_day(Timing("0 * * * *", zone), day)
    assert len(fires) == count
    assert fires == sorted(set(fires))
    hours = [fire.astimezone(tz).hour for fire in fires]
    assert sorted(hours) == sorted(set(hours))
    assert set(hours) == existing_hours(tz, day)
    assert all(fire.astimezone(tz).fold == 0 for fire in fires)


def test_hourly_fires_per_utc_day_across_the_transitions() -> None:
    timing = Timing("0 * * * *", "Europe/Berlin")

    def per_utc_day(year: int, month: int, day: int) -> int:
        return len(fires_between(timing, utc(year, month, day) - MINUTE, utc(year, month, day, 23, 59)))

    # Spring: the skipped 02:00 and 03:00 share 01:00Z, so every UTC hour still has exactly one fire.
    assert [per_utc_day(2026, 3, day) for day in (28, 29, 30)] == [24, 24, 24]
    # Autumn: the second 02:00 (01:00Z) does not fire.
    assert [per_utc_day(2026, 10, day) for day in (24, 25, 26)] == [24, 23, 24]
    assert utc(2026, 10, 25, 1, 0) not in fires_between(timing, utc(2026, 10, 25), utc(2026, 10, 26))


def test_lord_howe_half_hour_shift() -> None:
    zone = ZoneInfo("Australia/Lord_Howe")
    timing = Timing("*/30 * * * *", "Australia/Lord_Howe")
    spring = fires_on_local_day(timing, date(2026, 10, 4))
    # 02:00 does not exist and fires at 02:30, together with 02:30 itself.
    assert len(spring) == 47
    walls = [local_wall(fire, zone).time().isoformat("minutes") for fire in spring]
    assert walls[3:6] == ["01:30", "02:30", "03:00"]
    autumn = fires_on_local_day(timing, date(2026, 4, 5))
    # 01:30 happens twice and fires once.
    assert len(autumn) == 48
    walls = [local_wall(fire, zone).time().isoformat("minutes") for fire in autumn]
    assert walls[2:5] == ["01:00", "01:30", "02:00"]
    assert autumn[3] == utc(2026, 4, 4, 14, 30)  # 01:30 at +11:00, not at +10:30
    assert next_fire(timing, utc(2026, 4, 4, 15, 0)) == utc(2026, 4, 4, 15, 30)


def test_chatham_gap_at_0245() -> None:
    timing = Timing("45 2 * * *", "Pacific/Chatham")
    fires = fires_on_local_day(timing, date(2026, 9, 27))
    assert fires == [utc(2026, 9, 26, 14, 0)]
    assert local_wall(fires[0], ZoneInfo("Pacific/Chatham")) == datetime(2026, 9, 27, 3, 45)


def test_kolkata_has_no_transitions() -> None:
    fires = fires_between(Timing("30 2 * * *", "Asia/Kolkata"), utc(2026, 1, 1), utc(2027, 1, 1))
    assert len(fires) == 365
    assert {fire.time() for fire in fires} == {datetime(2000, 1, 1, 21, 0).time()}


def test_every_minute_from_inside_a_repeated_hour() -> None:
    for zone, moment, expected in [
        ("Europe/Berlin", utc(2026, 10, 25, 1, 0, 30), utc(2026, 10, 25, 2, 0)),
        ("America/New_York", utc(2026, 11, 1, 6, 59, 59), utc(2026, 11, 1, 7, 0)),
        ("Australia/Lord_Howe", utc(2026, 4, 4, 15, 10), utc(2026, 4, 4, 15, 30)),
    ]:
        assert next_fire(Timing("* * * * *", zone), moment) == expected


# --- brute-force reference ---------------------------------------------------------------------------

WEEKS = [
    ("Europe/Berlin", utc(2026, 3, 25)),
    ("Europe/Berlin", utc(2026, 10, 21)),
    ("America/New_York", utc(2026, 3, 5)),
    ("America/New_York", utc(2026, 10, 29)),
    ("Australia/Lord_Howe", utc(2026, 4, 1)),
    ("Australia/Lord_Howe", utc(2026, 10, 1)),
    ("Pacific/Chatham", utc(2026, 4, 1)),
    ("Pacific/Chatham", utc(2026, 9, 24)),
    ("Asia/Kolkata", utc(2026, 3, 25)),
    ("UTC", utc(2026, 3, 25)),
]
REFERENCE_EXPRESSIONS = [
    "30 2 * * *",
    "*/15 * * * *",
    "0 * * * *",
    "*/10 1-3 * * *",
    "45 2 * * 0",
    "* 2 * * *",
    "0,30 0-4 * * *",
    "59 1 * * *",
    "0 3 * * *",
    "15 1,2 * * 6,0",
]


@cache
def minute_walls(zone: str, start: datetime) -> tuple[tuple[datetime, datetime, int, datetime], ...]:
    """(utc minute, local wall, fold, previous minute's wall) for every minute of a week."""
    tz = ZoneInfo(zone)
    rows = []
    previous = local_wall(start, tz)
    for step in range(1, 7 * 24 * 60 + 1):
        moment = start + step * MINUTE
        local = moment.astimezone(tz)
        wall = local.replace(tzinfo=None)
        rows.append((moment, wall, local.fold, previous))
        previous = wall
    return tuple(rows)


def reference_fires(expression: str, zone: str, start: datetime) -> list[datetime]:
    rows = minute_walls(zone, start)
    walker = croniter(expression, rows[0][3] - timedelta(days=1))
    matching = set()
    wall = walker.get_next(datetime)
    while wall <= rows[-1][1] + timedelta(days=1):
        matching.add(wall)
        wall = walker.get_next(datetime)
    fires = []
    for moment, wall, fold, previous in rows:
        fires_here = wall in matching and fold == 0
        if wall - previous > MINUTE:  # clocks jumped: the walls in between do not exist
            skipped = previous + MINUTE
            while skipped < wall and not fires_here:
                fires_here = skipped in matching
                skipped += MINUTE
        if fires_here:
            fires.append(moment)
    return fires


@pytest.mark.parametrize(("zone", "start"), WEEKS)
@pytest.mark.parametrize("expression", REFERENCE_EXPRESSIONS)
def test_next_fire_agrees_with_a_minute_by_minute_reference(
    expression: str, zone: str, start: datetime
) -> None:
    end = start + timedelta(days=7)
    assert fires_between(Timing(expression, zone), start, end) == reference_fires(expression, zone, start)


# --- missed fires ------------------------------------------------------------------------------------


def test_due_after_three_days_of_downtime_on_an_hourly_schedule() -> None:
    timing = Timing("0 * * * *")
    scheduled = utc(2026, 1, 1, 0)
    now = scheduled + timedelta(hours=72, minutes=30)
    following = utc(2026, 1, 4, 1)

    assert due(timing, scheduled, now, "once") == ([utc(2026, 1, 4, 0)], following)
    fires, new_next = due(timing, scheduled, now, "all")
    assert len(fires) == 73
    assert fires[0] == scheduled and fires[-1] == utc(2026, 1, 4, 0)
    assert fires == sorted(set(fires))
    assert new_next == following
    assert due(timing, scheduled, now, "skip") == ([], following)
    assert due(timing, scheduled, now, "skip", grace_seconds=1800) == ([utc(2026, 1, 4, 0)], following)
    assert due(timing, scheduled, now - timedelta(minutes=28), "skip") == ([utc(2026, 1, 4, 0)], following)
    assert due(timing, scheduled, now, "all", limit=10)[0] == fires[-10:]


def test_due_before_the_stored_time_does_nothing() -> None:
    scheduled = utc(2026, 1, 1, 12)
    assert due(Timing("0 * * * *"), scheduled, scheduled - MINUTE) == ([], scheduled)


@pytest.mark.parametrize("missed", ["once", "all", "skip"])
def test_due_exactly_on_time_fires_the_stored_time(missed: str) -> None:
    scheduled = utc(2026, 1, 1, 12)
    assert due(Timing("0 * * * *"), scheduled, scheduled, missed) == (  # type: ignore[arg-type]
        [scheduled],
        utc(2026, 1, 1, 13),
    )


def test_a_stored_time_off_the_schedule_is_still_a_slot() -> None:
    timing = Timing("0 * * * *")
    scheduled = utc(2026, 1, 1, 12, 7)
    assert due(timing, scheduled, utc(2026, 1, 1, 12, 30)) == ([scheduled], utc(2026, 1, 1, 13))
    assert due(timing, scheduled, utc(2026, 1, 1, 14, 30), "all") == (
        [scheduled, utc(2026, 1, 1, 13), utc(2026, 1, 1, 14)],
        utc(2026, 1, 1, 15),
    )


def test_a_year_of_downtime_on_an_every_minute_schedule() -> None:
    timing = Timing("* * * * *", "Europe/Berlin")
    scheduled = utc(2025, 6, 1, 0, 0)
    now = utc(2026, 6, 1, 8, 30, 15)
    assert due(timing, scheduled, now, "once") == ([utc(2026, 6, 1, 8, 30)], utc(2026, 6, 1, 8, 31))
    assert due(timing, scheduled, now, "skip") == ([utc(2026, 6, 1, 8, 30)], utc(2026, 6, 1, 8, 31))
    fires, following = due(timing, scheduled, now, "all")
    assert len(fires) == 1000
    assert fires[-1] == utc(2026, 6, 1, 8, 30)
    assert fires[0] == utc(2026, 6, 1, 8, 30) - 999 * MINUTE
    assert following == utc(2026, 6, 1, 8, 31)


def test_due_on_sparse_schedules_after_long_downtime() -> None:
    timing = Timing("0 0 29 2 *")
    assert due(timing, utc(2000, 2, 29), utc(2026, 6, 1), "once") == ([utc(2024, 2, 29)], utc(2028, 2, 29))
    fires, _ = due(timing, utc(2000, 2, 29), utc(2026, 6, 1), "all")
    assert fires == [utc(year, 2, 29) for year in range(2000, 2025, 4)]
    timing = Timing("* * 1 1 *")
    fires, following = due(timing, utc(2020, 1, 1), utc(2026, 6, 1), "all", limit=3)
    assert fires == [utc(2026, 1, 1, 23, 57), utc(2026, 1, 1, 23, 58), utc(2026, 1, 1, 23, 59)]
    assert following == utc(2027, 1, 1)


def test_due_across_the_spring_forward_gap() -> None:
    timing = Timing("30 2 * * *", "Europe/Berlin")
    fires, following = due(timing, utc(2026, 3, 27, 1, 30), utc(2026, 3, 30, 12), "all")
    assert fires == [
        utc(2026, 3, 27, 1, 30),
        utc(2026, 3, 28, 1, 30),
        utc(2026, 3, 29, 1, 0),
        utc(2026, 3, 30, 0, 30),
    ]
    assert following == utc(2026, 3, 31, 0, 30)


def test_due_on_an_interval_schedule() -> None:
    timing = Timing("0 * * * *", "Europe/Berlin", interval_hours=6)
    scheduled = utc(2026, 1, 1)
    now = utc(2026, 1, 4, 1)
    assert due(timing, scheduled, now) == ([utc(2026, 1, 4)], utc(2026, 1, 4, 6))
    fires, _ = due(timing, scheduled, now, "all")
    assert fires == [scheduled + timedelta(hours=6 * k) for k in range(13)]
    assert due(timing, scheduled, now, "all", limit=2)[0] == fires[-2:]
    assert due(timing, scheduled, now, "skip") == ([], utc(2026, 1, 4, 6))
    fires, _ = due(timing, utc(2026, 1, 1, 0, 7), utc(2026, 1, 1, 12, 1), "all")
    assert fires == [utc(2026, 1, 1, 0, 7), utc(2026, 1, 1, 6), utc(2026, 1, 1, 12)]


def test_due_refuses_bad_arguments() -> None:
    with pytest.raises(ValueError, match="missed"):
        due(Timing("0 * * * *"), utc(2026, 1, 1), utc(2026, 1, 2), "sometimes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="limit"):
        due(Timing("0 * * * *"), utc(2026, 1, 1), utc(2026, 1, 2), "all", limit=0)


def test_intervals_are_multiples_of_the_epoch() -> None:
    assert next_fire(Timing("", interval_hours=24), utc(2026, 3, 29, 0, 0)) == utc(2026, 3, 30)
    assert next_fire(Timing("", interval_hours=0.5), utc(2026, 3, 29, 0, 0, 1)) == utc(2026, 3, 29, 0, 30)
    # 7 hours does not divide a day, so the phase drifts from day to day but stays fixed to the epoch.
    fire = next_fire(Timing("", interval_hours=7), utc(2026, 1, 1))
    assert (fire - EPOCH) % timedelta(hours=7) == timedelta(0)
    assert timedelta(0) < fire - utc(2026, 1, 1) <= timedelta(hours=7)


# --- properties --------------------------------------------------------------------------------------


def _offset_changes() -> list[datetime]:
    """Midnights (UTC) of days in 2025-2027 on which some test zone changes its offset."""
    days = []
    for zone in map(ZoneInfo, ZONES):
        day = utc(2025, 1, 1)
        while day.year < 2028:
            if day.astimezone(zone).utcoffset() != (day + timedelta(days=1)).astimezone(zone).utcoffset():
                days.append(day)
            day += timedelta(days=1)
    return days


OFFSET_CHANGES = _offset_changes()


def _field(low: int, high: int) -> st.SearchStrategy[str]:
    values = st.integers(low, high)
    ranges = st.tuples(values, values).map(sorted)
    return st.one_of(
        st.just("*"),
        st.integers(1, high - low).map(lambda step: f"*/{step}"),
        st.lists(values, min_size=1, max_size=4).map(lambda items: ",".join(map(str, items))),
        ranges.map(lambda pair: f"{pair[0]}-{pair[1]}"),
        st.tuples(ranges, st.integers(1, 10)).map(lambda item: f"{item[0][0]}-{item[0][1]}/{item[1]}"),
    )


expressions = st.builds(
    lambda minute, hour, day, month, weekday: f"{minute} {hour} {day} {month} {weekday}",
    _field(0, 59),
    _field(0, 23),
    st.one_of(
        st.just("*"),
        st.just("*"),
        st.lists(st.integers(1, 28), min_size=1, max_size=3).map(lambda items: ",".join(map(str, items))),
    ),
    st.one_of(st.just("*"), st.just("*"), st.just("3,4,9,10,11")),
    st.one_of(st.just("*"), st.just("*"), st.just("1-5"), st.just("0,6")),
)
moments = st.one_of(
    st.datetimes(datetime(2025, 1, 1), datetime(2027, 12, 31), timezones=st.just(UTC)),
    st.tuples(st.sampled_from(OFFSET_CHANGES), st.integers(-36 * 3600, 36 * 3600)).map(
        lambda item: item[0] + timedelta(seconds=item[1])
    ),
)


@settings(max_examples=200, deadline=None)
@given(expressions, st.sampled_from(ZONES), moments)
def test_next_fire_properties(expression: str, zone: str, after: datetime) -> None:
    tz = ZoneInfo(zone)
    timing = Timing(expression, zone)
    walker = croniter(expression)
    seen_walls = set()
    previous = after
    for _ in range(50):
        fire = next_fire(timing, previous)
        assert fire > previous
        assert fire.tzinfo is UTC
        local = fire.astimezone(tz)
        assert local.fold == 0  # never the second run of a repeated time
        wall = local.replace(tzinfo=None)
        before = local_wall(fire - MINUTE, tz)
        first_match = walker.get_next(datetime, start_time=before)
        if wall - before == MINUTE:
            assert first_match == wall  # an existing time the expression matches
        else:
            assert wall - before > MINUTE and first_match <= wall  # the end of a gap that held a match
        assert wall not in seen_walls
        seen_walls.add(wall)
        previous = fire


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(st.sampled_from([1 / 60, 0.5, 1, 2, 6, 7, 24, 168, 8760]), st.floats(0.02, 8760)),
    st.sampled_from(ZONES),
    moments,
)
def test_interval_properties(hours: float, zone: str, after: datetime) -> None:
    step = timedelta(seconds=round(hours * 3600))
    timing = Timing("0 * * * *", zone, interval_hours=hours)
    previous = after
    for index in range(20):
        fire = next_fire(timing, previous)
        assert fire.tzinfo is UTC
        assert (fire - EPOCH) % step == timedelta(0)
        assert fire > previous
        assert fire - previous <= step if index == 0 else fire - previous == step
        previous = fire


@settings(max_examples=100, deadline=None)
@given(
    expressions,
    st.sampled_from(ZONES),
    moments,
    st.integers(0, 4 * 24 * 3600),
    st.booleans(),
    st.integers(1, 40),
)
def test_due_agrees_with_walking_every_slot(
    expression: str, zone: str, start: datetime, downtime: int, on_schedule: bool, limit: int
) -> None:
    timing = Timing(expression, zone)
    scheduled = next_fire(timing, start) if on_schedule else start
    now = scheduled + timedelta(seconds=downtime)
    slots = [scheduled, *fires_between(timing, scheduled, now)]
    following = next_fire(timing, now)
    assert following > now
    assert due(timing, scheduled, now, "all", limit=100_000) == (slots, following)
    assert due(timing, scheduled, now, "all", limit=limit) == (slots[-limit:], following)
    assert due(timing, scheduled, now, "once") == ([slots[-1]], following)
    fresh = (now - slots[-1]).total_seconds() <= 300
    assert due(timing, scheduled, now, "skip") == ([slots[-1]] if fresh else [], following)
