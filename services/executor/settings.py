"""Settings of the executor pool (`LIFEBOAT_*` like every setting)."""

from libs.config import ServiceSettings


class ExecutorSettings(ServiceSettings, frozen=True, kw_only=True):
    executor_concurrency: int = 2  # jobs one process runs at once
    job_lease_seconds: float = 30.0  # a job whose worker stops heart-beating this long is taken over
    job_max_attempts: int = 3  # attempts of a job failing for a transient cause (unreachable, storage)
    job_retry_seconds: float = 5.0  # first retry delay; doubles per attempt
