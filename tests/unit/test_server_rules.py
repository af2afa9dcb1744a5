from datetime import UTC, datetime

import pytest

from contracts.catalog import CreateServer, SealedCredentials, UpdateServer
from contracts.secrets import SealedSecret
from libs.errors import Refused
from services.catalog.domain import servers
from services.catalog.store.rows import ServerRow

SEALED = SealedSecret(key_id="k", nonce="n", ciphertext="c")


def _current(**overrides):
    row = {
        "id": 1,
        "name": "db",
        "description": None,
        "type": "vm",
        "environment": None,
        "engine_type": "postgresql",
        "host": "h",
        "port": 5432,
        "auth_method": "none",
        "username": None,
        "sealed_credentials": {},
        "discovery_enabled": True,
        "tags": {},
        "health_status": "unknown",
        "last_heartbeat": None,
        "created_at": datetime.now(UTC),
        "updated_at": datetime.now(UTC),
    }
    return servers.view(ServerRow(**{**row, **overrides}))


def test_port_defaults_by_engine_and_auth_follows_credentials():
    values = servers.new_server_values(CreateServer(name=" cache ", host="h", engine_type="redis"))
    assert (values["name"], values["port"], values["auth_method"]) == ("cache", 6379, "none")
    with_password = servers.new_server_values(
        CreateServer(name="db", host="h", credentials=SealedCredentials(username="u", password=SEALED))
    )
    assert with_password["auth_method"] == "user_password"
    assert with_password["sealed_credentials"] == {
        "password": {"key_id": "k", "nonce": "n", "ciphertext": "c"}
    }


def test_user_password_auth_needs_a_username_and_a_password():
    with pytest.raises(Refused) as refused:
        servers.new_server_values(
            CreateServer(
                name="db", host="h", auth_method="user_password", credentials=SealedCredentials(username="u")
            )
        )
    assert refused.value.field == "credentials.password" and refused.value.status == 422


def test_update_changes_only_given_fields_and_follows_an_engine_change():
    changes = servers.changed_values(UpdateServer(server_id=1, engine_type="mysql"), _current())
    assert changes == {"engine_type": "mysql", "port": 3306}
    assert servers.changed_values(UpdateServer(server_id=1, engine_type="mysql", port=3307), _current()) == {
        "engine_type": "mysql",
        "port": 3307,
    }
    with pytest.raises(Refused):
        servers.changed_values(UpdateServer(server_id=1, auth_method="user_password"), _current())


def test_view_never_carries_sealed_material():
    view = _current(sealed_credentials={"password": {"key_id": "k", "nonce": "n", "ciphertext": "c"}})
    assert view.has_password and not view.has_ssh_key
    assert "ciphertext" not in repr(view)
