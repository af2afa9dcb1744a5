import msgspec

from contracts.envelope import Envelope


class UnknownJob(Exception):
    pass


async def on_job(body: bytes) -> None:
    """No job types exist yet: a job is refused, retried with backoff, then terminated and logged."""
    job = msgspec.json.decode(body, type=Envelope)
    raise UnknownJob(f"no runner for job type {job.type!r}")
