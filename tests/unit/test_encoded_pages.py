"""The gateway passes list pages on as the catalog encoded them: the body a client receives is
byte for byte what decoding each item into its view and encoding it again produced."""

from datetime import UTC, datetime, timedelta

import msgspec
from litestar.serialization import encode_json

from contracts.backups import BackupPage, BackupView
from contracts.catalog import ServerPage, ServerView
from services.gateway.encoded import EncodedPage, as_views
from services.gateway.routes.backups import BackupList

AT = datetime(2024, 3, 31, 1, 30, 5, 123456, tzinfo=UTC)


def _backup(n: int) -> BackupView:
    done = n % 2 == 0
    return BackupView(
        id=n, job_id=f"00000000-0000-0000-0000-{n:012d}", server_id=n, engine_id=n,
        engine_name="prod \"main\" ünïcode\u2028", database_id=None, database_name=f"db{n}",
        database_alias=None, db_type="postgresql", database_type="postgresql", backup_type="full",
        status="completed" if done else "failed", triggered_by="manual", size_bytes=2**62 + n,
        file_size_bytes=2**62 + n, plain_size_bytes=None, storage_path=None,
        blob_name=f"postgresql/x/db{n}/b{n}.pgdump" if done else None, destination="default",
        file_format="pgdump", is_encrypted=True, is_compressed=True, compression_type="zstd",
        encryption_algorithm="AES-256-GCM", checksum="sha256:" + "ab" * 32, tool_version="16.2",
        started_at=AT, completed_at=AT + timedelta(seconds=n, microseconds=7),
        duration_seconds=0.1 + 0.2 * n, error_message=None if done else "connection refused\n\t",
        error_cause=None, attempts=n, verified=done, verification_date=None,
        verification={"ok": done, "checks": [1.5, None, "x", {"nested": [True]}], "ratio": 1e-7},
        tier=None, retention_until=AT.astimezone(UTC), restore_count=0, last_restore_date=None,
        created_at=AT,
    )  # fmt: skip


def _server(n: int) -> ServerView:
    return ServerView(
        id=n, name=f"srv-{n}", description=None if n % 2 else "a \\ b", type="vm", environment="prod",
        engine_type="mysql", host="10.0.0.1", port=3306, auth_method="password", username="root",
        has_password=True, has_ssh_key=False, discovery_enabled=True, database_count=n,
        tags={"team": "db", "ünï": "\u0001"}, health_status="unknown", last_heartbeat=None,
        created_at=AT, updated_at=AT + timedelta(days=n),
    )  # fmt: skip


def test_a_backup_page_reaches_the_client_as_re_encoding_it_would():
    wire = msgspec.json.encode(BackupPage(items=[_backup(n) for n in range(7)], total=70))

    def listed(items: list[object], total: int) -> bytes:
        return encode_json(
            BackupList(total=total, items=items, count=len(items), limit=7, offset=0, has_more=True)  # type: ignore[arg-type]
        )

    decoded = msgspec.json.decode(wire, type=BackupPage)
    passed = msgspec.json.decode(wire, type=EncodedPage)
    assert listed(as_views(passed.items), passed.total) == listed(list(decoded.items), decoded.total)


def test_a_server_page_reaches_the_client_as_re_encoding_it_would():
    wire = msgspec.json.encode(ServerPage(items=[_server(n) for n in range(5)], total=5))
    decoded = msgspec.json.decode(wire, type=ServerPage)
    passed = msgspec.json.decode(wire, type=EncodedPage)
    assert encode_json(as_views(passed.items)) == encode_json(decoded.items)
    assert passed.total == decoded.total == 5
