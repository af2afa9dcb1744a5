"""The time fire decisions are made at: the wall clock, or an instant read from a file so tests
and rehearsals can move time forward without waiting for it."""

from datetime import UTC, datetime
from pathlib import Path


class Clock:
    def __init__(self, path: str = "") -> None:
        self._path = Path(path) if path else None

    def now(self) -> datetime:
        if self._path is None:
            return datetime.now(UTC)
        instant = datetime.fromisoformat(self._path.read_text().strip())
        return instant if instant.tzinfo else instant.replace(tzinfo=UTC)

    def to_real(self, instant: datetime) -> datetime:
        """The wall-clock instant at which this clock will read `instant`, if it runs at the
        wall clock's pace (a file clock is as far ahead or behind as it is now)."""
        if self._path is None:
            return instant
        return datetime.now(UTC) + (instant - self.now())


def set_time(path: Path, instant: datetime) -> None:
    """Move a file clock (written atomically: a reader never sees half an instant)."""
    temporary = path.with_suffix(".tmp")
    temporary.write_text(instant.isoformat())
    temporary.replace(path)
