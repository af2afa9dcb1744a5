"""The audit's rules as pure functions: what an event means as an audit record, how records are
chained by hash, and how a chain is checked."""

import hashlib
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, NamedTuple

import msgspec

from contracts.audit import Choice
from contracts.envelope import Envelope
from contracts.events import ALL_EVENTS

GENESIS = "0" * 64
ENVELOPE_FIELDS = frozenset(Envelope.__struct_fields__)
NAME_FIELDS = ("name", "username", "service")
ERROR_FIELDS = ("error", "reason")
BIGINT = range(-(2**63), 2**63)


class AuditRecord(msgspec.Struct, frozen=True, kw_only=True):
    """What one event says, as the audit keeps it. Every field is covered by the row's hash."""

    event_id: str
    event_type: str
    action: str
    resource_type: str
    resource_id: int | None
    resource_name: str | None
    user_id: int | None
    username: str | None
    ip_address: str | None
    status: str
    error_message: str | None
    details: dict[str, Any]
    occurred_at: datetime


class ChainedRow(NamedTuple):
    id: int
    record: AuditRecord
    prev_hash: str
    hash: str


class Verdict(NamedTuple):
    ok: bool
    first_broken_id: int | None
    checked: int


def action_of(event_type: str) -> str:
    return event_type.replace(".", "_")


def record_from_event(body: bytes) -> AuditRecord:
    """Map any event, known or not, to a record: the envelope says who and when, the tag says
    what, and the rest of the payload becomes the details."""
    envelope = msgspec.json.decode(body, type=Envelope)
    payload = msgspec.json.decode(body, type=dict[str, Any])
    resource_type = envelope.type.split(".", 1)[0]
    id_field = f"{resource_type}_id"
    resource_id = payload.get(id_field)
    if not _is_bigint(resource_id):
        resource_id = None
    failed = envelope.type.endswith(("_failed", ".failed", ".refused"))
    actor = envelope.actor
    return AuditRecord(
        # Normalised as PostgreSQL returns them, so a row read back hashes as it did when written.
        event_id=str(uuid.UUID(envelope.id)),
        event_type=envelope.type,
        action=action_of(envelope.type),
        resource_type=resource_type,
        resource_id=resource_id,
        resource_name=_first_text(payload, NAME_FIELDS),
        user_id=actor.user_id,
        username=actor.username or actor.service,
        ip_address=actor.ip_address,
        status="failed" if failed else "success",
        error_message=_first_text(payload, ERROR_FIELDS) if failed else None,
        details={
            key: value for key, value in payload.items()
            if key not in ENVELOPE_FIELDS and not (key == id_field and resource_id is not None)
        },
        occurred_at=_utc(envelope.occurred_at),
    )


def link(prev_hash: str, record: AuditRecord) -> str:
    """The hash of `record` chained to the hash of the record before it."""
    canonical = msgspec.json.encode(record, order="sorted")
    return hashlib.sha256(prev_hash.encode() + canonical).hexdigest()


class ChainCheck:
    """Checks a chain fed in id order, batch by batch, so a long log need not fit in memory."""

    def __init__(self) -> None:
        self.last_id: int | None = None
        self.last_hash = GENESIS
        self.checked = 0
        self.first_broken_id: int | None = None

    def feed(self, rows: Iterable[ChainedRow]) -> bool:
        """Check more rows; False once the chain is broken."""
        if self.first_broken_id is not None:
            return False
        for row in rows:
            if row.prev_hash != self.last_hash or link(self.last_hash, row.record) != row.hash:
                self.first_broken_id = row.id
                return False
            self.last_id, self.last_hash = row.id, row.hash
            self.checked += 1
        return True

    def verdict(self, head: tuple[int | None, str] | None = None) -> Verdict:
        """The result; given the recorded head (last id, last hash), a chain that stops short of
        it — its newest rows deleted — is broken at the head's id."""
        intact = self.first_broken_id is None
        if intact and head is not None and head != (self.last_id, self.last_hash):
            return Verdict(False, head[0], self.checked)
        return Verdict(self.first_broken_id is None, self.first_broken_id, self.checked)


def verify(rows: Iterable[ChainedRow], head: tuple[int | None, str] | None = None) -> Verdict:
    check = ChainCheck()
    check.feed(rows)
    return check.verdict(head)


def label(value: str) -> str:
    return value.replace("_", " ").title()


def actions() -> list[Choice]:
    values = sorted({action_of(cls.type_name()) for cls in ALL_EVENTS})  # type: ignore[attr-defined]
    return [Choice(value=value, label=label(value)) for value in values]


def resource_types() -> list[Choice]:
    values = sorted({cls.type_name().split(".", 1)[0] for cls in ALL_EVENTS})  # type: ignore[attr-defined]
    return [Choice(value=value, label=label(value)) for value in values]


def _is_bigint(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value in BIGINT


def _first_text(payload: dict[str, Any], fields: tuple[str, ...]) -> str | None:
    texts = (payload[f] for f in fields if isinstance(payload.get(f), str) and payload[f])
    return next(texts, None)


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
