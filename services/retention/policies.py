"""Rules for stored policies, as functions of data: what a request stores and how a row reads."""

from typing import Any

from contracts.retention import CreatePolicy, PolicyView, UpdatePolicy
from libs.errors import invalid
from libs.structs import given
from services.retention import rules

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


def of(row: dict[str, Any]) -> rules.Policy:
    return rules.Policy(**{count: row[count] for count in COUNTS})


def days_only(days: int) -> rules.Policy:
    """002's `retention_days` on a database: its backups are kept for so many days."""
    return rules.Policy(keep_days=days)


def summary(row: dict[str, Any]) -> str:
    parts = [f"{count.removeprefix('keep_')}={row[count]}" for count in COUNTS if row.get(count)]
    return ", ".join(parts) or "newest only"


def view(row: dict[str, Any]) -> PolicyView:
    return PolicyView(
        id=row["id"],
        name=row["name"],
        description=row["description"],
        is_system=row["is_system"],
        tier_options=row["tier_options"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        **{count: row[count] for count in COUNTS},
    )
