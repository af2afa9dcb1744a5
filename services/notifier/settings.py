"""Settings of the notifier (`LIFEBOAT_*` like every setting)."""

from libs.config import ServiceSettings


class NotifierSettings(ServiceSettings, frozen=True, kw_only=True):
    """The notifier needs nothing beyond what every service does: NATS, PostgreSQL, its data dir."""
