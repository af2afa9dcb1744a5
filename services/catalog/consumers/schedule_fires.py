"""A schedule's fire enters the catalog here and becomes backups by the same path as a manual
request, tagged `triggered_by: scheduler`. Each fire is applied once (its event id derives from
its fire key) and each backup it creates carries a unique fire key of its own."""

import asyncpg
import msgspec
from msgspec.structs import replace

from contracts.backups import CreateBackup
from contracts.envelope import Actor
from contracts.events import FireHandled, ScheduleFired
from libs.bus.consumer import apply_once
from libs.bus.outbox import Outbox
from libs.errors import Refused
from services.catalog.handlers.backups import BackupHandlers
from services.catalog.store.backups import fire_key_taken
from services.catalog.store.databases import enabled_database_ids, get_database
from services.catalog.store.rows import ServerRow
from services.catalog.store.servers import get_server

SCHEDULER = Actor(service="scheduler")


async def targets(
    conn: asyncpg.Connection, fire: ScheduleFired
) -> tuple[list[CreateBackup], ServerRow | None, str | None]:
    """The backups a fire asks for, the server they run on, and why there are none, if none."""
    server = await get_server(conn, fire.server_id) if fire.server_id is not None else None
    if fire.server_id is not None and server is None:
        return [], None, f"server {fire.server_id} no longer exists"
    scheduled = CreateBackup(triggered_by="scheduler", actor=SCHEDULER, correlation_id=fire.fire_key)
    if fire.database_id is not None:
        database = await get_database(conn, fire.database_id)
        if database is None:
            return [], server, f"database {fire.database_id} no longer exists"
        return [replace(scheduled, database_id=database.id)], server, None
    if fire.database_name:
        named = replace(scheduled, server_id=fire.server_id, database_name=fire.database_name)
        return [named], server, None
    assert server is not None
    ids = await enabled_database_ids(conn, server.id)
    if not ids:
        return [], server, f"no enabled database is configured on server '{server.name}'"
    return [replace(scheduled, database_id=i) for i in ids], server, None


class ScheduleFires:
    durable = "catalog-fires"  # the durable consumer, and what its processed events are kept under

    def __init__(self, pool: asyncpg.Pool, outbox: Outbox, backups: BackupHandlers) -> None:
        self.pool = pool
        self.outbox = outbox
        self.backups = backups

    async def handle(self, body: bytes) -> None:
        fire = msgspec.json.decode(body, type=ScheduleFired)
        await apply_once(self.pool, self.durable, fire.id, lambda conn: self.apply(conn, fire))

    async def apply(self, conn: asyncpg.Connection, fire: ScheduleFired) -> None:
        requests, server, reason = await targets(conn, fire)
        skipped = False
        if server is not None and fire.only_when_running and server.health_status != "healthy":
            requests, skipped = [], True
            reason = (
                f"server '{server.name}' is {server.health_status}, and the schedule runs only "
                "when its server is healthy (only_when_running)"
            )
        backup_ids, problems = [], []
        for request in requests:
            key = f"{fire.fire_key}/{request.database_id or request.database_name}"
            if await fire_key_taken(conn, key):
                continue
            try:
                accepted = await self.backups.request_backup(
                    conn, request, schedule_id=fire.schedule_id, fire_key=key
                )
            except Refused as exc:
                problems.append(exc.detail)
                continue
            backup_ids.append(accepted.id)
        handled = FireHandled(
            fire_id=fire.fire_id,
            fire_key=fire.fire_key,
            schedule_id=fire.schedule_id,
            backup_ids=backup_ids,
            skipped=skipped,
            reason=reason or ("; ".join(problems) if problems else None),
            actor=SCHEDULER,
            correlation_id=fire.fire_key,
        )
        await self.outbox.emit(conn, handled)
