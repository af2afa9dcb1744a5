"""The whole stack as `make up` runs it: `lifeboat up` with embedded NATS and PostgreSQL,
seven service processes under the supervisor, on ports and a data dir of the test's own."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil
import pytest

from lifeboat.embedded import free_port

ADMIN_PASSWORD = "e2e-admin-Pa55word"


@dataclass
class Stack:
    process: subprocess.Popen[bytes]
    data_dir: Path
    output: Path
    base_url: str
    env: dict[str, str]

    def login(self, username: str = "admin", password: str = ADMIN_PASSWORD) -> httpx.Client:
        reply = httpx.post(
            f"{self.base_url}/api/v1/auth/login", json={"username": username, "password": password}
        )
        reply.raise_for_status()
        return httpx.Client(
            base_url=f"{self.base_url}/api/v1",
            timeout=30,
            headers={"Authorization": f"Bearer {reply.json()['access_token']}"},
        )

    def secret(self, name: str) -> str:
        """A password `lifeboat up` generated for its embedded servers (nats, postgres)."""
        return (self.data_dir / "secrets" / f"{name}.password").read_text().strip()

    @property
    def nats_url(self) -> str:
        return f"nats://lifeboat:{self.secret('nats')}@127.0.0.1:{self.env['LIFEBOAT_NATS_PORT']}"

    @property
    def database_url(self) -> str:
        return f"postgresql://postgres:{self.secret('postgres')}@127.0.0.1:{self.env['LIFEBOAT_POSTGRES_PORT']}/lifeboat"

    def server_process(self, name: str) -> psutil.Process:
        """The embedded `nats-server` or `postgres` (its postmaster) that `lifeboat up` started."""
        for child in psutil.Process(self.process.pid).children():
            if child.name() == {"nats": "nats-server", "postgres": "postgres"}[name]:
                return child
        raise LookupError(f"no embedded {name} runs")

    def service_process(self, name: str) -> psutil.Process:
        for child in psutil.Process(self.process.pid).children(recursive=True):
            if child.cmdline()[-2:] == ["run", name]:
                return child
        raise LookupError(f"no process runs {name}")

    def everything_logged(self) -> str:
        logs = [self.output, *(self.data_dir / "logs").glob("*.log")]
        return "\n".join(p.read_text(errors="replace") for p in logs if p.exists())


def wait_healthy(base_url: str, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    last: dict = {}
    while time.monotonic() < deadline:
        try:
            reply = httpx.get(f"{base_url}/health", timeout=5)
            last = reply.json()
            if reply.status_code == 200:
                return last
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(0.5)
    raise TimeoutError(f"stack not healthy after {timeout}s: {last}")


@contextmanager
def running_stack(
    data_dir: Path, output: Path, extra_env: Mapping[str, str] | None = None
) -> Iterator[Stack]:
    """`lifeboat up` on free ports with `data_dir` (and `extra_env` settings), in a process group
    of its own; on exit, SIGTERM to that group (as Ctrl-C in its terminal would signal it) and
    check nothing is left. The services log to `data_dir/logs/<service>.log`."""
    http_port = free_port()
    env = {
        **os.environ,
        "LIFEBOAT_DATA_DIR": str(data_dir),
        "LIFEBOAT_HTTP_PORT": str(http_port),
        "LIFEBOAT_NATS_PORT": str(free_port()),
        "LIFEBOAT_POSTGRES_PORT": str(free_port()),
        "LIFEBOAT_ADMIN_PASSWORD": ADMIN_PASSWORD,
        # a killed executor's job is taken over after this long (30 s by default)
        "LIFEBOAT_JOB_LEASE_SECONDS": "6",
        "LIFEBOAT_JOB_RETRY_SECONDS": "0.5",
        **(extra_env or {}),
    }
    for inherited in ("LIFEBOAT_NATS_URL", "LIFEBOAT_DATABASE_URL"):
        env.pop(inherited, None)
    with open(output, "ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "lifeboat", "up"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base_url = f"http://127.0.0.1:{http_port}"
    children: list[psutil.Process] = []
    try:
        wait_healthy(base_url, 150)  # generous: a loaded 2-core machine starts seven processes slowly
        children = psutil.Process(process.pid).children(recursive=True)
        yield Stack(process, data_dir, output, base_url, env)
    finally:
        with suppress(ProcessLookupError):  # the group is gone when everything in it has exited
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            for child in psutil.Process(process.pid).children(recursive=True):
                child.kill()
            process.kill()
            raise
    left = [c.pid for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE]
    assert not left, f"processes left running after SIGTERM: {left}"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    data_dir = tmp_path_factory.mktemp("lifeboat-data")
    with running_stack(data_dir, data_dir.parent / f"{data_dir.name}-output.log") as running:
        yield running
