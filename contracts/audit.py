"""Requests and replies of the audit's RPC operations (`lb.rpc.audit.<op>`)."""

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from contracts.rpc import Request

Status = Literal["success", "failed"]
BIGINT_MAX = 2**63 - 1
Id = Annotated[int, msgspec.Meta(ge=1, le=BIGINT_MAX)]
Limit = Annotated[int, msgspec.Meta(ge=1, le=1000)]
# PostgreSQL text cannot hold NUL.
Text = Annotated[str, msgspec.Meta(max_length=200, pattern=r"^[^\x00]*$")]
Offset = Annotated[int, msgspec.Meta(ge=0, le=BIGINT_MAX)]


class LogFilter(Request, frozen=True, kw_only=True):
    """Which records to read; `start` is inclusive, `end` exclusive, both against `occurred_at`."""

    user_id: Id | None = None
    action: Text | None = None
    resource_type: Text | None = None
    resource_id: Id | None = None
    status: Status | None = None
    search: Text | None = None
    resource_name: Text | None = None
    start: datetime | None = None
    end: datetime | None = None


class ListLogs(LogFilter, frozen=True, kw_only=True):
    limit: Limit = 100
    offset: Offset = 0


class ExportLogs(LogFilter, frozen=True, kw_only=True):
    """One page of an export, newest first; the next page starts below the last id returned."""

    before_id: Id | None = None
    limit: Limit = 500


class AuditEntry(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    user_id: int | None
    username: str | None
    action: str
    resource_type: str
    resource_id: int | None
    resource_name: str | None
    details: dict[str, Any]
    ip_address: str | None
    status: Status
    error_message: str | None
    occurred_at: datetime
    created_at: datetime
    event_id: str
    event_type: str


class LogPage(msgspec.Struct, frozen=True, kw_only=True):
    total: int
    items: list[AuditEntry]


class LogBatch(msgspec.Struct, frozen=True, kw_only=True):
    items: list[AuditEntry]


class ListActions(Request, frozen=True, kw_only=True):
    pass


class ListResourceTypes(Request, frozen=True, kw_only=True):
    pass


class Choice(msgspec.Struct, frozen=True, kw_only=True):
    value: str
    label: str


class ActionList(msgspec.Struct, frozen=True, kw_only=True):
    actions: list[Choice]


class ResourceTypeList(msgspec.Struct, frozen=True, kw_only=True):
    resource_types: list[Choice]


class StatsQuery(LogFilter, frozen=True, kw_only=True):
    pass


class UserCount(msgspec.Struct, frozen=True, kw_only=True):
    user_id: int
    username: str | None
    count: int


class Stats(msgspec.Struct, frozen=True, kw_only=True):
    total: int
    by_action: dict[str, int]
    by_resource_type: dict[str, int]
    by_status: dict[str, int]
    by_user: list[UserCount]


class VerifyChain(Request, frozen=True, kw_only=True):
    pass


class ChainReport(msgspec.Struct, frozen=True, kw_only=True):
    valid: bool
    checked: int
    first_broken_id: int | None
