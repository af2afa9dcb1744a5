"""The audit's pure rules: events to records, and a hash chain that shows any tampering."""

import uuid
from datetime import UTC, datetime

import msgspec

from contracts.envelope import Actor
from contracts.events import LoginFailed, ServerCreated
from services.audit import domain as chain
from services.audit.domain import GENESIS, ChainCheck, ChainedRow


def _server_created(n: int = 1) -> ServerCreated:
    return ServerCreated(
        server_id=n, name=f"db-{n}", engine_type="postgresql", host="10.0.0.5", port=5432,
        producer="catalog", actor=Actor(user_id=1, username="admin", ip_address="127.0.0.1"),
    )


def _chain(count: int) -> list[ChainedRow]:
    rows, prev = [], GENESIS
    for n in range(1, count + 1):
        record = chain.record_from_event(msgspec.json.encode(_server_created(n)))
        digest = chain.link(prev, record)
        rows.append(ChainedRow(n, record, prev, digest))
        prev = digest
    return rows


def test_a_server_created_event_becomes_a_record_of_who_did_what_to_which_server():
    event = _server_created(42)
    record = chain.record_from_event(msgspec.json.encode(event))
    assert (record.action, record.resource_type, record.resource_id) == ("server_created", "server", 42)
    assert (record.resource_name, record.status, record.error_message) == ("db-42", "success", None)
    assert (record.user_id, record.username, record.ip_address) == (1, "admin", "127.0.0.1")
    assert (record.event_id, record.event_type, record.occurred_at) == (event.id, "server.created",
                                                                         event.occurred_at)
    assert record.details == {"name": "db-42", "engine_type": "postgresql", "host": "10.0.0.5",
                              "port": 5432, "environment": None, "has_credentials": False}


def test_a_failed_login_is_a_failed_record_naming_the_attempted_user_and_the_reason():
    event = LoginFailed(username="mallory", reason="bad_credentials", producer="gateway",
                        actor=Actor(ip_address="10.1.2.3"))
    record = chain.record_from_event(msgspec.json.encode(event))
    assert (record.action, record.resource_type, record.resource_id) == ("user_login_failed", "user", None)
    assert (record.status, record.error_message, record.resource_name) == ("failed", "bad_credentials",
                                                                            "mallory")
    assert (record.user_id, record.username, record.ip_address) == (None, None, "10.1.2.3")
    assert record.details == {"username": "mallory", "reason": "bad_credentials"}


def test_an_event_type_no_one_knows_yet_is_still_recorded_by_the_conventions():
    event_id = uuid.uuid4()
    body = msgspec.json.encode({
        "type": "backup.failed", "id": str(event_id).upper(), "occurred_at": "2030-01-01T02:00:00+02:00",
        "producer": "executor", "actor": {"service": "executor"}, "correlation_id": "c-1",
        "backup_id": 7, "database": "app", "error": "disk full",
    })
    record = chain.record_from_event(body)
    assert (record.action, record.resource_type, record.resource_id) == ("backup_failed", "backup", 7)
    assert (record.status, record.error_message) == ("failed", "disk full")
    assert (record.user_id, record.username) == (None, "executor")
    assert record.event_id == str(event_id)
    assert record.occurred_at == datetime(2030, 1, 1, tzinfo=UTC)
    assert record.details == {"database": "app", "error": "disk full"}


def test_an_untouched_chain_verifies_whole_and_in_batches():
    rows = _chain(5)
    assert chain.verify(rows, head=(5, rows[-1].hash)) == (True, None, 5)
    check = ChainCheck()
    assert check.feed(rows[:2]) and check.feed(rows[2:])
    assert check.verdict((5, rows[-1].hash)) == (True, None, 5)
    assert chain.verify([], head=(None, GENESIS)) == (True, None, 0)


def test_a_changed_detail_breaks_the_chain_at_that_row():
    rows = _chain(5)
    record = rows[2].record
    forged = msgspec.structs.replace(record, details={**record.details, "host": "evil"})
    rows[2] = rows[2]._replace(record=forged)
    assert chain.verify(rows) == (False, 3, 2)


def test_a_deleted_middle_row_breaks_the_chain_at_the_next_row():
    rows = _chain(5)
    del rows[2]
    assert chain.verify(rows) == (False, 4, 2)


def test_a_reordered_pair_breaks_the_chain():
    rows = _chain(5)
    rows[1], rows[2] = rows[2], rows[1]
    assert chain.verify(rows) == (False, 3, 1)
    swapped = _chain(5)
    # Same ids, contents exchanged: what an UPDATE of both rows would leave behind.
    swapped[1], swapped[2] = swapped[2]._replace(id=2), swapped[1]._replace(id=3)
    assert chain.verify(swapped) == (False, 2, 1)


def test_deleted_newest_rows_are_caught_by_the_head():
    rows = _chain(5)
    assert chain.verify(rows[:3], head=(5, rows[-1].hash)) == (False, 5, 3)


def test_actions_and_resource_types_cover_the_known_events_with_labels():
    actions = {choice.value: choice.label for choice in chain.actions()}
    assert actions["server_created"] == "Server Created"
    assert actions["user_login_failed"] == "User Login Failed"
    assert actions["access_request_approved"] == "Access Request Approved"
    types = {choice.value: choice.label for choice in chain.resource_types()}
    assert types["access_request"] == "Access Request" and types["server"] == "Server"
