"""SQL over the audit schema: an append-only log whose rows are chained by hash."""

from collections.abc import AsyncIterator
from typing import Any, TypeAlias

import asyncpg
import msgspec

from contracts.audit import AuditEntry, ExportLogs, ListLogs, LogFilter, Stats, UserCount
from services.audit import domain
from services.audit.domain import AuditRecord, ChainedRow

Db: TypeAlias = asyncpg.Pool | asyncpg.Connection

ENTRY = """id, user_id, username, action, resource_type, resource_id, resource_name, details,
           ip_address, status, error_message, occurred_at, created_at, event_id::text AS event_id,
           event_type"""
RECORD = """event_id::text AS event_id, event_type, action, resource_type, resource_id,
            resource_name, user_id, username, ip_address, status, error_message, details,
            occurred_at"""
TOP_USERS = 50


async def append(conn: asyncpg.Connection, record: AuditRecord) -> int:
    """Link `record` to the head of the chain and insert it. Run it in the transaction that marks
    the event processed, so each event is recorded exactly once."""
    prev_hash = await conn.fetchval("SELECT last_hash FROM chain_head FOR UPDATE")
    # jsonb normalises numbers (1e20 comes back as 100000000000000000000): hash what it returns.
    details = await conn.fetchval("SELECT $1::jsonb", record.details)
    record = msgspec.structs.replace(record, details=details)
    digest = domain.link(prev_hash, record)
    values = msgspec.structs.asdict(record)
    columns = ", ".join([*values, "prev_hash", "hash"])
    params = ", ".join(f"${i}" for i in range(1, len(values) + 3))
    row_id: int = await conn.fetchval(
        f"INSERT INTO audit_log ({columns}) VALUES ({params}) RETURNING id",
        *values.values(), prev_hash, digest,
    )
    await conn.execute("UPDATE chain_head SET last_id = $1, last_hash = $2", row_id, digest)
    return row_id


async def list_logs(db: Db, query: ListLogs) -> tuple[list[AuditEntry], int]:
    where, params = _where(query)
    total = await db.fetchval(f"SELECT count(*) FROM audit_log {where}", *params)
    rows = await db.fetch(
        f"""SELECT {ENTRY} FROM audit_log {where} ORDER BY id DESC
            LIMIT ${len(params) + 1} OFFSET ${len(params) + 2}""",
        *params, query.limit, query.offset,
    )
    return [AuditEntry(**dict(r)) for r in rows], int(total)


async def export_page(db: Db, query: ExportLogs) -> list[AuditEntry]:
    """A page keyed by id rather than offset, so rows appended during an export do not shift it."""
    where, params = _where(query, before_id=query.before_id)
    rows = await db.fetch(
        f"SELECT {ENTRY} FROM audit_log {where} ORDER BY id DESC LIMIT ${len(params) + 1}",
        *params, query.limit,
    )
    return [AuditEntry(**dict(r)) for r in rows]


async def stats(db: Db, query: LogFilter) -> Stats:
    where, params = _where(query)
    total = await db.fetchval(f"SELECT count(*) FROM audit_log {where}", *params)
    by: dict[str, dict[str, int]] = {}
    for column in ("action", "resource_type", "status"):
        rows = await db.fetch(
            f"""SELECT {column} AS key, count(*) AS n FROM audit_log {where}
                GROUP BY 1 ORDER BY 2 DESC, 1""",
            *params,
        )
        by[column] = {r["key"]: r["n"] for r in rows}
    user_where, _ = _where(query, "user_id IS NOT NULL")
    users = await db.fetch(
        f"""SELECT user_id, (array_agg(username ORDER BY id DESC))[1] AS username, count(*) AS n
            FROM audit_log {user_where} GROUP BY user_id ORDER BY n DESC, user_id
            LIMIT ${len(params) + 1}""",
        *params, TOP_USERS,
    )
    return Stats(
        total=int(total), by_action=by["action"], by_resource_type=by["resource_type"],
        by_status=by["status"],
        by_user=[UserCount(user_id=u["user_id"], username=u["username"], count=u["n"])
                 for u in users],
    )


async def head(conn: asyncpg.Connection) -> tuple[int | None, str]:
    row = await conn.fetchrow("SELECT last_id, last_hash FROM chain_head")
    return row["last_id"], row["last_hash"]


async def chain_batches(
    conn: asyncpg.Connection, size: int = 1000
) -> AsyncIterator[list[ChainedRow]]:
    """Every row in chain (id) order, `size` at a time; `conn` must be in a transaction."""
    cursor = await conn.cursor(f"SELECT id, prev_hash, hash, {RECORD} FROM audit_log ORDER BY id")
    while rows := await cursor.fetch(size):
        yield [_chained(row) for row in rows]


def _chained(row: asyncpg.Record) -> ChainedRow:
    values = dict(row)
    row_id, prev_hash, digest = values.pop("id"), values.pop("prev_hash"), values.pop("hash")
    return ChainedRow(row_id, AuditRecord(**values), prev_hash, digest)


def _where(query: LogFilter, *extra: str, before_id: int | None = None) -> tuple[str, list[Any]]:
    conditions, params = list(extra), []

    def add(condition: str, value: Any) -> None:
        params.append(value)
        conditions.append(condition.format(p=f"${len(params)}"))

    for column in ("user_id", "action", "resource_type", "resource_id", "status"):
        if getattr(query, column) is not None:
            add(f"{column} = {{p}}", getattr(query, column))
    if query.search:
        add("(resource_name ILIKE {p} OR username ILIKE {p} OR action ILIKE {p})",
            _contains(query.search))
    if query.resource_name:
        add("resource_name ILIKE {p}", _contains(query.resource_name))
    if query.start is not None:
        add("occurred_at >= {p}", query.start)
    if query.end is not None:
        add("occurred_at < {p}", query.end)
    if before_id is not None:
        add("id < {p}", before_id)
    return (f"WHERE {' AND '.join(conditions)}" if conditions else ""), params


def _contains(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
