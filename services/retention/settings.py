"""Settings of the retention service (`LIFEBOAT_*` like every setting)."""

from libs.config import ServiceSettings


class RetentionSettings(ServiceSettings, frozen=True, kw_only=True):
    retention_sweep_seconds: float = 3600.0  # every database is re-evaluated this often
    # Deletion is held for a database whose last N finished runs all failed.
    retention_failing_window: int = 3


Settings = RetentionSettings
