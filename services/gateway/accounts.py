"""Rules for user accounts and settings, as pure functions of data."""

from typing import Any

from services.gateway.store.users import User

# Stored column → the request field a client knows it by; events name request fields.
FIELD_OF_COLUMN = {"status": "is_active", "password_hash": "password"}


def is_active_admin(role: str, status: str) -> bool:
    return role == "admin" and status == "active"


def changed(current: Any, given: dict[str, Any]) -> dict[str, Any]:
    """The entries of `given` that differ from the attributes of `current`."""
    return {k: v for k, v in given.items() if getattr(current, k) != v}


def user_changes(current: User, given: dict[str, Any]) -> dict[str, Any]:
    """The columns an update really changes; `is_active` is stored as `status`, and a new
    password hash always counts as a change."""
    wanted = dict(given)
    if "is_active" in wanted:
        wanted["status"] = "active" if wanted.pop("is_active") else "disabled"
    password_hash = wanted.pop("password_hash", None)
    changes = changed(current, wanted)
    if password_hash is not None:
        changes["password_hash"] = password_hash
    return changes


def changed_fields(changes: dict[str, Any]) -> list[str]:
    """What an update changed, by field name only: events never carry a password or its hash."""
    return sorted(FIELD_OF_COLUMN.get(column, column) for column in changes)


def update_refusal(me_id: int, target: User, changes: dict[str, Any], active_admins: int) -> str | None:
    """Why this update must not happen, or None. `active_admins` counts the target too."""
    role, status = changes.get("role", target.role), changes.get("status", target.status)
    stays_admin = is_active_admin(role, status)
    if target.id == me_id and not stays_admin:
        return "you cannot demote or disable yourself"
    if is_active_admin(target.role, target.status) and not stays_admin and active_admins <= 1:
        return f"{target.username!r} is the last active admin"
    return None


def deletion_refusal(me_id: int, target: User, active_admins: int) -> str | None:
    if target.id == me_id:
        return "you cannot delete yourself"
    if is_active_admin(target.role, target.status) and active_admins <= 1:
        return f"{target.username!r} is the last active admin"
    return None


def is_first_run(user: User) -> bool:
    return user.login_count <= 1
