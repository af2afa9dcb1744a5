"""Round trip per engine through the API: backup → restore into a new target → every table's
row count and ordered row hash (Redis: every key, type and value) equal the source's. Masking
through the API changes exactly the named columns."""

import uuid
from pathlib import Path

import httpx

from tests.integration.backup_fixtures import finished_backup, finished_restore
from tests.support.engine_data import (
    fill_redis,
    mariadb_database,
    mariadb_user,
    redis_server,
    sqlite_database,
)
from tests.support.fingerprint import fingerprint


async def _server(client: httpx.AsyncClient, engine: str, host: str, port: int, username, password) -> int:
    reply = await client.post(
        "/servers",
        json={
            "name": f"{engine}-{uuid.uuid4().hex[:6]}",
            "engine_type": engine,
            "host": host,
            "port": port,
            "credentials": {"username": username, "password": password},
        },
    )
    assert reply.status_code == 201, reply.text
    return int(reply.json()["id"])


async def _backup_and_restore(client: httpx.AsyncClient, database: dict, restore: dict) -> dict:
    created = await client.post("/databases", json={"name": f"db-{uuid.uuid4().hex[:6]}", **database})
    assert created.status_code in (200, 201), created.text
    queued = (await client.post(f"/databases/{created.json()['database']['id']}/backup")).json()
    backup = await finished_backup(client, queued["backup_id"])
    assert backup["status"] == "completed", backup
    accepted = await client.post(f"/backups/{backup['id']}/restore", json=restore)
    assert accepted.status_code == 202, accepted.text
    restored = await finished_restore(client, accepted.json()["restore_id"])
    assert restored["status"] == "completed", restored
    return restored


async def test_mariadb_round_trip_with_masking(backup_api):
    async with mariadb_user(f"pw-{uuid.uuid4().hex}") as login, mariadb_database() as source:
        database = {
            "database_type": "mariadb",
            "host": "127.0.0.1",
            "port": 3306,
            "username": login.username,
            "password": login.password,
            "database_name": source.database,
        }
        copy = source.with_database(f"{source.database}_copy")
        await _backup_and_restore(backup_api, database, {"target_database": copy.database})
        try:
            assert await fingerprint("mariadb", copy) == await fingerprint("mariadb", source)
            masked = source.with_database(f"{source.database}_masked")
            restored = await _backup_and_restore(
                backup_api,
                database,
                {
                    "target_database": masked.database,
                    "mask_sensitive_data": True,
                    "masking_rules": {"email": "hash", "name": {"strategy": "fixed", "value": "REDACTED"}},
                },
            )
            assert restored["masked_columns"] and all(n > 0 for n in restored["masked_columns"].values())
            before, after = await fingerprint("mariadb", source), await fingerprint("mariadb", masked)
            changed = {table for table in before if before[table] != after.get(table)}
            assert changed and all(after[t][0] == before[t][0] for t in changed)  # same rows, other values
        finally:
            await _drop_mariadb(copy.database, f"{source.database}_masked")


async def _drop_mariadb(*names: str) -> None:
    import pymysql

    connection = pymysql.connect(host="127.0.0.1", port=3306, user="root")
    try:
        with connection.cursor() as cursor:
            for name in names:
                cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
    finally:
        connection.close()


async def test_sqlite_round_trip(backup_api, tmp_path: Path):
    source = sqlite_database(tmp_path / "live.sqlite3")
    copy = source.with_database(str(tmp_path / "restored.sqlite3"))
    await _backup_and_restore(
        backup_api,
        {"database_type": "sqlite", "database_name": source.database},
        {"target_database": copy.database},
    )
    assert await fingerprint("sqlite", copy) == await fingerprint("sqlite", source)


async def test_redis_round_trip_into_an_empty_instance(backup_api, tmp_path: Path):
    with redis_server(tmp_path / "source") as source, redis_server(tmp_path / "target") as target:
        await fill_redis(source.target())
        target_server = await _server(
            backup_api, "redis", "127.0.0.1", target.port, "default", target.password
        )
        await _backup_and_restore(
            backup_api,
            {
                "database_type": "redis",
                "host": "127.0.0.1",
                "port": source.port,
                "password": source.password,
                "database_name": "0",
            },
            {"target_server_id": target_server, "target_database": "0"},
        )
        assert await fingerprint("redis", target.target()) == await fingerprint("redis", source.target())
