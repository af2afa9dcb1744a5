"""First-start work, done once before services start (by `lifeboat up`, or a deploy init step):
the master key, the JetStream streams, every service's schema, the first admin."""

import importlib
import sys
from pathlib import Path

from contracts import subjects
from contracts.envelope import Actor
from libs.bus.streams import provision_streams
from libs.config import ServiceSettings
from libs.crypto import create_keyring
from libs.db import connect, ensure_database, migrate
from services.gateway.identity import users
from services.gateway.identity.users import FirstAdmin

LOSS_WARNING = """\
A new master key was written to {path} (readable only by its owner).
Every backup and stored credential is encrypted under it: LOSING THIS FILE LOSES EVERY BACKUP.
Copy it somewhere safe, away from the backups themselves."""


def ensure_master_key(path: Path) -> bool:
    """Create the master key file if missing; True when it was created now."""
    if path.exists():
        return False
    create_keyring(path)
    print(LOSS_WARNING.format(path=path), file=sys.stderr)
    return True


async def provision(settings: ServiceSettings, admin_username: str, admin_password: str) -> FirstAdmin | None:
    ensure_master_key(settings.master_key_path)
    await provision_streams(settings.nats_url)
    await ensure_database(settings.database_url)
    for service in subjects.SERVICES:
        module = importlib.import_module(f"services.{service}.app")
        await migrate(settings.database_url, service, module.MIGRATIONS)
    return await ensure_first_admin(settings.database_url, admin_username, admin_password)


async def ensure_first_admin(database_url: str, username: str, password: str) -> FirstAdmin | None:
    """Create the first admin when there are no users; there is no default password."""
    pool = await connect(database_url, "gateway", max_size=1)
    try:
        return await users.create_first_admin(pool, username, password, actor=Actor(service="provision"))
    finally:
        await pool.close()
