"""Which backups of one database a retention policy keeps: a pure function of the backups' facts, the
policy and the clock (newest, last-n, age window, GFS tiers, per-schedule caps and a failure hold)."""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from contracts.retention import TIERS, Tier

_UNIT: dict[Tier, str] = {
    "hourly": "hour",
    "daily": "day",
    "weekly": "week",
    "monthly": "month",
    "yearly": "year",
}
_RUNNING = frozenset({"pending", "in_progress"})
_FINISHED = frozenset({"completed", "failed"})


@dataclass(frozen=True, slots=True)
class Policy:
    keep_last_n: int | None = None  # the n newest good backups; None or 0 = off
    keep_days: int | None = None  # good backups created after now - n days; None or 0 = off
    keep_hourly: int = 0  # GFS: newest good backup of each of the n most recent UTC buckets having one
    keep_daily: int = 0
    keep_weekly: int = 0
    keep_monthly: int = 0
    keep_yearly: int = 0

    def __post_init__(self) -> None:
        counts = [self.keep_last_n, self.keep_days, *(self.count(tier) for tier in TIERS)]
        if any(c is not None and c < 0 for c in counts):
            raise ValueError("retention counts must not be negative")

    def count(self, tier: Tier) -> int:
        return int(getattr(self, f"keep_{tier}"))


@dataclass(frozen=True, slots=True)
class BackupFacts:
    id: int
    created_at: datetime
    status: str
    verified_ok: bool | None = None  # None = never verified, False = a verification failed
    schedule_id: int | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    backup_id: int
    keep: bool
    rules: tuple[str, ...]  # every rule keeping it; empty when deleted
    tier: Tier | None  # the highest GFS tier keeping it
    retention_until: datetime | None  # set only when "days" alone keeps it; `now` when deleted
    reason: str


@dataclass(frozen=True, slots=True)
class Plan:
    decisions: tuple[Decision, ...]  # one per backup, newest first
    held: bool
    held_reason: str | None

    @property
    def keep(self) -> tuple[Decision, ...]:
        return tuple(d for d in self.decisions if d.keep)

    @property
    def delete(self) -> tuple[Decision, ...]:
        return tuple(d for d in self.decisions if not d.keep)


def _hourly(at: datetime) -> str:
    u = at.astimezone(UTC)
    return f"{u.year:04d}-{u.month:02d}-{u.day:02d} {u.hour:02d}h"


def _daily(at: datetime) -> str:
    u = at.astimezone(UTC)
    return f"{u.year:04d}-{u.month:02d}-{u.day:02d}"


def _weekly(at: datetime) -> str:
    iso = at.astimezone(UTC).isocalendar()
    return f"{iso.year:04d}-W{iso.week:02d}"


def _monthly(at: datetime) -> str:
    u = at.astimezone(UTC)
    return f"{u.year:04d}-{u.month:02d}"


def _yearly(at: datetime) -> str:
    return f"{at.astimezone(UTC).year:04d}"


# each label is a bijection of the tier's UTC bucket key, so it doubles as the key
_BUCKET: dict[Tier, Callable[[datetime], str]] = {
    "hourly": _hourly,
    "daily": _daily,
    "weekly": _weekly,
    "monthly": _monthly,
    "yearly": _yearly,
}


def _good(b: BackupFacts) -> bool:
    return b.status == "completed" and b.verified_ok is not False


def _gfs(good: Sequence[BackupFacts], policy: Policy) -> dict[int, list[tuple[Tier, str]]]:
    """Maps a backup id to the (tier, bucket label) pairs keeping it; `good` must be newest first."""
    kept: dict[int, list[tuple[Tier, str]]] = {}
    for tier in TIERS:
        n, taken = policy.count(tier), set[str]()
        for b in good:
            if len(taken) >= n:
                break
            label = _BUCKET[tier](b.created_at)
            # buckets are contiguous in time order, so the first one met is the bucket's newest
            if label not in taken:
                taken.add(label)
                kept.setdefault(b.id, []).append((tier, label))
    return kept


def _hold(ordered: Sequence[BackupFacts], window: int, has_good: bool) -> str | None:
    finished = [b for b in ordered if b.status in _FINISHED][:window]
    if finished and not any(_good(b) for b in finished):
        runs = "the last run" if len(finished) == 1 else f"the last {len(finished)} runs"
        return f"{runs} failed; nothing is deleted until a backup succeeds (a stale backup beats none)"
    if not has_good:
        return "there is no good backup; nothing is deleted"
    return None


def _left_alone(b: BackupFacts) -> Decision:
    if b.status in _RUNNING:
        why = f"{b.status.replace('_', ' ')}: retention waits until it finishes"
        return Decision(b.id, True, ("in_progress",), None, None, why)
    what = "verification failed" if b.status == "completed" else b.status
    why = f"left alone ({what}): not managed by retention; operators delete such backups explicitly"
    return Decision(b.id, True, ("not_good",), None, None, why)


def _why_kept(rules: Sequence[str], labels: Sequence[tuple[Tier, str]], policy: Policy) -> str:
    parts = {
        "newest": "newest",
        "last_n": f"last_n ({policy.keep_last_n})",
        "days": f"days ({policy.keep_days})",
    }
    return "kept by " + ", ".join([parts[r] for r in rules if r in parts] + [f"{t} ({x})" for t, x in labels])


def _why_not(b: BackupFacts, policy: Policy, taken: Mapping[Tier, set[str]]) -> str:
    misses = [f"beyond the {policy.keep_last_n} newest"] if policy.keep_last_n else []
    misses += [f"older than {policy.keep_days} days"] if policy.keep_days else []
    for tier in (t for t in TIERS if policy.count(t)):
        unit, label = _UNIT[tier], _BUCKET[tier](b.created_at)
        if label in taken[tier]:
            misses.append(f"not the newest of its {unit} ({label})")
        else:
            misses.append(f"its {unit} ({label}) is not among the {policy.count(tier)} most recent {unit}s")
    return "no rule keeps it: " + (", ".join(misses) or "the policy keeps only the newest good backup")


def plan(
    backups: Sequence[BackupFacts],
    policy: Policy,
    now: datetime,
    *,
    max_backups: Mapping[int, int] | None = None,
    failing_window: int = 3,
    hold: str | None = None,
) -> Plan:
    """Decides every backup of one database; the result is independent of the input order.
    `hold` is a reason known outside the history (the policy cannot be found): with it, as with
    a failing database, every backup no rule keeps is held instead of deleted."""
    if len({b.id for b in backups}) != len(backups):
        raise ValueError("duplicate backup ids")
    if failing_window < 1 or any(cap < 0 for cap in (max_backups or {}).values()):
        raise ValueError("failing_window must be positive and max_backups caps non-negative")
    ordered = sorted(backups, key=lambda b: (b.created_at, b.id), reverse=True)
    good = [b for b in ordered if _good(b)]
    gfs = _gfs(good, policy)
    taken: dict[Tier, set[str]] = {tier: set() for tier in TIERS}
    for labels in gfs.values():
        for tier, label in labels:
            taken[tier].add(label)
    since = now - timedelta(days=policy.keep_days) if policy.keep_days else None
    held_reason = hold or _hold(ordered, failing_window, bool(good))
    caps, per_schedule = max_backups or {}, dict[int, int]()
    verdicts: dict[int, Decision] = {}
    for i, b in enumerate(good):
        rules = ["newest"] if i == 0 else []
        rules += ["last_n"] if policy.keep_last_n and i < policy.keep_last_n else []
        rules += ["days"] if since is not None and b.created_at > since else []
        labels = gfs.get(b.id, [])
        rules += [tier for tier, _ in labels]
        reason = _why_kept(rules, labels, policy) if rules else _why_not(b, policy, taken)
        if rules and b.schedule_id is not None and b.schedule_id in caps:
            per_schedule[b.schedule_id] = per_schedule.get(b.schedule_id, 0) + 1
            # the overall newest survives even a cap of 0: some restorable backup must remain
            if per_schedule[b.schedule_id] > caps[b.schedule_id] and i != 0:
                rules, reason = [], f"beyond the schedule's max_backups of {caps[b.schedule_id]}"
        if not rules and held_reason is not None:
            verdicts[b.id] = Decision(b.id, True, ("held",), None, None, f"held: {held_reason}")
            continue
        tiers = [tier for tier in TIERS if tier in rules]
        until = b.created_at + timedelta(days=policy.keep_days or 0) if rules == ["days"] else None
        verdicts[b.id] = Decision(
            b.id, bool(rules), tuple(rules), tiers[-1] if tiers else None, until if rules else now, reason
        )
    decisions = tuple(verdicts[b.id] if b.id in verdicts else _left_alone(b) for b in ordered)
    return Plan(decisions, held_reason is not None, held_reason)
