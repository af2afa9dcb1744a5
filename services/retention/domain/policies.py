"""Rules for stored policies, as functions of data: what a request stores, whether it may be
stored, and the policy its counts make."""

from typing import Any, Protocol

from contracts.retention import CreatePolicy, UpdatePolicy
from libs.errors import invalid
from libs.structs import given
from services.retention.domain import rules

REQUEST_FIELDS = {"actor", "correlation_id", "policy_id"}
COUNTS = (
    "keep_last_n",
    "keep_days",
    "keep_hourly",
    "keep_daily",
    "keep_weekly",
    "keep_monthly",
    "keep_yearly",
)


class Counts(Protocol):
    """A stored policy's numbers (000's counts and 001's tiers)."""

    @property
    def keep_last_n(self) -> int | None: ...
    @property
    def keep_days(self) -> int | None: ...
    @property
    def keep_hourly(self) -> int: ...
    @property
    def keep_daily(self) -> int: ...
    @property
    def keep_weekly(self) -> int: ...
    @property
    def keep_monthly(self) -> int: ...
    @property
    def keep_yearly(self) -> int: ...


def new_values(request: CreatePolicy) -> dict[str, Any]:
    values = given(request, exclude=REQUEST_FIELDS)
    values["name"] = values["name"].strip()
    return values


def changed_values(request: UpdatePolicy) -> dict[str, Any]:
    changes = given(request, exclude=REQUEST_FIELDS)
    if "name" in changes:
        changes["name"] = changes["name"].strip()
    return changes


def check(values: dict[str, Any]) -> None:
    """A policy with no rule would keep only the newest backup: refuse it rather than surprise."""
    if not any(values.get(count) for count in COUNTS):
        raise invalid(
            "keep_daily", "a policy needs at least one rule (keep_last_n, keep_days or a tier count)"
        )


def of(counts: Counts) -> rules.Policy:
    return rules.Policy(
        keep_last_n=counts.keep_last_n,
        keep_days=counts.keep_days,
        keep_hourly=counts.keep_hourly,
        keep_daily=counts.keep_daily,
        keep_weekly=counts.keep_weekly,
        keep_monthly=counts.keep_monthly,
        keep_yearly=counts.keep_yearly,
    )


def days_only(days: int) -> rules.Policy:
    """002's `retention_days` on a database: its backups are kept for so many days."""
    return rules.Policy(keep_days=days)


def summary(counts: Counts) -> str:
    numbers = ((count, getattr(counts, count)) for count in COUNTS)
    parts = [f"{count.removeprefix('keep_')}={number}" for count, number in numbers if number]
    return ", ".join(parts) or "newest only"
