"""Live progress: an authenticated WebSocket receives `backup_progress` and a `notification`
for a running backup; an unauthenticated one is closed. Bad input is refused and changes nothing."""

import asyncio
import json

import pytest
import websockets

from tests.integration.backup_fixtures import add_postgres_database, finished_backup


def _ws_url(client) -> str:
    return str(client.base_url).replace("http", "ws", 1).rstrip("/") + "/ws"


async def test_websocket_carries_progress_and_a_notification(backup_api, pgbench_database):
    database_id = await add_postgres_database(backup_api, pgbench_database)
    token = backup_api.headers["Authorization"].split()[1]
    messages: list[dict] = []
    async with websockets.connect(_ws_url(backup_api)) as socket:
        await socket.send(json.dumps({"type": "auth", "token": token}))
        assert json.loads(await socket.recv())["type"] == "connected"
        backup_id = (await backup_api.post(f"/databases/{database_id}/backup")).json()["backup_id"]

        async def collect() -> None:
            async for raw in socket:
                messages.append(json.loads(raw))
                if messages[-1]["type"] == "notification":
                    return

        await asyncio.wait_for(collect(), 90)
    ours = [
        m
        for m in messages
        if m.get("backup_id") == backup_id or m.get("details", {}).get("backup_id") == backup_id
    ]
    progress = [m for m in ours if m["type"] == "backup_progress"]
    assert progress and progress[-1]["status"] == "completed" and progress[-1]["progress"] == 100
    assert any(m["status"] == "in_progress" and m["bytes_processed"] > 0 for m in progress[:-1]), progress
    assert ours[-1]["type"] == "notification" and ours[-1]["level"] == "info"
    assert (await finished_backup(backup_api, backup_id))["status"] == "completed"


async def test_websocket_without_a_valid_token_is_closed(backup_api):
    async with websockets.connect(_ws_url(backup_api) + "?token=not-a-token") as socket:
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await socket.recv()
    assert closed.value.rcvd.code == 4401


@pytest.mark.parametrize(
    ("path", "body", "status", "field"),
    [
        ("/backups", {"database_name": "x"}, 422, "server_id"),
        ("/backups", {"server_id": 999999, "database_name": "x"}, 422, "server_id"),
        ("/backups", {"server_id": 1, "compression_type": "rar"}, 422, "compression_type"),
        ("/databases/999999/backup", None, 404, None),
        ("/backups/999999/restore", {"target_database": "x"}, 404, None),
        ("/backups/999999/verify", {}, 404, None),
    ],
)
async def test_bad_backup_requests_are_refused_and_change_nothing(backup_api, path, body, status, field):
    reply = await backup_api.post(path, json=body) if body is not None else await backup_api.post(path)
    assert reply.status_code == status, reply.text
    assert "code" in reply.json() and "timestamp" in reply.json()
    if field:
        assert field in reply.text
    assert (await backup_api.get("/backups")).json()["total"] == 0
