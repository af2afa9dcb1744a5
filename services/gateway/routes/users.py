"""/users: accounts, managed by admins; /users/me: the caller's own profile and preferences."""

from typing import Annotated, Any

import msgspec
from litestar import Request, Router, delete, get, post, put
from litestar.params import Parameter
from msgspec import UNSET, UnsetType

from contracts.events.identity import Role
from libs.structs import given
from services.gateway import accounts
from services.gateway.auth import guards
from services.gateway.identity import users
from services.gateway.routes.fields import (
    Email,
    FullName,
    Offset,
    Password,
    PathId,
    SearchText,
    Username,
    UserStatus,
)
from services.gateway.state import CurrentUser, Gateway, actor
from services.gateway.views import Message, ProfileView, UserView, profile_view, user_view

PageSize = Annotated[int, msgspec.Meta(ge=10, le=100)]


class UserCreate(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    username: Username
    password: Password
    email: Email | None = None
    full_name: FullName | None = None
    role: Role = "viewer"


class UserUpdate(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    email: Email | None | UnsetType = UNSET
    full_name: FullName | None | UnsetType = UNSET
    role: Role | UnsetType = UNSET
    is_active: bool | UnsetType = UNSET
    password: Password | UnsetType = UNSET


class PreferencesUpdate(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    dark_mode: bool | UnsetType = UNSET
    page_size: PageSize | UnsetType = UNSET


class UserPage(msgspec.Struct, frozen=True):
    users: list[UserView]
    total: int


class UserReply(msgspec.Struct, frozen=True):
    user: UserView


class UserChanged(msgspec.Struct, frozen=True):
    message: str
    user: UserView


class Profile(msgspec.Struct, frozen=True):
    user: ProfileView
    is_first_run: bool


class Preferences(msgspec.Struct, frozen=True):
    dark_mode: bool
    page_size: int


class PreferencesChanged(msgspec.Struct, frozen=True):
    message: str
    user: Preferences


@get("/", operation_id="listUsers", guards=[guards.admin])
async def list_users(
    gateway: Gateway,
    role: Role | None = None,
    status: UserStatus | None = None,
    search: SearchText = None,
    limit: Annotated[int, Parameter(ge=1, le=500)] = 50,
    offset: Offset = 0,
) -> UserPage:
    found, total = await users.page(
        gateway.pool, role=role, status=status, search=search, limit=limit, offset=offset
    )
    return UserPage(users=[user_view(u) for u in found], total=total)


@post("/", operation_id="createUser", guards=[guards.admin])
async def create_user(data: UserCreate, request: Request[Any, Any, Any], gateway: Gateway) -> UserChanged:
    user = await users.create(
        gateway.pool,
        username=data.username,
        password=data.password,
        role=data.role,
        email=data.email,
        full_name=data.full_name,
        actor=actor(request),
    )
    return UserChanged(message="User created", user=user_view(user))


@get("/{user_id:int}", operation_id="getUser", guards=[guards.admin])
async def get_user(user_id: PathId, gateway: Gateway) -> UserReply:
    return UserReply(user=user_view(await users.existing(gateway.pool, user_id)))


@put("/{user_id:int}", operation_id="updateUser", guards=[guards.admin])
async def update_user(
    user_id: PathId, data: UserUpdate, request: Request[Any, Any, Any], gateway: Gateway
) -> UserChanged:
    me: CurrentUser = request.scope["user"]
    user = await users.update(gateway.pool, user_id, given(data), me_id=me.id, actor=actor(request))
    return UserChanged(message="User updated", user=user_view(user))


@delete("/{user_id:int}", operation_id="deleteUser", guards=[guards.admin], status_code=200)
async def delete_user(user_id: PathId, request: Request[Any, Any, Any], gateway: Gateway) -> Message:
    me: CurrentUser = request.scope["user"]
    user = await users.delete(gateway.pool, user_id, me_id=me.id, actor=actor(request))
    return Message(message=f"User '{user.username}' deleted")


@get("/me", operation_id="getMyProfile", guards=[guards.viewer])
async def my_profile(request: Request[Any, Any, Any], gateway: Gateway) -> Profile:
    user = await users.existing(gateway.pool, request.scope["user"].id)
    return Profile(user=profile_view(user), is_first_run=accounts.is_first_run(user))


@put("/me/preferences", operation_id="updateMyPreferences", guards=[guards.viewer])
async def update_preferences(
    data: PreferencesUpdate, request: Request[Any, Any, Any], gateway: Gateway
) -> PreferencesChanged:
    user = await users.update_preferences(gateway.pool, request.scope["user"].id, given(data), actor(request))
    return PreferencesChanged(
        message="Preferences updated", user=Preferences(dark_mode=user.dark_mode, page_size=user.page_size)
    )


router = Router(
    path="/users",
    tags=["users"],
    route_handlers=[
        list_users,
        create_user,
        get_user,
        update_user,
        delete_user,
        my_profile,
        update_preferences,
    ],
)
