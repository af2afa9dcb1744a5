"""A schedule's fire enters the catalog here and becomes backups by the same path as a manual
request, tagged `triggered_by: scheduler`. Each fire is applied once (its event id derives from
its fire key) and each backup it creates carries a unique fire key of its own."""

from typing import Any

import asyncpg
import msgspec

from contracts.backups import CreateBackup
from contracts.envelope import Actor
from contracts.events import FireHandled, ScheduleFired
from libs.bus.consumer import apply_once, consume
from libs.bus.outbox import emit
from libs.bus.streams import EVENTS
from libs.errors import Refused
from services.catalog import store
from services.catalog.backup_handlers import PRODUCER, BackupHandlers

CONSUMER = "catalog-fires"
SCHEDULER = Actor(service="scheduler")


async def targets(
    conn: asyncpg.Connection, fire: ScheduleFired
) -> tuple[list[CreateBackup], dict[str, Any] | None, str | None]:
    """The backups a fire asks for, the server they run on, and why there are none, if none."""
    server = await store.get_server(conn, fire.server_id) if fire.server_id is not None else None
    if fire.server_id is not None and server is None:
        return [], None, f"server {fire.server_id} no longer exists"
    common = {"triggered_by": "scheduler", "actor": SCHEDULER, "correlation_id": fire.fire_key}
    if fire.database_id is not None:
        database = await store.get_database(conn, fire.database_id)
        if database is None:
            return [], server, f"database {fire.database_id} no longer exists"
        return [CreateBackup(database_id=database["id"], **common)], server, None
    if fire.database_name:
        return (
            [CreateBackup(server_id=fire.server_id, database_name=fire.database_name, **common)],
            server,
            None,
        )
    assert server is not None
    rows = await conn.fetch(
        "SELECT id FROM databases WHERE server_id = $1 AND enabled ORDER BY id", server["id"]
    )
    if not rows:
        return [], server, f"no enabled database is configured on server '{server['name']}'"
    return [CreateBackup(database_id=r["id"], **common) for r in rows], server, None


class ScheduleFires:
    def __init__(self, pool: asyncpg.Pool, backups: BackupHandlers) -> None:
        self.pool = pool
        self.backups = backups

    def bind(self, broker: Any) -> None:
        consume(
            broker,
            stream=EVENTS,
            subject=ScheduleFired.subject(),
            durable=CONSUMER,
            handle=self.handle,
        )

    async def handle(self, body: bytes) -> None:
        fire = msgspec.json.decode(body, type=ScheduleFired)
        await apply_once(self.pool, CONSUMER, fire.id, lambda conn: self.apply(conn, fire))

    async def apply(self, conn: asyncpg.Connection, fire: ScheduleFired) -> None:
        requests, server, reason = await targets(conn, fire)
        skipped = False
        if server is not None and fire.only_when_running and server["health_status"] != "healthy":
            requests, skipped = [], True
            reason = (
                f"server '{server['name']}' is {server['health_status']}, and the schedule runs only "
                "when its server is healthy (only_when_running)"
            )
        backup_ids, problems = [], []
        for request in requests:
            key = f"{fire.fire_key}/{request.database_id or request.database_name}"
            if await conn.fetchval("SELECT id FROM backups WHERE fire_key = $1", key):
                continue
            try:
                accepted = await self.backups.request_backup(
                    conn, request, schedule_id=fire.schedule_id, fire_key=key
                )
            except Refused as exc:
                problems.append(exc.detail)
                continue
            backup_ids.append(accepted.id)
        await emit(
            conn,
            FireHandled(
                fire_id=fire.fire_id,
                fire_key=fire.fire_key,
                schedule_id=fire.schedule_id,
                backup_ids=backup_ids,
                skipped=skipped,
                reason=reason or ("; ".join(problems) if problems else None),
                producer=PRODUCER,
                actor=SCHEDULER,
                correlation_id=fire.fire_key,
            ),
        )
