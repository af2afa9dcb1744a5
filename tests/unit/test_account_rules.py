from datetime import UTC, datetime

from services.gateway import accounts
from services.gateway.store.users import User

NOW = datetime.now(UTC)


def _user(user_id: int = 2, role: str = "admin", status: str = "active", login_count: int = 0) -> User:
    return User(id=user_id, username=f"u{user_id}", email=None, full_name=None, role=role,
                status=status, dark_mode=False, page_size=25, login_count=login_count,
                last_login=None, created_at=NOW, updated_at=NOW)


def test_update_changes_map_is_active_to_status_and_always_count_a_new_password():
    changes = accounts.user_changes(_user(), {"is_active": False, "role": "admin",
                                              "password_hash": "h"})
    assert changes == {"status": "disabled", "password_hash": "h"}
    assert accounts.changed_fields(changes) == ["is_active", "password"]


def test_admins_cannot_demote_or_disable_themselves():
    me = _user(user_id=1)
    assert accounts.update_refusal(1, me, {"role": "viewer"}, active_admins=3)
    assert accounts.update_refusal(1, me, {"status": "disabled"}, active_admins=3)
    assert accounts.update_refusal(1, me, {"full_name": "x"}, active_admins=1) is None
    assert accounts.deletion_refusal(1, me, active_admins=3)


def test_the_last_active_admin_stays():
    last = _user(user_id=2)
    assert "last active admin" in (accounts.update_refusal(1, last, {"role": "viewer"}, 1) or "")
    assert "last active admin" in (accounts.deletion_refusal(1, last, 1) or "")
    assert accounts.update_refusal(1, last, {"role": "viewer"}, 2) is None
    assert accounts.deletion_refusal(1, _user(role="admin", status="disabled"), 1) is None


def test_first_run_is_the_first_login():
    assert accounts.is_first_run(_user(login_count=1))
    assert not accounts.is_first_run(_user(login_count=2))
