"""Events of the gateway's identity context: users, sessions, access requests, settings.

No event carries a password, a password hash or a token.
"""

from typing import Any, Literal

from contracts.envelope import Event

Role = Literal["admin", "operator", "viewer"]


class _Identity(Event, frozen=True, kw_only=True):
    context = "identity"


class UserCreated(_Identity, frozen=True, kw_only=True, tag="user.created"):
    user_id: int
    username: str
    role: Role
    email: str | None = None
    full_name: str | None = None


class UserUpdated(_Identity, frozen=True, kw_only=True, tag="user.updated"):
    user_id: int
    username: str
    changes: list[str]


class UserDeleted(_Identity, frozen=True, kw_only=True, tag="user.deleted"):
    user_id: int
    username: str
    role: Role


class UserLoggedIn(_Identity, frozen=True, kw_only=True, tag="user.login"):
    user_id: int
    username: str
    source: Literal["password", "client"] = "password"


class UserLoggedOut(_Identity, frozen=True, kw_only=True, tag="user.logout"):
    user_id: int
    username: str
    source: Literal["token", "client"] = "token"


class LoginFailed(_Identity, frozen=True, kw_only=True, tag="user.login_failed"):
    username: str
    reason: Literal["bad_credentials", "inactive", "rate_limited"]


class PreferencesUpdated(_Identity, frozen=True, kw_only=True, tag="user.preferences_updated"):
    user_id: int
    username: str
    changes: dict[str, Any]


class AccessRequestCreated(_Identity, frozen=True, kw_only=True, tag="access_request.created"):
    access_request_id: int
    username: str
    requested_role: Role


class AccessRequestApproved(_Identity, frozen=True, kw_only=True, tag="access_request.approved"):
    access_request_id: int
    username: str
    role: Role
    user_id: int


class AccessRequestRejected(_Identity, frozen=True, kw_only=True, tag="access_request.rejected"):
    access_request_id: int
    username: str
    reason: str | None = None


class SettingsUpdated(_Identity, frozen=True, kw_only=True, tag="settings.updated"):
    changes: dict[str, Any]
