"""Scheduler processes for tests: real `lifeboat run scheduler` processes whose notion of time is
a file the test moves forward, so no test waits for real minutes to pass."""

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg

from services.scheduler.clock import set_time


class Schedulers:
    """Scheduler processes sharing one database, one NATS and one file clock."""

    def __init__(self, settings: Any, clock_file: Path, logs: Path, **extra: str) -> None:
        self.clock_file = clock_file
        self.logs = logs
        self.database_url = settings.database_url
        self.nats_url = settings.nats_url
        self.env = {
            **os.environ,
            "LIFEBOAT_NATS_URL": settings.nats_url,
            "LIFEBOAT_DATABASE_URL": settings.database_url,
            "LIFEBOAT_DATA_DIR": settings.data_dir,
            "LIFEBOAT_LOG_LEVEL": "INFO",
            "LIFEBOAT_SCHEDULER_CLOCK_FILE": str(clock_file),
            "LIFEBOAT_SCHEDULER_TICK_SECONDS": "0.2",
            "LIFEBOAT_SCHEDULER_LEASE_SECONDS": "3",
            **extra,
        }
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self) -> subprocess.Popen[bytes]:
        with open(self.logs, "ab") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "lifeboat", "run", "scheduler"],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.processes.append(process)
        return process

    def set_time(self, instant: datetime) -> None:
        set_time(self.clock_file, instant)

    async def query(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        conn = await asyncpg.connect(self.database_url)
        try:
            return list(await conn.fetch(sql, *args))
        finally:
            await conn.close()

    async def holder_pid(self) -> int | None:
        try:
            rows = await self.query(
                "SELECT holder FROM scheduler.scheduler_state"
                " WHERE lease_expires_at > now() AND holder IS NOT NULL"
            )
        except asyncpg.UndefinedTableError:
            return None  # not migrated yet
        return int(rows[0]["holder"].rsplit(":", 1)[1]) if rows else None

    async def until(self, check: Callable[[], Any], timeout: float = 60.0, what: str = "condition") -> Any:
        deadline = time.monotonic() + timeout
        while True:
            value = await check()
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(f"{what} not reached in {timeout}s (last: {value!r})")
            await asyncio.sleep(0.1)

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()


@contextmanager
def schedulers(settings: Any, tmp_path: Path, start: datetime, **extra: str) -> Iterator[Schedulers]:
    group = Schedulers(settings, tmp_path / "clock", tmp_path / "schedulers.log", **extra)
    group.set_time(start)
    try:
        yield group
    finally:
        group.stop_all()
