"""What the audit service answers: the log, its export, its vocabulary, its chain check."""

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
from contracts.operations import Operation, Service


class Audit(Service, name="audit"):
    list_logs = Operation(ListLogs, LogPage)
    export = Operation(ExportLogs, LogBatch)
    actions = Operation(ListActions, ActionList)
    resource_types = Operation(ListResourceTypes, ResourceTypeList)
    stats = Operation(StatsQuery, Stats)
    verify = Operation(VerifyChain, ChainReport)
