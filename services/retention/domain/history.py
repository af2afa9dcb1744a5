"""What retention reads from a database's history (the catalog's answer): the facts the plan
decides on, the schedules that made the backups, and the policy chosen for the database."""

from dataclasses import dataclass

from contracts.backups import BackupView
from contracts.events import BackupCompleted, BackupVerified
from contracts.retention import History
from services.retention.domain import rules

# What a held database is planned with: only the newest is kept by a rule, the rest are held.
HOLDING = rules.Policy()


@dataclass(frozen=True, slots=True)
class Choice:
    """The policy retention applies to one database; `hold` says why nothing may be deleted."""

    policy_id: int | None
    policy: rules.Policy
    hold: str | None = None


def facts(history: History) -> list[rules.BackupFacts]:
    return [
        rules.BackupFacts(
            id=b.id,
            created_at=b.created_at,
            status=b.status,
            verified_ok=b.verified_ok,
            schedule_id=b.schedule_id,
        )
        for b in history.backups
    ]


def makers(history: History) -> list[int]:
    """The schedules that made the database's backups, the newest backup's schedule first."""
    return list(dict.fromkeys(b.schedule_id for b in history.backups if b.schedule_id is not None))


def recorded(backup: BackupView, event: BackupCompleted | BackupVerified) -> bool:
    """Whether the catalog has applied `event` yet (the executor's event can overtake it)."""
    if isinstance(event, BackupCompleted):
        return backup.status == "completed"
    return backup.verification is not None
