"""Response shapes shared by several route modules."""

from datetime import datetime

import msgspec

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
        id=user.id, username=user.username, email=user.email, full_name=user.full_name,
        name=user.full_name or user.username, role=user.role, status=user.status,
        is_active=user.status == "active", last_login=user.last_login,
        created_at=user.created_at, updated_at=user.updated_at,
    )


class Message(msgspec.Struct, frozen=True):
    message: str
