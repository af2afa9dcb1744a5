import random
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.retention.domain.rules import TIERS, BackupFacts, Decision, Plan, Policy, plan

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
JAN_1 = datetime(2026, 1, 1, 2, 0, tzinfo=UTC)


def _daily_history(days: int = 60) -> list[BackupFacts]:
    # id k was taken k-1 days after 2026-01-01 02:00 UTC, so id 60 is Sunday 2026-03-01
    return [BackupFacts(k, JAN_1 + timedelta(days=k - 1), "completed") for k in range(1, days + 1)]


def _ids(decisions: Sequence[Decision]) -> set[int]:
    return {d.backup_id for d in decisions}


def _by_id(p: Plan) -> dict[int, Decision]:
    return {d.backup_id: d for d in p.decisions}


def test_gfs_over_sixty_daily_backups_keeps_hand_computed_ids() -> None:
    p = plan(_daily_history(), Policy(keep_daily=7, keep_weekly=4, keep_monthly=3), NOW)
    # daily: 03-01..02-23 (60..54); weekly Sundays: 03-01, 02-22, 02-15, 02-08 (60, 53, 46, 39);
    # monthly: 03-01, 02-28, 01-31 (60, 59, 31)
    assert _ids(p.keep) == {60, 59, 58, 57, 56, 55, 54, 53, 46, 39, 31}
    assert not p.held and len(p.decisions) == 60
    assert [d.backup_id for d in p.decisions] == list(range(60, 0, -1))
    decisions = _by_id(p)
    assert decisions[60].rules == ("newest", "daily", "weekly", "monthly") and decisions[60].tier == "monthly"
    assert decisions[59].rules == ("daily", "monthly") and decisions[59].tier == "monthly"
    assert decisions[59].reason == "kept by daily (2026-02-28), monthly (2026-02)"
    assert decisions[53].tier == "weekly" and decisions[54].tier == "daily"
    assert decisions[59].retention_until is None
    gone = decisions[30]
    assert gone.rules == () and gone.tier is None and gone.retention_until == NOW
    assert (
        gone.reason.startswith("no rule keeps it: ")
        and "not the newest of its month (2026-01)" in gone.reason
    )


def test_failed_newest_does_not_count_and_the_previous_good_one_is_newest() -> None:
    history = _daily_history(5) + [BackupFacts(6, JAN_1 + timedelta(days=5), "failed")]
    p = plan(history, Policy(keep_last_n=2), NOW)
    decisions = _by_id(p)
    assert (
        decisions[6].keep
        and decisions[6].rules == ("not_good",)
        and "not managed by retention" in (decisions[6].reason)
    )
    assert decisions[5].rules == ("newest", "last_n")
    assert _ids(p.keep) == {6, 5, 4}


def test_verification_failed_backup_never_counts_toward_any_quota() -> None:
    history = _daily_history(5)
    history[4] = replace(history[4], verified_ok=False)
    history[3] = replace(history[3], verified_ok=True)
    p = plan(history, Policy(keep_last_n=2, keep_daily=2), NOW)
    decisions = _by_id(p)
    assert decisions[5].rules == ("not_good",) and "verification failed" in decisions[5].reason
    assert decisions[4].rules == ("newest", "last_n", "daily")
    assert decisions[3].rules == ("last_n", "daily")
    assert _ids(p.delete) == {1, 2}


def _after(history: list[BackupFacts], *statuses: str) -> list[BackupFacts]:
    start = history[-1].id
    return history + [
        BackupFacts(start + i + 1, history[-1].created_at + timedelta(hours=i + 1), status)
        for i, status in enumerate(statuses)
    ]


def test_three_failed_runs_hold_every_deletion() -> None:
    history = _after(_daily_history(10), "failed", "cancelled", "failed", "failed", "in_progress")
    p = plan(history, Policy(keep_last_n=1), NOW)
    assert p.held and p.held_reason is not None and p.held_reason.startswith("the last 3 runs failed")
    assert p.delete == ()
    decisions = _by_id(p)
    assert decisions[10].rules == ("newest", "last_n")
    assert decisions[3].rules == ("held",) and decisions[3].reason.startswith("held: ")
    assert decisions[15].rules == ("in_progress",)


def test_one_success_in_the_window_lifts_the_hold() -> None:
    history = _after(_daily_history(10), "failed", "completed", "failed", "failed")
    p = plan(history, Policy(keep_last_n=1), NOW)
    assert not p.held and p.held_reason is None
    assert _ids(p.keep) == {14, 13, 12, 11}


def test_verification_failed_runs_count_as_failed_for_the_hold() -> None:
    history = _after(_daily_history(3), "completed", "completed")
    history[-1] = replace(history[-1], verified_ok=False)
    history[-2] = replace(history[-2], verified_ok=False)
    assert plan(history, Policy(), NOW, failing_window=2).held
    assert not plan(history, Policy(), NOW, failing_window=3).held


def test_no_good_backup_at_all_is_held() -> None:
    p = plan([BackupFacts(1, NOW, "failed"), BackupFacts(2, NOW, "pending")], Policy(), NOW)
    assert p.held and p.delete == ()
    assert plan([], Policy(), NOW).held


def test_an_outside_hold_keeps_everything_and_says_why() -> None:
    """A policy that cannot be found: the history is fine, but nothing may be deleted."""
    p = plan(_daily_history(10), Policy(), NOW, hold="policy 9 does not exist")
    assert p.held and p.held_reason == "policy 9 does not exist" and p.delete == ()
    decisions = _by_id(p)
    assert decisions[10].rules == ("newest",)
    assert all(decisions[k].rules == ("held",) for k in range(1, 10))
    assert decisions[1].reason == "held: policy 9 does not exist"


def test_keep_days_sets_retention_until_only_when_days_alone_keeps_it() -> None:
    p = plan(_daily_history(), Policy(keep_days=5), NOW)
    decisions = _by_id(p)
    # window starts 02-24 12:00: 02-25..03-01 (56..60) are inside, 02-24 02:00 is not
    assert _ids(p.keep) == {56, 57, 58, 59, 60}
    assert decisions[57].rules == ("days",)
    assert decisions[57].retention_until == JAN_1 + timedelta(days=56 + 5)
    assert decisions[60].rules == ("newest", "days") and decisions[60].retention_until is None


def test_max_backups_caps_a_schedule_but_never_the_newest() -> None:
    history = [replace(b, schedule_id=1 if b.id % 2 else 2) for b in _daily_history(10)]
    p = plan(history, Policy(keep_last_n=8), NOW, max_backups={1: 2, 2: 0})
    decisions = _by_id(p)
    # schedule 2 (even ids) has cap 0 but id 10 is the newest; schedule 1 keeps its 2 newest: 9, 7
    assert _ids(p.keep) == {10, 9, 7}
    assert decisions[5].reason == "beyond the schedule's max_backups of 2" and decisions[5].rules == ()
    assert decisions[8].reason == "beyond the schedule's max_backups of 0"
    assert decisions[10].rules == ("newest", "last_n")


def test_max_backups_ignores_unscheduled_and_unlisted_schedules() -> None:
    history = [replace(b, schedule_id=None if b.id % 2 else 3) for b in _daily_history(6)]
    p = plan(history, Policy(keep_last_n=6), NOW, max_backups={1: 0})
    assert len(p.keep) == 6


def test_empty_policy_keeps_only_the_newest_good_backup() -> None:
    p = plan(_daily_history(5), Policy(), NOW)
    assert _ids(p.keep) == {5}
    assert p.delete[0].reason == "no rule keeps it: the policy keeps only the newest good backup"


def test_pending_and_in_progress_backups_are_left_alone() -> None:
    history = _after(_daily_history(3), "pending", "in_progress")
    history.insert(0, BackupFacts(99, JAN_1 - timedelta(days=30), "in_progress"))
    p = plan(history, Policy(), NOW)
    decisions = _by_id(p)
    for backup_id in (4, 5, 99):
        assert decisions[backup_id].keep and decisions[backup_id].rules == ("in_progress",)
        assert decisions[backup_id].tier is None and decisions[backup_id].retention_until is None
    assert _ids(p.keep) == {3, 4, 5, 99}


def test_duplicate_ids_raise() -> None:
    with pytest.raises(ValueError):
        plan([BackupFacts(1, NOW, "completed"), BackupFacts(1, JAN_1, "completed")], Policy(), NOW)


def test_negative_counts_raise() -> None:
    with pytest.raises(ValueError):
        Policy(keep_daily=-1)


def test_buckets_are_taken_in_utc() -> None:
    plus_ten = timezone(timedelta(hours=10))
    # both are 2026-01-01 in UTC although the first reads 2026-01-02 locally
    a = BackupFacts(1, datetime(2026, 1, 2, 8, 0, tzinfo=plus_ten), "completed")
    b = BackupFacts(2, datetime(2026, 1, 1, 1, 0, tzinfo=UTC), "completed")
    c = BackupFacts(3, datetime(2025, 12, 31, 1, 0, tzinfo=UTC), "completed")
    assert _ids(plan([a, b, c], Policy(keep_daily=2), NOW).keep) == {1, 3}


# ---- properties -----------------------------------------------------------------------------------

SPAN_MINUTES = 3 * 365 * 24 * 60
STATUSES = ["completed"] * 6 + ["failed", "failed", "cancelled", "pending", "in_progress"]
ZONES = [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8))]


@st.composite
def histories(draw: st.DrawFn) -> list[BackupFacts]:
    count = draw(st.integers(0, 60))
    ids = draw(st.lists(st.integers(1, 10_000), min_size=count, max_size=count, unique=True))
    # some minutes cluster in the last few days so hours and days hold several backups
    minutes = st.one_of(st.integers(0, SPAN_MINUTES), st.integers(0, 3 * 24 * 60))
    return [
        BackupFacts(
            backup_id,
            (NOW - timedelta(minutes=draw(minutes))).astimezone(draw(st.sampled_from(ZONES))),
            draw(st.sampled_from(STATUSES)),
            draw(st.sampled_from([None, True, True, False])),
            draw(st.sampled_from([None, 1, 2])),
        )
        for backup_id in ids
    ]


counts = st.integers(0, 10)
optional_counts = st.none() | counts
policies = st.builds(
    Policy,
    keep_last_n=optional_counts,
    keep_days=optional_counts | st.integers(0, 1200),
    keep_hourly=counts,
    keep_daily=counts,
    keep_weekly=counts,
    keep_monthly=counts,
    keep_yearly=counts,
)
caps = st.none() | st.dictionaries(st.sampled_from([1, 2]), st.integers(0, 5))
windows = st.integers(1, 5)


def _good(b: BackupFacts) -> bool:
    return b.status == "completed" and b.verified_ok is not False


def _order(b: BackupFacts) -> tuple[datetime, int]:
    return (b.created_at, b.id)


def _should_hold(backups: Sequence[BackupFacts], window: int) -> bool:
    finished = sorted((b for b in backups if b.status in ("completed", "failed")), key=_order, reverse=True)
    recent = finished[:window]
    return (bool(recent) and not any(_good(b) for b in recent)) or not any(_good(b) for b in backups)


REFERENCE_KEYS: dict[str, Callable[[datetime], tuple[int, ...]]] = {
    "hourly": lambda u: (u.year, u.month, u.day, u.hour),
    "daily": lambda u: (u.year, u.month, u.day),
    "weekly": lambda u: (u.isocalendar().year, u.isocalendar().week),
    "monthly": lambda u: (u.year, u.month),
    "yearly": lambda u: (u.year,),
}


def _reference_keep(backups: Sequence[BackupFacts], policy: Policy, now: datetime) -> set[int]:
    good = [b for b in backups if _good(b)]
    if not good:
        return set()
    keep = {max(good, key=_order).id}
    if policy.keep_last_n:
        keep |= {b.id for b in sorted(good, key=_order, reverse=True)[: policy.keep_last_n]}
    if policy.keep_days:
        keep |= {b.id for b in good if b.created_at > now - timedelta(days=policy.keep_days)}
    for tier, key in REFERENCE_KEYS.items():
        groups: dict[tuple[int, ...], list[BackupFacts]] = defaultdict(list)
        for b in good:
            groups[key(b.created_at.astimezone(UTC))].append(b)
        bucket_newest = sorted(
            (max(members, key=_order) for members in groups.values()), key=_order, reverse=True
        )
        keep |= {b.id for b in bucket_newest[: getattr(policy, f"keep_{tier}")]}
    return keep


@settings(max_examples=300, deadline=None)
@given(histories(), policies, caps, windows)
def test_not_good_backups_are_never_deleted(
    backups: list[BackupFacts], policy: Policy, max_backups: dict[int, int] | None, window: int
) -> None:
    p = plan(backups, policy, NOW, max_backups=max_backups, failing_window=window)
    decisions = _by_id(p)
    for b in backups:
        d = decisions[b.id]
        if not _good(b):
            assert d.keep and d.tier is None and d.retention_until is None
        if b.status in ("pending", "in_progress"):
            assert d.rules == ("in_progress",)


@settings(max_examples=300, deadline=None)
@given(histories(), policies, caps, windows)
def test_newest_good_backup_is_always_kept(
    backups: list[BackupFacts], policy: Policy, max_backups: dict[int, int] | None, window: int
) -> None:
    p = plan(backups, policy, NOW, max_backups=max_backups, failing_window=window)
    good = [b for b in backups if _good(b)]
    if good:
        newest = max(good, key=_order).id
        assert newest in _ids(p.keep) and "newest" in _by_id(p)[newest].rules


@settings(max_examples=300, deadline=None)
@given(histories(), policies, caps, windows)
def test_hold_follows_the_window_and_deletes_nothing(
    backups: list[BackupFacts], policy: Policy, max_backups: dict[int, int] | None, window: int
) -> None:
    p = plan(backups, policy, NOW, max_backups=max_backups, failing_window=window)
    assert p.held == _should_hold(backups, window)
    assert (p.held_reason is not None) == p.held
    if p.held:
        assert p.delete == ()


@settings(max_examples=300, deadline=None)
@given(histories(), policies, caps, windows, st.randoms(use_true_random=False))
def test_one_decision_per_backup_newest_first_whatever_the_input_order(
    backups: list[BackupFacts],
    policy: Policy,
    max_backups: dict[int, int] | None,
    window: int,
    rnd: random.Random,
) -> None:
    p = plan(backups, policy, NOW, max_backups=max_backups, failing_window=window)
    assert [d.backup_id for d in p.decisions] == [b.id for b in sorted(backups, key=_order, reverse=True)]
    assert _ids(p.keep) | _ids(p.delete) == {b.id for b in backups}
    assert not _ids(p.keep) & _ids(p.delete)
    shuffled = list(backups)
    rnd.shuffle(shuffled)
    assert plan(shuffled, policy, NOW, max_backups=max_backups, failing_window=window) == p
    for d in p.delete:
        assert d.rules == () and d.tier is None and d.retention_until == NOW
    for d in p.keep:
        assert d.rules


@settings(max_examples=300, deadline=None)
@given(histories(), policies, caps, windows)
def test_applying_a_plan_then_planning_again_deletes_nothing_more(
    backups: list[BackupFacts], policy: Policy, max_backups: dict[int, int] | None, window: int
) -> None:
    p = plan(backups, policy, NOW, max_backups=max_backups, failing_window=window)
    gone = _ids(p.delete)
    again = plan(
        [b for b in backups if b.id not in gone], policy, NOW, max_backups=max_backups, failing_window=window
    )
    assert again.delete == ()


@settings(max_examples=300, deadline=None)
@given(histories(), policies, caps, windows)
def test_a_schedule_never_keeps_more_than_its_cap_plus_the_newest(
    backups: list[BackupFacts], policy: Policy, max_backups: dict[int, int] | None, window: int
) -> None:
    p = plan(backups, policy, NOW, max_backups=max_backups, failing_window=window)
    if p.held or not max_backups:
        return
    kept = _ids(p.keep)
    for schedule_id, cap in max_backups.items():
        mine = [b for b in backups if _good(b) and b.schedule_id == schedule_id and b.id in kept]
        assert len(mine) <= max(cap, 1)


@st.composite
def bumped(draw: st.DrawFn, policy: Policy) -> Policy:
    field = draw(st.sampled_from(["keep_last_n", "keep_days", *(f"keep_{tier}" for tier in TIERS)]))
    return replace(policy, **{field: (getattr(policy, field) or 0) + draw(st.integers(1, 10))})


@settings(max_examples=300, deadline=None)
@given(histories(), policies.flatmap(lambda p: st.tuples(st.just(p), bumped(p))), windows)
def test_raising_any_count_never_deletes_what_was_kept(
    backups: list[BackupFacts], policies_pair: tuple[Policy, Policy], window: int
) -> None:
    smaller, larger = policies_pair
    before = plan(backups, smaller, NOW, failing_window=window)
    after = plan(backups, larger, NOW, failing_window=window)
    assert _ids(before.keep) <= _ids(after.keep)


@settings(max_examples=300, deadline=None)
@given(histories(), policies, windows)
def test_kept_set_matches_a_brute_force_reference(
    backups: list[BackupFacts], policy: Policy, window: int
) -> None:
    p = plan(backups, policy, NOW, failing_window=window)
    if p.held:
        return
    good_ids = {b.id for b in backups if _good(b)}
    assert _ids(p.keep) & good_ids == _reference_keep(backups, policy, NOW)


@settings(max_examples=200, deadline=None)
@given(histories(), policies, caps, windows)
def test_an_outside_hold_deletes_nothing_whatever_the_history(
    backups: list[BackupFacts], policy: Policy, max_backups: dict[int, int] | None, window: int
) -> None:
    p = plan(backups, policy, NOW, max_backups=max_backups, failing_window=window, hold="missing")
    assert p.held and p.delete == () and p.held_reason == "missing"
    assert _ids(p.keep) == {b.id for b in backups}
