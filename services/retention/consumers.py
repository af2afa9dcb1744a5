"""What the retention service follows: a backup that completed or was verified has its database
re-evaluated, once the catalog has recorded the outcome."""

import msgspec

from contracts.backups import GetBackup
from contracts.events import BackupCompleted, BackupVerified
from contracts.operations.catalog import Catalog
from libs.bus import rpc
from libs.bus.broker import Broker
from libs.bus.consumer import NotYet
from libs.errors import Refused
from services.retention.domain.history import recorded
from services.retention.evaluation import RETENTION, Evaluator

_outcomes = msgspec.json.Decoder(BackupCompleted | BackupVerified)


class BackupOutcomes:
    def __init__(self, broker: Broker, evaluator: Evaluator) -> None:
        self.broker = broker
        self.evaluator = evaluator

    async def handle(self, body: bytes) -> None:
        """A completed or verified backup: re-evaluate its database once the catalog recorded it."""
        try:
            event = _outcomes.decode(body)
        except msgspec.ValidationError:
            return  # other backup events change nothing retention decides on
        try:
            ref = GetBackup(actor=RETENTION, backup_id=event.backup_id)
            backup = await rpc.call(self.broker, Catalog.get_backup, ref)
        except Refused:
            return  # deleted meanwhile
        if not recorded(backup, event):
            raise NotYet(f"the catalog has not recorded backup {backup.id}'s outcome yet")
        if backup.database_id is not None:
            await self.evaluator.evaluate(backup.database_id)
