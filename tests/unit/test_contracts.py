from pathlib import Path

import msgspec

from contracts import subjects
from contracts.events import ALL_EVENTS, ServerCreated
from contracts.export import schemas

SCHEMA_DIR = Path(__file__).parents[2] / "contracts" / "schemas"


def test_checked_in_json_schemas_match_the_event_types():
    expected = schemas()
    on_disk = {p.name: p.read_bytes() for p in SCHEMA_DIR.glob("*.json")}
    assert set(on_disk) == set(expected), "run `make schemas` and commit contracts/schemas"
    drifted = [name for name, body in expected.items() if on_disk[name] != body]
    assert not drifted, f"schemas drifted from contracts (run `make schemas`): {drifted}"


def test_every_event_has_a_unique_tag_and_a_subject_on_the_events_stream():
    tags = [cls.type_name() for cls in ALL_EVENTS]
    assert len(tags) == len(set(tags))
    for cls in ALL_EVENTS:
        assert cls.subject().startswith("lb.evt.") and cls.subject().count(".") == 4


def test_an_event_round_trips_with_its_envelope():
    event = ServerCreated(server_id=1, name="db", engine_type="postgresql", host="h", port=5432)
    decoded = msgspec.json.decode(msgspec.json.encode(event), type=ServerCreated)
    assert decoded == event and decoded.id and decoded.occurred_at.tzinfo is not None
    assert subjects.rpc("catalog", "get_server") == "lb.rpc.catalog.get_server"


def test_every_operation_has_a_request_type_of_its_own_and_its_services_subject():
    from contracts.operations import operations_of
    from contracts.operations.services import BY_NAME

    seen: dict[type, str] = {}
    for name, service in BY_NAME.items():
        for operation in operations_of(service):
            assert operation.subject == f"lb.rpc.{name}.{operation.name}"
            if operation.name == "ping":
                continue
            assert operation.request not in seen, (
                f"{operation} shares {operation.request.__name__} with {seen.get(operation.request)}"
            )
            seen[operation.request] = repr(operation)
    assert len(seen) > 50
