"""The whole stack as `make up` runs it: `lifeboat up` with embedded NATS and PostgreSQL and the
seven services under the supervisor, on ports and a data dir of its own. The e2e tests and the
benchmarks start, wait for and stop it through this module alone."""

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psutil

from libs.embedded import free_port
from tests.support.credentials import ADMIN_PASSWORD, ADMIN_USERNAME

# a killed executor's job is taken over after this long (30 s by default)
QUICK_TAKEOVER = {"LIFEBOAT_JOB_LEASE_SECONDS": "6", "LIFEBOAT_JOB_RETRY_SECONDS": "0.5"}


class StackStopped(RuntimeError):
    """`lifeboat up` exited while it was expected to run."""


@dataclass
class Stack:
    process: subprocess.Popen[bytes]
    data_dir: Path
    output: Path
    base_url: str
    env: dict[str, str]

    @property
    def admin_password(self) -> str:
        return self.env["LIFEBOAT_ADMIN_PASSWORD"]

    def login(self, username: str = ADMIN_USERNAME, password: str | None = None) -> httpx.Client:
        reply = httpx.post(
            f"{self.base_url}/api/v1/auth/login",
            json={"username": username, "password": password or self.admin_password},
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
            with contextlib.suppress(psutil.Error):
                if child.cmdline()[-2:] == ["run", name]:
                    return child
        raise LookupError(f"no process runs {name}")

    def everything_logged(self) -> str:
        logs = [self.output, *(self.data_dir / "logs").glob("*.log")]
        return "\n".join(p.read_text(errors="replace") for p in logs if p.exists())

    def output_tail(self, lines: int = 60) -> str:
        try:
            text = self.output.read_text(errors="replace").splitlines()
        except OSError:
            return "(no output)"
        return "\n".join(text[-lines:])


def wait_healthy(
    base_url: str, timeout: float, process: subprocess.Popen[bytes] | None = None
) -> dict[str, Any]:
    """Poll `/health` until it answers 200 and return its body; `TimeoutError` after `timeout`
    seconds, `StackStopped` as soon as `process` (when given) has exited."""
    deadline = time.monotonic() + timeout
    last: Any = {}
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise StackStopped(f"lifeboat up exited with {process.returncode}")
        try:
            reply = httpx.get(f"{base_url}/health", timeout=5)
            last = reply.json()
            if reply.status_code == 200:
                return dict(last)
        except (httpx.HTTPError, ValueError) as exc:
            last = last or repr(exc)
        time.sleep(0.5)
    raise TimeoutError(f"stack not healthy after {timeout}s: {last}")


def stop(process: subprocess.Popen[bytes], timeout: float = 60.0) -> bool:
    """SIGTERM `lifeboat up` (its process group, when it leads one) and wait; False (after killing
    it and its descendants) when it did not stop within `timeout` seconds."""
    if process.poll() is not None:
        return True
    try:
        descendants = psutil.Process(process.pid).children(recursive=True)
    except psutil.Error:
        descendants = []
    with contextlib.suppress(ProcessLookupError):  # the group is gone when all in it have exited
        if os.getpgid(process.pid) == process.pid:  # a group of its own: as Ctrl-C in its terminal
            os.killpg(process.pid, signal.SIGTERM)
        else:
            process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout)
        return True
    except subprocess.TimeoutExpired:
        with contextlib.suppress(psutil.Error):
            descendants += psutil.Process(process.pid).children(recursive=True)
        for child in descendants:
            with contextlib.suppress(psutil.Error):
                child.kill()
        process.kill()
        process.wait()
        return False


@contextmanager
def running_stack(
    data_dir: Path,
    output: Path,
    extra_env: Mapping[str, str] | None = None,
    *,
    cwd: Path | None = None,
    new_session: bool = True,
    healthy_within: float = 150.0,  # generous: a loaded 2-core machine starts seven processes slowly
    check_left: bool = True,
    quick_takeover: bool = True,
) -> Iterator[Stack]:
    """`lifeboat up` on free ports with `data_dir` (and `extra_env` settings), healthy; on exit,
    SIGTERM and (with `check_left`) check nothing is left. `cwd` is its working directory (`python
    -m` puts it ahead of PYTHONPATH); `new_session` (the default) gives it a process group of its
    own, which a Ctrl-C at the terminal does not reach and which the stop signals as a whole.
    `quick_takeover` shortens the job lease and retry delay, so that a killed executor's job is
    taken over within a test's patience."""
    http_port = free_port()
    env = {
        **os.environ,
        "LIFEBOAT_DATA_DIR": str(data_dir),
        "LIFEBOAT_HTTP_PORT": str(http_port),
        "LIFEBOAT_NATS_PORT": str(free_port()),
        "LIFEBOAT_POSTGRES_PORT": str(free_port()),
        "LIFEBOAT_ADMIN_PASSWORD": ADMIN_PASSWORD,
        **(QUICK_TAKEOVER if quick_takeover else {}),
        **(extra_env or {}),
    }
    for inherited in ("LIFEBOAT_NATS_URL", "LIFEBOAT_DATABASE_URL", "LIFEBOAT_STORAGE_URL"):
        if inherited not in (extra_env or {}):
            env.pop(inherited, None)
    with open(output, "ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "lifeboat", "up"], env=env, cwd=cwd, stdout=out,
            stderr=subprocess.STDOUT, start_new_session=new_session,
        )  # fmt: skip
    stack = Stack(process, data_dir, output, f"http://127.0.0.1:{http_port}", env)
    children: list[psutil.Process] = []
    try:
        wait_healthy(stack.base_url, healthy_within, process)
        children = psutil.Process(process.pid).children(recursive=True)
        yield stack
    finally:
        if not stop(process):
            raise TimeoutError("lifeboat up did not stop within 60 s of SIGTERM: killed it")
    if check_left:
        left = [c.pid for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE]
        assert not left, f"processes left running after SIGTERM: {left}"
