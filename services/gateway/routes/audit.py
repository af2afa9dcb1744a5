"""/audit: the audit log, owned by the audit service. Admins only."""

import csv
import io
import json
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal

from litestar import Request, Router, get
from litestar.di import Provide
from litestar.exceptions import ValidationException
from litestar.params import Parameter, QueryParameter
from litestar.response import Stream

from contracts.audit import (
    BIGINT_MAX,
    ActionList,
    AuditEntry,
    ChainReport,
    ExportLogs,
    ListActions,
    ListLogs,
    ListResourceTypes,
    LogBatch,
    LogPage,
    ResourceTypeList,
    Stats,
    StatsQuery,
    Status,
    VerifyChain,
)
from contracts.operations.audit import Audit
from libs.bus import rpc
from services.gateway.auth import guards
from services.gateway.routes.fields import FilterText, SearchText
from services.gateway.state import Gateway, actor

DATE_HINT = "expected YYYY-MM-DD or an ISO 8601 date-time"
RowId = Annotated[int | None, Parameter(ge=1, le=BIGINT_MAX)]
StartDate = Annotated[str | None, Parameter(description=DATE_HINT, max_length=64)]
EndDate = Annotated[
    str | None, Parameter(description=DATE_HINT + "; a date includes that day", max_length=64)
]
EXPORT_PAGE = 500
VERIFY_TIMEOUT_SECONDS = 300.0
CSV_COLUMNS = (
    "id",
    "created_at",
    "occurred_at",
    "user_id",
    "username",
    "ip_address",
    "action",
    "resource_type",
    "resource_id",
    "resource_name",
    "status",
    "error_message",
    "details",
    "event_id",
    "event_type",
)
# Spreadsheets run cells that start with these as formulas; a failed login's username is anyone's.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _refuse(name: str, message: str) -> ValidationException:
    return ValidationException(
        detail=f"invalid {name}", extra=[{"key": name, "source": "query", "message": message}]
    )


def _moment(name: str, text: str, *, end: bool) -> datetime:
    """A day covers all of it: as a start its midnight, as an (exclusive) end the next midnight."""
    try:
        return _day(date.fromisoformat(text), end)
    except ValueError:
        pass
    except OverflowError:
        raise _refuse(name, "out of range") from None
    try:
        moment = datetime.fromisoformat(text)
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
        return moment + timedelta(microseconds=1) if end else moment
    except ValueError:
        raise _refuse(name, DATE_HINT) from None
    except OverflowError:
        raise _refuse(name, "out of range") from None


def _day(day: date, end: bool) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1 if end else 0)


def _date_range(start_date: str | None, end_date: str | None) -> tuple[datetime | None, datetime | None]:
    start = _moment("start_date", start_date, end=False) if start_date else None
    end = _moment("end_date", end_date, end=True) if end_date else None
    if start is not None and end is not None and end <= start:
        raise _refuse("end_date", "must not be before start_date")
    return start, end


def provide_filters(
    request: Request[Any, Any, Any],
    user_id: RowId = None,
    action: FilterText = None,
    resource_type: FilterText = None,
    resource_id: RowId = None,
    status: Status | None = None,
    search: SearchText = None,
    resource_name: FilterText = None,
    start_date: StartDate = None,
    end_date: EndDate = None,
) -> dict[str, Any]:
    """The filters /logs and /export share, as fields of their requests to the audit."""
    start, end = _date_range(start_date, end_date)
    return {
        "actor": actor(request),
        "user_id": user_id,
        "action": action,
        "resource_type": resource_type,
        "resource_id": resource_id,
        "status": status,
        "search": search,
        "resource_name": resource_name,
        "start": start,
        "end": end,
    }


@get("/logs", operation_id="listAuditLogs", guards=[guards.admin])
async def list_logs(
    gateway: Gateway,
    filters: dict[str, Any],
    limit: Annotated[int, Parameter(ge=1, le=1000)] = 100,
    offset: Annotated[int, Parameter(ge=0, le=BIGINT_MAX)] = 0,
) -> LogPage:
    query = ListLogs(**filters, limit=limit, offset=offset)
    return await gateway.ask(Audit.list_logs, query)


@get("/export", operation_id="exportAuditLogs", guards=[guards.admin], media_type="text/csv")
async def export_logs(
    gateway: Gateway,
    filters: dict[str, Any],
    format_: Annotated[Literal["csv"], QueryParameter(name="format")] = "csv",
) -> Stream:
    # The first page is fetched before the response starts, so a refusal is still a proper error.
    first = await gateway.ask(Audit.export, ExportLogs(**filters, limit=EXPORT_PAGE))
    name = f"audit-log-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.csv"
    return Stream(
        _csv(gateway, filters, first),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


async def _csv(gateway: Gateway, filters: dict[str, Any], page: LogBatch) -> AsyncIterator[str]:
    yield _line(CSV_COLUMNS)
    while page.items:
        yield "".join(_line(_cells(entry)) for entry in page.items)
        if len(page.items) < EXPORT_PAGE:
            return
        page = await gateway.ask(
            Audit.export, ExportLogs(**filters, before_id=page.items[-1].id, limit=EXPORT_PAGE)
        )


def _cells(entry: AuditEntry) -> list[Any]:
    values = {column: getattr(entry, column) for column in CSV_COLUMNS}
    values["details"] = json.dumps(entry.details, sort_keys=True)
    for column in ("created_at", "occurred_at"):
        values[column] = values[column].isoformat().replace("+00:00", "Z")
    return [_defused(values[column]) for column in CSV_COLUMNS]


def _defused(value: Any) -> Any:
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value


def _line(cells: Iterable[Any]) -> str:
    out = io.StringIO()
    csv.writer(out).writerow(["" if cell is None else cell for cell in cells])
    return out.getvalue()


@get("/actions", operation_id="listAuditActions", guards=[guards.admin])
async def actions(request: Request[Any, Any, Any], gateway: Gateway) -> ActionList:
    return await gateway.ask(Audit.actions, ListActions(actor=actor(request)))


@get("/resource-types", operation_id="listAuditResourceTypes", guards=[guards.admin])
async def resource_types(request: Request[Any, Any, Any], gateway: Gateway) -> ResourceTypeList:
    return await gateway.ask(Audit.resource_types, ListResourceTypes(actor=actor(request)))


@get("/stats", operation_id="auditStats", guards=[guards.admin])
async def stats(
    request: Request[Any, Any, Any],
    gateway: Gateway,
    start_date: StartDate = None,
    end_date: EndDate = None,
) -> Stats:
    start, end = _date_range(start_date, end_date)
    query = StatsQuery(actor=actor(request), start=start, end=end)
    return await gateway.ask(Audit.stats, query)


@get("/verify", operation_id="verifyAuditChain", guards=[guards.admin])
async def verify(request: Request[Any, Any, Any], gateway: Gateway) -> ChainReport:
    # Reads the whole log: allowed far longer than an ordinary request.
    verification = VerifyChain(actor=actor(request))
    return await rpc.call(gateway.broker, Audit.verify, verification, timeout=VERIFY_TIMEOUT_SECONDS)


router = Router(
    path="/audit",
    tags=["audit"],
    dependencies={"filters": Provide(provide_filters, sync_to_thread=False)},
    route_handlers=[list_logs, export_logs, actions, resource_types, stats, verify],
)
