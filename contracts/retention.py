"""Requests and replies of the retention service's RPC operations (`lb.rpc.retention.*`).

A policy holds 000's fields (`keep_last_n`, `keep_days`, `keep_daily`, `keep_weekly`,
`keep_monthly`) and 001's tiers (hourly … yearly, each a `keep_count`) as one flat set of
counts; the gateway renders both shapes. `tier_options` keeps 001's per-tier extras (`time`,
`day_of_week`, …) as they were sent."""

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from msgspec import UNSET, UnsetType

from contracts.catalog import Name, Text
from contracts.rpc import Request

Tier = Literal["hourly", "daily", "weekly", "monthly", "yearly"]
TIERS: tuple[Tier, ...] = ("hourly", "daily", "weekly", "monthly", "yearly")
Count = Annotated[int, msgspec.Meta(ge=0, le=100_000)]
PositiveCount = Annotated[int, msgspec.Meta(ge=1, le=100_000)]
TierOptions = dict[str, dict[str, Any]]


class CreatePolicy(Request, frozen=True, kw_only=True):
    name: Name
    description: Text | None = None
    keep_last_n: PositiveCount | None = None
    keep_days: PositiveCount | None = None
    keep_hourly: Count = 0
    keep_daily: Count = 0
    keep_weekly: Count = 0
    keep_monthly: Count = 0
    keep_yearly: Count = 0
    tier_options: TierOptions = {}


class UpdatePolicy(Request, frozen=True, kw_only=True):
    policy_id: int
    name: Name | UnsetType = UNSET
    description: Text | None | UnsetType = UNSET
    keep_last_n: PositiveCount | None | UnsetType = UNSET
    keep_days: PositiveCount | None | UnsetType = UNSET
    keep_hourly: Count | UnsetType = UNSET
    keep_daily: Count | UnsetType = UNSET
    keep_weekly: Count | UnsetType = UNSET
    keep_monthly: Count | UnsetType = UNSET
    keep_yearly: Count | UnsetType = UNSET
    tier_options: TierOptions | UnsetType = UNSET


class PolicyRef(Request, frozen=True, kw_only=True):
    policy_id: int


class DeletePolicy(Request, frozen=True, kw_only=True):
    """Delete a policy no database or schedule names; with `reassign_to`, first move every
    database and schedule that names it to that (existing, other) policy."""

    policy_id: int
    reassign_to: int | None = None


class ListPolicies(Request, frozen=True, kw_only=True):
    pass


class PolicyView(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    name: str
    description: str | None
    is_system: bool
    keep_last_n: int | None
    keep_days: int | None
    keep_hourly: int
    keep_daily: int
    keep_weekly: int
    keep_monthly: int
    keep_yearly: int
    tier_options: TierOptions
    created_at: datetime
    updated_at: datetime


class PolicyList(msgspec.Struct, frozen=True):
    items: list[PolicyView]


class PreviewRetention(Request, frozen=True, kw_only=True):
    policy_id: int
    database_id: int


class PreviewItem(msgspec.Struct, frozen=True, kw_only=True):
    backup_id: int
    created_at: datetime
    status: str
    rules: list[str]
    tier: str | None
    retention_until: datetime | None
    reason: str


class RetentionPreview(msgspec.Struct, frozen=True, kw_only=True):
    """`held` is true when nothing would be deleted now: failing runs, no good backup, or a
    policy the database (or the schedule deciding for it) names that cannot be found."""

    policy_id: int
    database_id: int
    evaluated_at: datetime
    held: bool
    held_reason: str | None
    keep: list[PreviewItem]
    delete: list[PreviewItem]


# --- what the retention service asks of the catalog (`lb.rpc.catalog.*`) ------------------


class DatabaseHistory(Request, frozen=True, kw_only=True):
    database_id: int


class BackupFact(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    created_at: datetime
    status: str
    verified_ok: bool | None
    schedule_id: int | None


class History(msgspec.Struct, frozen=True, kw_only=True):
    database_id: int
    server_id: int | None
    policy_id: int | None
    retention_days: int | None
    backups: list[BackupFact]


class RetentionMark(msgspec.Struct, frozen=True, kw_only=True):
    backup_id: int
    tier: str | None
    retention_until: datetime | None


class MarkRetention(Request, frozen=True, kw_only=True):
    marks: list[RetentionMark]


class Marked(msgspec.Struct, frozen=True):
    updated: int


class ListManagedDatabases(Request, frozen=True, kw_only=True):
    """Databases that have at least one completed backup: what a periodic sweep evaluates."""


class ManagedDatabases(msgspec.Struct, frozen=True):
    database_ids: list[int]


# --- who names a policy: asked of the catalog (databases) and the scheduler (schedules) -----


class PolicyUsers(Request, frozen=True, kw_only=True):
    policy_id: int


class PolicyDatabases(PolicyUsers, frozen=True, kw_only=True):
    """retention → catalog: the databases naming a policy."""


class PolicySchedules(PolicyUsers, frozen=True, kw_only=True):
    """retention → scheduler: the schedules naming a policy."""


class PolicyUser(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    name: str


class PolicyUsage(msgspec.Struct, frozen=True):
    """The databases (catalog) or schedules (scheduler) naming one policy, by id."""

    items: list[PolicyUser]


class ReassignPolicy(Request, frozen=True, kw_only=True):
    """Every database (catalog) or schedule (scheduler) naming `policy_id` names `to_policy_id`
    instead; the caller has checked that `to_policy_id` exists."""

    policy_id: int
    to_policy_id: int


class ReassignDatabases(ReassignPolicy, frozen=True, kw_only=True):
    """retention → catalog: move the databases naming a policy to another."""


class ReassignSchedules(ReassignPolicy, frozen=True, kw_only=True):
    """retention → scheduler: move the schedules naming a policy to another."""


class Reassigned(msgspec.Struct, frozen=True):
    items: list[PolicyUser]
