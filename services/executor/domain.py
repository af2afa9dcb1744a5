"""The executor's rules that need no I/O: how a job's failure is named and whether a retry may
help, where each attempt of a backup writes, how long a retry waits, and which of the 003
verification checks an artifact error belongs to."""

TRANSIENT_CAUSES = frozenset({"unreachable", "tool_failed", "storage", "catalog_unavailable"})
ARTIFACT_SUFFIX = ".lbart"
CHECKS = (
    "file_integrity",
    "metadata_validation",
    "checksum_validation",
    "encryption_validation",
    "compression_validation",
)


class JobFailure(Exception):
    """The job did not succeed; `cause` is a short name people filter by, `message` says why."""

    def __init__(self, cause: str, message: str) -> None:
        super().__init__(message)
        self.cause = cause
        self.message = message

    @property
    def transient(self) -> bool:
        return self.cause in TRANSIENT_CAUSES


class Abandon(Exception):
    """The catalog says this job must not run (cancelled, deleted, superseded)."""


def attempt_key(base: str, fence: int) -> str:
    """Every attempt writes to its own key, so a stale attempt never touches its successor's."""
    return f"{base}.a{fence}{ARTIFACT_SUFFIX}"


def retry_delay(first_seconds: float, attempts: int) -> float:
    """The wait before retrying after attempt number `attempts`: doubles per attempt."""
    return first_seconds * 2.0 ** (attempts - 1)


def check_of(error: str) -> str:
    """Which 003 check an artifact error (its message) belongs to."""
    if error.startswith("checksum"):
        return "checksum_validation"
    if error.startswith("decompression"):
        return "compression_validation"
    if error.startswith(("size", "truncated", "data after")):
        return "file_integrity"
    if error.startswith(("header", "bad magic", "unknown master key")):
        return "metadata_validation"
    return "encryption_validation"
