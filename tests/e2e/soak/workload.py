"""What the soak backs up and how: small SQLite files and a small pgbench database on the
machine's PostgreSQL (127.0.0.1:5432), registered with a policy that keeps every backup (so
any artifact that disappears was lost, not expired), and a backup requested every few seconds."""

import contextlib
import threading
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

from tests.e2e.soak.api import NO_ANSWER, SoakApi
from tests.support.engine_data import pgbench_database, sqlite_database

SETUP_TIMEOUT = 120


@dataclass(frozen=True)
class Source:
    """A database as the API's POST /databases takes it (minus its name and policy)."""

    name: str
    fields: dict[str, object]


@contextlib.asynccontextmanager
async def sources(sqlite_dir: Path, sqlite_files: int = 2) -> AsyncIterator[list[Source]]:
    """The soak's databases; the PostgreSQL one is dropped afterwards."""
    sqlite_dir.mkdir(parents=True, exist_ok=True)
    files = [sqlite_database(sqlite_dir / f"soak-{i}.sqlite3") for i in range(sqlite_files)]
    async with pgbench_database(scale=3) as pg:  # a dump of ~1 s: kills catch it running
        local = {"host": pg.host, "port": pg.port, "username": pg.username, "password": "unused-trust"}
        yield [
            *(
                Source(f"sqlite-{i}", {"database_type": "sqlite", "database_name": f.database})
                for i, f in enumerate(files)
            ),
            Source("pgbench", {"database_type": "postgresql", "database_name": pg.database, **local}),
        ]


def register(api: SoakApi, found: list[Source]) -> list[int]:
    """A keep-everything policy and the databases that use it; their ids."""
    policy = api.call_until(
        "POST",
        "/retention-policies",
        SETUP_TIMEOUT,
        json={"name": f"soak keeps all {uuid.uuid4().hex[:6]}", "keep_last_n": 100_000},
    ).json()
    ids = []
    for source in found:
        body = {"name": f"soak-{source.name}", "policy_id": policy["id"], **source.fields}
        created = api.call_until("POST", "/databases", SETUP_TIMEOUT, json=body).json()
        ids.append(int(created["database"]["id"]))
    return ids


@dataclass
class Requests:
    """Backups requested through the API: accepted ids, and refusals by what was answered."""

    accepted: list[int] = field(default_factory=list)
    refused: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def run(
        self, api: SoakApi, database_ids: list[int], every: float, until: float, stop: threading.Event
    ) -> None:
        """One backup per `every` seconds, round robin over the databases; between requests the
        newest accepted backup is read back, so the API is also asked while services are down."""
        turn = 0
        while not stop.is_set() and time.monotonic() < until:
            started = time.monotonic()
            reply = api.call("POST", f"/databases/{database_ids[turn % len(database_ids)]}/backup")
            turn += 1
            with self.lock:
                if reply is not None and reply.status_code == 202:
                    self.accepted.append(int(reply.json()["backup_id"]))
                else:
                    self.refused[str(reply.status_code) if reply is not None else NO_ANSWER] += 1
            while not stop.is_set() and time.monotonic() < min(until, started + every):
                if self.accepted:
                    api.call("GET", f"/backups/{self.accepted[-1]}")
                stop.wait(1)
