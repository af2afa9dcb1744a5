"""First start: streams, schemas, master key and one admin — with no default password."""

from pathlib import Path

from libs.config import ServiceSettings
from libs.crypto import load_keyring
from libs.db import connect
from lifeboat.provision import provision
from services.gateway.auth.passwords import verify_password
from services.gateway.store import users


async def test_first_start_creates_one_admin_with_a_random_password_and_later_starts_keep_it(
    servers, database_url, tmp_path: Path
):
    settings = ServiceSettings(nats_url=servers.nats.url, database_url=database_url, data_dir=str(tmp_path))
    first = await provision(settings, admin_username="", admin_password="")
    assert first is not None and first.username == "admin"
    assert first.generated_password and len(first.generated_password) >= 20
    keyring = load_keyring(tmp_path / "master.key")
    assert (tmp_path / "master.key").stat().st_mode & 0o777 == 0o600

    again = await provision(settings, admin_username="other", admin_password="chosen-password")
    assert again is None, "an existing installation gets no second admin"
    assert load_keyring(tmp_path / "master.key") == keyring, "the master key is never replaced"

    pool = await connect(database_url, "gateway")
    try:
        assert await users.count(pool) == 1
        admin, password_hash = await users.password_hash_of(pool, "admin")
        assert admin is not None and admin.role == "admin"
        assert verify_password(password_hash, first.generated_password)
        schemas = {r["nspname"] for r in await pool.fetch("SELECT nspname FROM pg_namespace")}
        assert {"gateway", "catalog", "audit", "scheduler", "executor", "retention", "notifier"} <= schemas
    finally:
        await pool.close()
