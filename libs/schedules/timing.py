"""What a schedule's timing is, and the error that names which of its inputs is wrong."""

from dataclasses import dataclass


class TimingError(ValueError):
    """A schedule input is invalid: `field` names it ("cron_expression", "timezone", "interval_hours")."""

    field: str

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


@dataclass(frozen=True, slots=True)
class Timing:
    """When a schedule fires: a cron expression in `timezone`, or every `interval_hours` of UTC time."""

    cron_expression: str
    timezone: str = "UTC"
    # When set, fires every interval_hours of elapsed time at multiples since 1970-01-01T00:00Z.
    interval_hours: float | None = None
