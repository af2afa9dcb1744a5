"""Settings of the executor pool (`LIFEBOAT_*` like every setting)."""

from libs.config import ServiceSettings
from libs.netguard import ALLOW_VARIABLE, DENY_VARIABLE, Network, parse_networks


class ExecutorSettings(ServiceSettings, frozen=True, kw_only=True):
    executor_concurrency: int = 2  # jobs one process runs at once
    job_lease_seconds: float = 30.0  # a job whose worker stops heart-beating this long is taken over
    job_max_attempts: int = 3  # attempts of a job failing for a transient cause (unreachable, storage)
    job_retry_seconds: float = 5.0  # first retry delay; doubles per attempt
    http_host: str = "127.0.0.1"  # the gateway's, read from the same variables: never a target
    http_port: int = 8000
    network_allow: str = ""  # comma-separated CIDRs; when set, targets must be in one of them
    network_deny: str = ""  # comma-separated CIDRs never connected to

    def __post_init__(self) -> None:
        self.network_ranges()  # a malformed range stops the process at start-up, naming the variable

    def network_ranges(self) -> tuple[tuple[Network, ...], tuple[Network, ...]]:
        """(allowed, denied) ranges."""
        return (
            parse_networks(self.network_allow, ALLOW_VARIABLE),
            parse_networks(self.network_deny, DENY_VARIABLE),
        )
