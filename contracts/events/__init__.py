"""Every domain event, and the tagged union a consumer decodes them with."""

from contracts.events.catalog import (
    DatabaseCreated,
    DatabaseDeleted,
    DatabaseUpdated,
    ServerCreated,
    ServerDeleted,
    ServerUpdated,
)
from contracts.events.identity import (
    AccessRequestApproved,
    AccessRequestCreated,
    AccessRequestRejected,
    LoginFailed,
    PreferencesUpdated,
    SettingsUpdated,
    UserCreated,
    UserDeleted,
    UserLoggedIn,
    UserLoggedOut,
    UserUpdated,
)
from contracts.events.system import ServiceStarted, ServiceStopped

ALL_EVENTS: tuple[type, ...] = (
    UserCreated,
    UserUpdated,
    UserDeleted,
    UserLoggedIn,
    UserLoggedOut,
    LoginFailed,
    PreferencesUpdated,
    AccessRequestCreated,
    AccessRequestApproved,
    AccessRequestRejected,
    SettingsUpdated,
    ServerCreated,
    ServerUpdated,
    ServerDeleted,
    DatabaseCreated,
    DatabaseUpdated,
    DatabaseDeleted,
    ServiceStarted,
    ServiceStopped,
)

__all__ = [
    "ALL_EVENTS",
    "AccessRequestApproved",
    "AccessRequestCreated",
    "AccessRequestRejected",
    "DatabaseCreated",
    "DatabaseDeleted",
    "DatabaseUpdated",
    "LoginFailed",
    "PreferencesUpdated",
    "ServerCreated",
    "ServerDeleted",
    "ServerUpdated",
    "ServiceStarted",
    "ServiceStopped",
    "SettingsUpdated",
    "UserCreated",
    "UserDeleted",
    "UserLoggedIn",
    "UserLoggedOut",
    "UserUpdated",
]
