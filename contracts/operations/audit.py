"""What the audit service answers: the log, its export, its vocabulary, its chain check."""

from contracts import audit
from contracts.operations import Operation, Service


class Audit(Service, name="audit"):
    list_logs = Operation(audit.ListLogs, audit.LogPage)
    export = Operation(audit.ExportLogs, audit.LogBatch)
    actions = Operation(audit.ListActions, audit.ActionList)
    resource_types = Operation(audit.ListResourceTypes, audit.ResourceTypeList)
    stats = Operation(audit.StatsQuery, audit.Stats)
    verify = Operation(audit.VerifyChain, audit.ChainReport)
