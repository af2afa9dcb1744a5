"""The soak's HTTP client: logs in again when the token expires and tallies every answer, so
the report can say what the API answered while processes were being killed."""

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.support.credentials import ADMIN_PASSWORD
from tests.support.stack import Stack

NO_ANSWER = "no answer"  # the gateway was not there: refused or dropped the connection


@dataclass
class Answers:
    """Status codes seen (or NO_ANSWER), shared by threads. A 5xx other than 503 is an answer
    the API must never give, not even with half the platform down: each is kept as evidence."""

    counts: Counter[str] = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, what: str, outcome: str, body: str = "") -> None:
        with self.lock:
            self.counts[outcome] += 1
            if outcome.isdigit() and int(outcome) >= 500 and outcome != "503":
                self.server_errors.append(f"{what} → {outcome} {body[:200]}")


class SoakApi:
    """One thread's client. `call` never raises when the gateway is missing: it answers None."""

    def __init__(self, stack: Stack, answers: Answers) -> None:
        self._stack = stack
        self._answers = answers
        self._client: httpx.Client | None = None

    def _login(self) -> httpx.Client | None:
        credentials = {"username": "admin", "password": ADMIN_PASSWORD}
        what = "POST /auth/login"
        try:
            reply = httpx.post(f"{self._stack.base_url}/api/v1/auth/login", json=credentials, timeout=30)
        except httpx.HTTPError:
            self._answers.record(what, NO_ANSWER)
            return None
        self._answers.record(what, str(reply.status_code), reply.text)
        if reply.status_code != 200:
            return None
        token = reply.json()["access_token"]
        self._client = httpx.Client(
            base_url=f"{self._stack.base_url}/api/v1",
            timeout=30,
            headers={"Authorization": f"Bearer {token}"},
        )
        return self._client

    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response | None:
        reply = self._send(method, path, kwargs)
        if reply is not None and reply.status_code == 401:  # the access token expired: log in again
            self.close()
            reply = self._send(method, path, kwargs)
        if reply is not None:
            self._answers.record(f"{method} {path}", str(reply.status_code), reply.text)
        return reply

    def _send(self, method: str, path: str, kwargs: dict[str, Any]) -> httpx.Response | None:
        client = self._client or self._login()
        if client is None:
            return None
        try:
            return client.request(method, path, **kwargs)
        except httpx.HTTPError:
            self.close()
            self._answers.record(f"{method} {path}", NO_ANSWER)
            return None

    def call_until(self, method: str, path: str, timeout: float, **kwargs: Any) -> httpx.Response:
        """The first 2xx within `timeout` seconds (retrying 503s and a missing gateway)."""
        deadline = time.monotonic() + timeout
        while True:
            reply = self.call(method, path, **kwargs)
            if reply is not None and reply.is_success:
                return reply
            if reply is not None and reply.status_code not in (502, 503, 504) or time.monotonic() > deadline:
                detail = reply.text if reply is not None else NO_ANSWER
                raise AssertionError(f"{method} {path} did not succeed: {detail}")
            time.sleep(1)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
