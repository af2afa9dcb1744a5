"""/retention-policies: retention policies owned by the retention service, in 000's shape
(`keep_daily`, …) and 001's (tier objects `daily: {enabled, keep_count, time, …}`) at once.
Either shape may be sent; a policy holds one count per tier, so the two must agree."""

from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Request, Router, delete, get, post, put
from msgspec import UNSET, UnsetType

from contracts.catalog import Deleted, Name, Text
from contracts.operations.retention import Retention
from contracts.retention import (
    TIERS,
    Count,
    CreatePolicy,
    DeletePolicy,
    ListPolicies,
    PolicyRef,
    PolicyView,
    PositiveCount,
    PreviewRetention,
    RetentionPreview,
    TierOptions,
    UpdatePolicy,
)
from contracts.schedules import IntervalHours
from libs.errors import invalid
from libs.structs import given
from services.gateway.auth import guards
from services.gateway.routes.fields import IdFilter, PathId
from services.gateway.state import Gateway, actor

TierTime = Annotated[str, msgspec.Meta(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
DayOfWeek = Annotated[int, msgspec.Meta(ge=0, le=6)]  # 0 is Sunday, as in cron
DayOfMonth = Annotated[int, msgspec.Meta(ge=1, le=31)]
Month = Annotated[int, msgspec.Meta(ge=1, le=12)]


class Tier(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """001's tier object. A disabled tier keeps nothing; the other keys are kept as its options
    (`null` leaves an option out, and on update removes it)."""

    enabled: bool = True
    keep_count: Count | None = None
    time: TierTime | None | UnsetType = UNSET
    day_of_week: DayOfWeek | None | UnsetType = UNSET
    day_of_month: DayOfMonth | None | UnsetType = UNSET
    month: Month | None | UnsetType = UNSET
    interval_hours: IntervalHours | None | UnsetType = UNSET


class PolicyCreate(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    name: Name
    description: Text | None = None
    keep_last_n: PositiveCount | None = None
    keep_days: PositiveCount | None = None
    keep_hourly: Count | UnsetType = UNSET
    keep_daily: Count | UnsetType = UNSET
    keep_weekly: Count | UnsetType = UNSET
    keep_monthly: Count | UnsetType = UNSET
    keep_yearly: Count | UnsetType = UNSET
    hourly: Tier | UnsetType = UNSET
    daily: Tier | UnsetType = UNSET
    weekly: Tier | UnsetType = UNSET
    monthly: Tier | UnsetType = UNSET
    yearly: Tier | UnsetType = UNSET


class PolicyUpdate(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    name: Name | UnsetType = UNSET
    description: Text | None | UnsetType = UNSET
    keep_last_n: PositiveCount | None | UnsetType = UNSET
    keep_days: PositiveCount | None | UnsetType = UNSET
    keep_hourly: Count | UnsetType = UNSET
    keep_daily: Count | UnsetType = UNSET
    keep_weekly: Count | UnsetType = UNSET
    keep_monthly: Count | UnsetType = UNSET
    keep_yearly: Count | UnsetType = UNSET
    hourly: Tier | UnsetType = UNSET
    daily: Tier | UnsetType = UNSET
    weekly: Tier | UnsetType = UNSET
    monthly: Tier | UnsetType = UNSET
    yearly: Tier | UnsetType = UNSET


class Policy(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    name: str
    description: str | None
    is_system: bool
    keep_last_n: int | None
    keep_days: int | None
    keep_daily: int
    keep_weekly: int
    keep_monthly: int
    keep_hourly: int
    keep_yearly: int
    hourly: dict[str, Any]
    daily: dict[str, Any]
    weekly: dict[str, Any]
    monthly: dict[str, Any]
    yearly: dict[str, Any]
    created_at: datetime
    updated_at: datetime


def tier_object(count: int, options: dict[str, Any]) -> dict[str, Any]:
    extras = {k: v for k, v in options.items() if k not in ("enabled", "keep_count")}
    return {"enabled": count > 0, "keep_count": count, **extras}


def policy_view(view: PolicyView) -> Policy:
    counts = {tier: getattr(view, f"keep_{tier}") for tier in TIERS}
    tiers = {tier: tier_object(counts[tier], view.tier_options.get(tier, {})) for tier in TIERS}
    return Policy(
        id=view.id,
        name=view.name,
        description=view.description,
        is_system=view.is_system,
        keep_last_n=view.keep_last_n,
        keep_days=view.keep_days,
        keep_daily=view.keep_daily,
        keep_weekly=view.keep_weekly,
        keep_monthly=view.keep_monthly,
        keep_hourly=view.keep_hourly,
        keep_yearly=view.keep_yearly,
        created_at=view.created_at,
        updated_at=view.updated_at,
        **tiers,
    )


def tier_count(name: str, tier: Tier) -> int:
    if not tier.enabled:
        return 0
    if tier.keep_count is None:
        raise invalid(f"{name}.keep_count", "required when the tier is enabled")
    if tier.keep_count == 0:
        raise invalid(f"{name}.keep_count", "an enabled tier keeps at least one backup")
    return tier.keep_count


def sent_options(tier: Tier) -> dict[str, Any]:
    """The tier's options as sent, `None` included (it means: leave this option out)."""
    return given(tier, exclude=("enabled", "keep_count"))


def merge_tiers(data: PolicyCreate | PolicyUpdate) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The flat fields the retention service takes, and the options of each tier that was sent.
    A tier object and its `keep_<tier>` count must agree when both are sent."""
    fields = given(data, exclude=TIERS)
    options: dict[str, dict[str, Any]] = {}
    for name in TIERS:
        tier = getattr(data, name)
        if tier is UNSET:
            continue
        count = tier_count(name, tier)
        flat = f"keep_{name}"
        if flat in fields and fields[flat] != count:
            raise invalid(name, f"keeps {count} backups but {flat} is {fields[flat]}; make them agree")
        fields[flat] = count
        options[name] = sent_options(tier)
    return fields, options


def apply_options(current: TierOptions, sent: dict[str, dict[str, Any]]) -> TierOptions:
    """Sent options over the current ones, tier by tier; an option sent as `null` is removed."""
    merged = {tier: dict(values) for tier, values in current.items()}
    for tier, values in sent.items():
        combined = {**merged.get(tier, {}), **values}
        merged[tier] = {k: v for k, v in combined.items() if v is not None}
    return {tier: values for tier, values in merged.items() if values}


def _ref(request: Request[Any, Any, Any], policy_id: int) -> PolicyRef:
    return PolicyRef(actor=actor(request), policy_id=policy_id)


@get("/", operation_id="listRetentionPolicies", guards=[guards.viewer])
async def list_policies(request: Request[Any, Any, Any], gateway: Gateway) -> list[Policy]:
    found = await gateway.ask(Retention.list_policies, ListPolicies(actor=actor(request)))
    return [policy_view(p) for p in found.items]


@post("/", operation_id="createRetentionPolicy", guards=[guards.operator], status_code=201)
async def create_policy(data: PolicyCreate, request: Request[Any, Any, Any], gateway: Gateway) -> Policy:
    fields, options = merge_tiers(data)
    create = CreatePolicy(actor=actor(request), tier_options=apply_options({}, options), **fields)
    return policy_view(await gateway.ask(Retention.create_policy, create))


@get("/{policy_id:int}", operation_id="getRetentionPolicy", guards=[guards.viewer])
async def get_policy(policy_id: PathId, request: Request[Any, Any, Any], gateway: Gateway) -> Policy:
    return policy_view(await gateway.ask(Retention.get_policy, _ref(request, policy_id)))


@put("/{policy_id:int}", operation_id="updateRetentionPolicy", guards=[guards.operator])
async def update_policy(
    policy_id: PathId, data: PolicyUpdate, request: Request[Any, Any, Any], gateway: Gateway
) -> Policy:
    fields, options = merge_tiers(data)
    if options:  # a tier's options change only where sent: start from what the policy has
        current = await gateway.ask(Retention.get_policy, _ref(request, policy_id))
        fields["tier_options"] = apply_options(current.tier_options, options)
    update = UpdatePolicy(actor=actor(request), policy_id=policy_id, **fields)
    return policy_view(await gateway.ask(Retention.update_policy, update))


@delete("/{policy_id:int}", operation_id="deleteRetentionPolicy", guards=[guards.operator], status_code=200)
async def delete_policy(
    policy_id: PathId,
    request: Request[Any, Any, Any],
    gateway: Gateway,
    reassign_to: IdFilter = None,
) -> Deleted:
    """409 `POLICY_IN_USE` (naming them) while databases or schedules name the policy, unless
    `reassign_to` names another policy: then they are moved to it and the policy deleted."""
    deletion = DeletePolicy(actor=actor(request), policy_id=policy_id, reassign_to=reassign_to)
    return await gateway.ask(Retention.delete_policy, deletion)


@get("/{policy_id:int}/preview", operation_id="previewRetentionPolicy", guards=[guards.viewer])
async def preview_policy(
    policy_id: PathId,
    request: Request[Any, Any, Any],
    gateway: Gateway,
    database_id: PathId,
) -> RetentionPreview:
    preview = PreviewRetention(actor=actor(request), policy_id=policy_id, database_id=database_id)
    return await gateway.ask(Retention.preview, preview)


router = Router(
    path="/retention-policies",
    tags=["retention-policies"],
    route_handlers=[list_policies, create_policy, get_policy, update_policy, delete_policy, preview_policy],
)
