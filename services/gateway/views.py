"""Response shapes shared by several route modules."""

from datetime import datetime

import msgspec

from services.gateway.store.access_requests import AccessRequest
from services.gateway.store.users import User


class UserView(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    username: str
    email: str | None
    full_name: str | None
    name: str | None
    role: str
    status: str
    is_active: bool
    last_login: datetime | None
    created_at: datetime
    updated_at: datetime


def user_view(user: User) -> UserView:
    return UserView(
        id=user.id,
        username=user.username,
        email=user.email,
        full_name=user.full_name,
        name=user.full_name or user.username,
        role=user.role,
        status=user.status,
        is_active=user.status == "active",
        last_login=user.last_login,
        created_at=user.created_at,
        updated_at=user.updated_at,
    )


class ProfileView(UserView, frozen=True, kw_only=True):
    """The caller's own account, with their preferences."""

    dark_mode: bool
    page_size: int


def profile_view(user: User) -> ProfileView:
    return ProfileView(
        **msgspec.structs.asdict(user_view(user)), dark_mode=user.dark_mode, page_size=user.page_size
    )


class AccessRequestView(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    username: str
    email: str | None
    name: str
    requested_role: str
    status: str
    message: str | None
    reason: str | None
    created_at: datetime
    decided_at: datetime | None


def access_request_view(request: AccessRequest) -> AccessRequestView:
    return AccessRequestView(
        id=request.id,
        username=request.username,
        email=request.email,
        name=request.full_name or request.username,
        requested_role=request.requested_role,
        status=request.status,
        message=request.message,
        reason=request.reason,
        created_at=request.created_at,
        decided_at=request.decided_at,
    )


class Message(msgspec.Struct, frozen=True):
    message: str
