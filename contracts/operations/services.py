"""Every service, by name: for what asks all of them (the gateway's /health pings)."""

from contracts.operations import Service
from contracts.operations.audit import Audit
from contracts.operations.catalog import Catalog
from contracts.operations.executor import Executor
from contracts.operations.retention import Retention
from contracts.operations.scheduler import Scheduler


class Gateway(Service, name="gateway"):
    """The gateway answers HTTP; over the bus it answers pings only."""


class Notifier(Service, name="notifier"):
    """The notifier consumes events; over the bus it answers pings only."""


BY_NAME: dict[str, type[Service]] = {
    service.service_name: service
    for service in (Gateway, Catalog, Scheduler, Executor, Retention, Notifier, Audit)
}
