"""Scheduler processes as users run them (`python -m lifeboat run scheduler`), on private servers,
and how the bench knows they are up: each answers a ping, one holds the lease."""

import asyncio
import contextlib
import os
import sys
import time
from dataclasses import dataclass, field
from typing import IO

import asyncpg
import msgspec
import nats
import nats.errors
from harness import ROOT, BenchError

from contracts import subjects
from contracts.rpc import Ping, Pong
from libs.db import migrate
from scheduler_load.rows import query
from services.scheduler.app import MIGRATIONS
from tests.support.servers import TestServers

PING_EVERY_SECONDS = 0.02
START_TIMEOUT = 60.0


@dataclass
class Stack:
    servers: TestServers
    logs: IO[bytes]
    processes: list[asyncio.subprocess.Process] = field(default_factory=list)
    databases: list[str] = field(default_factory=list)  # URLs, dropped at the end

    def env(self, database_url: str) -> dict[str, str]:
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("LIFEBOAT_")}
        return {
            **inherited,
            "LIFEBOAT_NATS_URL": self.servers.nats.url,
            "LIFEBOAT_DATABASE_URL": database_url,
            "LIFEBOAT_DATA_DIR": str(self.servers.root / "data"),
            "LIFEBOAT_LOG_LEVEL": "INFO",
        }

    async def new_database(self) -> str:
        url = await self.servers.new_database()
        self.databases.append(url)
        await migrate(url, "scheduler", MIGRATIONS)
        return url

    async def spawn(self, database_url: str) -> asyncio.subprocess.Process:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "lifeboat", "run", "scheduler",
            env=self.env(database_url), cwd=ROOT, stdin=asyncio.subprocess.DEVNULL,
            stdout=self.logs, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        self.processes.append(process)
        return process

    async def stop_all(self) -> None:
        for process in self.processes:
            if process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    process.terminate()
        for process in self.processes:
            try:
                await asyncio.wait_for(process.wait(), 20)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()
        self.processes.clear()

    async def drop_databases(self) -> None:
        conn = await asyncpg.connect(self.servers.postgres.url_for("postgres"))
        try:
            for url in self.databases:
                name = url.rsplit("/", 1)[1]
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()
        self.databases.clear()


def instance_pid(instance: str) -> int:
    return int(instance.rsplit(":", 1)[1])


async def ping(connection: nats.NATS) -> Pong | None:
    """One ping; the Pong, or None while no scheduler answers yet."""
    try:
        reply = await connection.request(subjects.ping("scheduler"), msgspec.json.encode(Ping()), timeout=0.5)
    except (nats.errors.NoRespondersError, nats.errors.TimeoutError):
        return None
    return msgspec.json.decode(reply.data, type=Pong)


async def wait_answering(
    connection: nats.NATS, processes: list[asyncio.subprocess.Process], timeout: float = START_TIMEOUT
) -> None:
    """Until a ping was answered by each of the processes (the queue group picks one per ping)."""
    waiting = {process.pid for process in processes}
    deadline = time.monotonic() + timeout
    while waiting:
        for process in processes:
            if process.returncode is not None:
                raise BenchError(f"scheduler {process.pid} exited with {process.returncode} while starting")
        pong = await ping(connection)
        if pong is not None:
            waiting.discard(instance_pid(pong.instance))
        elif time.monotonic() > deadline:
            raise BenchError(f"scheduler(s) {sorted(waiting)} did not answer a ping in {timeout:.0f} s")
        else:
            await asyncio.sleep(PING_EVERY_SECONDS)


async def lease_holder(url: str, timeout: float = 30.0) -> str:
    deadline = time.monotonic() + timeout
    while True:
        rows = await query(
            url,
            """SELECT holder FROM scheduler.scheduler_state
               WHERE holder IS NOT NULL AND lease_expires_at > now()""",
        )
        if rows:
            return str(rows[0]["holder"])
        if time.monotonic() > deadline:
            raise BenchError(f"no scheduler took the lease in {timeout:.0f} s")
        await asyncio.sleep(0.1)
