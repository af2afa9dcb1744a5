"""Filtered, counted pages: the list operations of every table share one shape."""

from typing import Any, TypeAlias, TypeVar

import asyncpg
import msgspec

Executor: TypeAlias = asyncpg.Pool | asyncpg.Connection
Row = TypeVar("Row", bound=msgspec.Struct)


def where(filters: list[tuple[str, Any]]) -> tuple[str, list[Any]]:
    """`column-expression = $n` for each filter whose value is given; `{}` marks where $n goes."""
    conditions, params = [], []
    for expression, value in filters:
        if value is not None:
            params.append(value)
            conditions.append(expression.format(f"${len(params)}"))
    return (f"WHERE {' AND '.join(conditions)}" if conditions else ""), params


async def page(
    db: Executor,
    row: type[Row],
    select: str,
    condition: str,
    params: list[Any],
    order: str,
    limit: int,
    offset: int,
) -> tuple[list[Row], int]:
    """One page of `select`'s rows as `row`s and the number of rows matching, in one query (the
    total rides first on every row); a page past the end has no row to carry it, so only then
    is it counted apart. Rows are built positionally: a list page is read at hundreds of pages
    a second, and the view built from the Struct costs less than one read by column name."""
    records = await db.fetch(
        f"SELECT count(*) OVER (), q.* FROM ({select}) q {condition} ORDER BY {order} "
        f"LIMIT ${len(params) + 1} OFFSET ${len(params) + 2}",
        *params,
        limit,
        offset,
    )
    if not records:
        if not offset:
            return [], 0
        return [], int(await db.fetchval(f"SELECT count(*) FROM ({select}) q {condition}", *params))
    return [row(*record[1:]) for record in records], int(records[0][0])
