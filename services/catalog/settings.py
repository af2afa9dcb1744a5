"""Settings of the catalog (`LIFEBOAT_*` like every setting)."""

from libs.config import ServiceSettings


class Settings(ServiceSettings, frozen=True, kw_only=True):
    """The catalog needs only what every service has: where backups go (`storage_*`), which
    directories SQLite files may live under, and how long and how many connection probes run."""
