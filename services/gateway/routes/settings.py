"""/settings: application-wide settings; everyone reads them, admins change them."""

from typing import Annotated, Any

import msgspec
from litestar import Request, Router, get, put
from msgspec import UNSET, UnsetType

from libs.structs import given
from services.gateway.auth import guards
from services.gateway.identity import settings
from services.gateway.state import Gateway, actor
from services.gateway.store.settings import AppSettings

RetentionDays = Annotated[int, msgspec.Meta(ge=1, le=365)]


class SettingsUpdate(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    dark_mode: bool | UnsetType = UNSET
    default_retention_days: RetentionDays | UnsetType = UNSET
    default_compression: bool | UnsetType = UNSET
    access_requests_enabled: bool | UnsetType = UNSET


class SettingsChanged(msgspec.Struct, frozen=True):
    message: str
    settings: AppSettings


@get("/", operation_id="getSettings", guards=[guards.viewer])
async def get_settings(gateway: Gateway) -> AppSettings:
    return await settings.get(gateway.pool)


@put("/", operation_id="updateSettings", guards=[guards.admin])
async def update_settings(
    data: SettingsUpdate, request: Request[Any, Any, Any], gateway: Gateway
) -> SettingsChanged:
    updated = await settings.update(gateway.pool, given(data), actor(request))
    return SettingsChanged(message="Settings updated", settings=updated)


router = Router(path="/settings", tags=["settings"], route_handlers=[get_settings, update_settings])
