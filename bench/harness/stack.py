"""Lifeboat as a user runs it (`lifeboat up`, started and stopped by tests.support.stack, the same
code the e2e tests use), and its HTTP API as a benchmark drives it."""

import contextlib
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psutil

from harness.common import ROOT, BenchError
from tests.support.stack import Stack, StackStopped, running_stack

POLL_SECONDS = 0.1
JOB_TIMEOUT = 3 * 3600.0
TERMINAL = {"completed", "failed", "cancelled"}


@contextlib.contextmanager
def lifeboat_up(work: Path, extra_env: dict[str, str] | None = None) -> Iterator[Stack]:
    """`lifeboat up` in `work`, healthy; `extra_env` adds variables (e.g. PYTHONPATH of another tree).

    It runs with `work` as its working directory and this tree on PYTHONPATH unless `extra_env`
    names another: `python -m` puts the working directory ahead of PYTHONPATH, so a stack started
    from this tree's folder would run this tree's code whatever PYTHONPATH said. It runs in a
    session of its own: Ctrl-C reaches only the benchmark, which stops Lifeboat with SIGTERM."""
    data_dir = work / "lifeboat-data"
    data_dir.mkdir()
    env = {
        "LIFEBOAT_ADMIN_PASSWORD": "bench-" + secrets.token_urlsafe(16),
        "LIFEBOAT_LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
        **(extra_env or {}),
    }
    output = work / "lifeboat-up.log"
    healthy = False
    try:
        with running_stack(
            data_dir, output, env, cwd=work, new_session=True, healthy_within=180,
            check_left=False, quick_takeover=False,
        ) as stack:  # fmt: skip
            healthy = True
            yield stack
    except (StackStopped, TimeoutError) as exc:
        if healthy:
            raise
        raise BenchError(f"lifeboat up: {exc}; its log:\n{_tail(output)}") from None


def _tail(output: Path, lines: int = 60) -> str:
    try:
        return "\n".join(output.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def executor(stack: Stack) -> psutil.Process:
    try:
        return stack.service_process("executor")
    except (LookupError, psutil.Error):
        raise BenchError("no executor process (cmdline ending 'run executor') under lifeboat up") from None


class Api:
    """The HTTP API, logging in again when the access token expires (a run outlasts it)."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.client = httpx.Client(base_url=f"{stack.base_url}/api/v1", timeout=60)
        self.login()

    def login(self) -> None:
        reply = self.client.post(
            "/auth/login", json={"username": "admin", "password": self.stack.admin_password}
        )
        if reply.status_code != 200:
            raise BenchError(f"login failed: {reply.status_code} {reply.text}")
        self.client.headers["Authorization"] = f"Bearer {reply.json()['access_token']}"

    def call(self, method: str, path: str, body: object = None, ok: tuple[int, ...] = (200, 201, 202)) -> Any:
        reply = self.client.request(method, path, json=body)
        if reply.status_code == 401:
            self.login()
            reply = self.client.request(method, path, json=body)
        if reply.status_code not in ok:
            raise BenchError(f"{method} /api/v1{path} -> {reply.status_code}: {reply.text}")
        return reply.json()

    def poll(self, path: str) -> tuple[dict[str, Any], float]:
        """GET `path` every 0.1 s until its status is terminal; the body and when it was read."""
        deadline = time.monotonic() + JOB_TIMEOUT
        while time.monotonic() < deadline:
            try:
                body = self.call("GET", path)
            except (httpx.TransportError, BenchError) as exc:  # a slow RPC answers 503: ask again
                if isinstance(exc, BenchError) and " -> 503" not in str(exc):
                    raise
                time.sleep(POLL_SECONDS)
                continue
            if body.get("status") in TERMINAL:
                return body, time.perf_counter()
            time.sleep(POLL_SECONDS)
        raise BenchError(f"{path} not finished after {JOB_TIMEOUT:.0f} s")
