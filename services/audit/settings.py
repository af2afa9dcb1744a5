"""Settings of the audit (`LIFEBOAT_*` like every setting)."""

from libs.config import ServiceSettings


class AuditSettings(ServiceSettings, frozen=True, kw_only=True):
    """The audit needs nothing beyond what every service does: NATS, PostgreSQL, its data dir."""
