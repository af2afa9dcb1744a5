"""The only place NATS subjects are built: `lb.<evt|job|rpc|progress>.<context>.v<N>.<name>`."""

EVENTS_STREAM = "EVENTS"
JOBS_STREAM = "JOBS"
ALL_EVENTS = "lb.evt.>"
ALL_JOBS = "lb.job.>"


def event(context: str, name: str, version: int = 1) -> str:
    return f"lb.evt.{context}.v{version}.{name}"


def job(context: str, name: str, version: int = 1) -> str:
    return f"lb.job.{context}.v{version}.{name}"


def progress(context: str, name: str, version: int = 1) -> str:
    return f"lb.progress.{context}.v{version}.{name}"


def rpc(service: str, operation: str) -> str:
    return f"lb.rpc.{service}.{operation}"


def stream_for(subject: str) -> str:
    """The JetStream stream that captures `subject` (jobs and events share the outbox)."""
    return JOBS_STREAM if subject.startswith("lb.job.") else EVENTS_STREAM


def ping(service: str) -> str:
    return rpc(service, "ping")


SERVICES = ("gateway", "catalog", "scheduler", "executor", "retention", "notifier", "audit")
