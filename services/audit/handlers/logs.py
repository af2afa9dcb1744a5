"""The gateway's queries over the audit log: pages, exports, its vocabulary, its statistics,
and the check of its hash chain."""

import asyncpg

from contracts.audit import (
    ActionList,
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
    VerifyChain,
)
from services.audit import domain, store


class LogHandlers:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def list_logs(self, request: ListLogs) -> LogPage:
        items, total = await store.list_logs(self.pool, request)
        return LogPage(total=total, items=items)

    async def export(self, request: ExportLogs) -> LogBatch:
        return LogBatch(items=await store.export_page(self.pool, request))

    async def actions(self, _: ListActions) -> ActionList:
        return ActionList(actions=domain.actions())

    async def resource_types(self, _: ListResourceTypes) -> ResourceTypeList:
        return ResourceTypeList(resource_types=domain.resource_types())

    async def stats(self, request: StatsQuery) -> Stats:
        return await store.stats(self.pool, request)

    async def verify(self, _: VerifyChain) -> ChainReport:
        check = domain.ChainCheck()
        # One snapshot, so rows appended meanwhile neither appear nor move the head.
        async with self.pool.acquire() as conn:
            async with conn.transaction(isolation="repeatable_read", readonly=True):
                head = await store.head(conn)
                async for rows in store.chain_batches(conn):
                    if not check.feed(rows):
                        break
        ok, first_broken_id, checked = check.verdict(head)
        return ChainReport(valid=ok, checked=checked, first_broken_id=first_broken_id)
