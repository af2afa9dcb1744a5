"""`lifeboat backup now <database>`: start a backup through the API and follow it with a
progress bar fed by the WebSocket (polling `/backups/{id}/status` if the socket is not there).

The API address comes from `--url` or LIFEBOAT_API_URL; the login from LIFEBOAT_TOKEN, or
LIFEBOAT_USERNAME with LIFEBOAT_PASSWORD (asked for when unset) — never from arguments, which
every user of the machine can read in the process list."""

import asyncio
import contextlib
import getpass
import json
import os
import sys
from typing import Any

import httpx
import websockets
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TransferSpeedColumn,
)

DONE = {"completed", "failed", "cancelled"}


class CliError(Exception):
    pass


async def _login(client: httpx.AsyncClient) -> str:
    if token := os.environ.get("LIFEBOAT_TOKEN"):
        return token
    username = os.environ.get("LIFEBOAT_USERNAME", "admin")
    password = os.environ.get("LIFEBOAT_PASSWORD") or getpass.getpass(f"Password for {username}: ")
    reply = await client.post("/auth/login", json={"username": username, "password": password})
    if reply.status_code != 200:
        raise CliError(f"login failed: {reply.json().get('detail', reply.text)}")
    return str(reply.json()["access_token"])


async def _database_id(client: httpx.AsyncClient, database: str) -> int:
    if database.isdigit():
        return int(database)
    reply = await client.get("/databases", params={"search": database, "limit": 500})
    reply.raise_for_status()
    matches = [d for d in reply.json()["databases"] if database in (d["name"], d["database_name"])]
    if len(matches) != 1:
        raise CliError(f"{len(matches)} databases match {database!r}; give its id")
    return int(matches[0]["id"])


async def backup_now(url: str, database: str) -> int:
    async with httpx.AsyncClient(base_url=url.rstrip("/") + "/api/v1", timeout=30) as client:
        token = await _login(client)
        client.headers["Authorization"] = f"Bearer {token}"
        database_id = await _database_id(client, database)
        updates: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        listener = asyncio.create_task(_listen(url, token, updates))
        await asyncio.sleep(0.2)  # subscribe before the first progress can be sent
        reply = await client.post(f"/databases/{database_id}/backup")
        if reply.status_code != 202:
            listener.cancel()
            raise CliError(f"backup refused: {reply.json().get('detail', reply.text)}")
        backup_id = int(reply.json()["backup_id"])
        try:
            status = await _follow(client, backup_id, updates)
        finally:
            listener.cancel()
        backup = (await client.get(f"/backups/{backup_id}")).json()
        if status == "completed":
            print(f"backup {backup_id} completed: {backup['size_bytes']} bytes at {backup['storage_path']}")
            return 0
        print(f"backup {backup_id} {status}: {backup.get('error_message')}", file=sys.stderr)
        return 1


async def _listen(url: str, token: str, updates: asyncio.Queue[dict[str, Any]]) -> None:
    address = url.replace("http", "ws", 1).rstrip("/") + "/api/v1/ws"
    with contextlib.suppress(Exception):
        async with websockets.connect(address) as socket:
            await socket.send(json.dumps({"type": "auth", "token": token}))
            async for raw in socket:
                updates.put_nowait(json.loads(raw))


async def _follow(client: httpx.AsyncClient, backup_id: int, updates: asyncio.Queue[dict[str, Any]]) -> str:
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, transient=False) as bar:
        task = bar.add_task(f"backup {backup_id}: pending", total=None)
        while True:
            with contextlib.suppress(TimeoutError):
                message = await asyncio.wait_for(updates.get(), 1.0)
                if message.get("type") == "backup_progress" and message.get("backup_id") == backup_id:
                    bar.update(
                        task,
                        completed=message.get("bytes_processed") or 0,
                        total=message.get("total_bytes"),
                        description=f"backup {backup_id}: {message.get('phase') or message['status']}",
                    )
                    if message["status"] in DONE:
                        return str(message["status"])
                continue
            status = (await client.get(f"/backups/{backup_id}/status")).json()  # no news for 1 s: ask
            if status["status"] in DONE:
                bar.update(task, description=f"backup {backup_id}: {status['status']}")
                return str(status["status"])
            bar.update(
                task,
                completed=status.get("bytes_processed") or 0,
                total=status.get("total_bytes"),
                description=f"backup {backup_id}: {status.get('current_phase')}",
            )


def main(url: str, database: str) -> None:
    try:
        sys.exit(asyncio.run(backup_now(url, database)))
    except (CliError, httpx.HTTPError) as exc:
        sys.exit(f"lifeboat: {exc}")
