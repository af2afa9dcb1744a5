"""`kill -9` of the embedded NATS, and separately of the embedded PostgreSQL, in the middle of a
backup: `lifeboat up` starts it again on the same port with its data, the services ride it out,
the backup ends `completed` and verifies, and every API call made meanwhile answered 200 or 503
(saying what is down) — never 500."""

import threading
import time
from collections import Counter
from collections.abc import Callable

import httpx
import pytest

from tests.e2e.test_backup_crash import _register, big_database  # noqa: F401 (a fixture)
from tests.support.stack import Stack, wait_healthy

pytestmark = pytest.mark.e2e
POLLED = ["/backups/{id}", "/servers", "/health"]


class Poller:
    """GET each of POLLED every 0.2 s, each path in a thread of its own so that one slow answer
    hides no other, and count the answers until stopped."""

    def __init__(self, stack: Stack, token: str, backup_id: int) -> None:
        self.base_url = stack.base_url
        self.token = token
        self.paths = [p.format(id=backup_id) for p in POLLED]
        self.answers: Counter[tuple[str, int | str]] = Counter()
        self.unavailable_details: set[str] = set()
        self.done = threading.Event()
        self.threads = [threading.Thread(target=self._poll, args=(p,), daemon=True) for p in self.paths]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def stop(self) -> None:
        self.done.set()
        for thread in self.threads:
            thread.join(30)

    def _poll(self, path: str) -> None:
        url = path if path == "/health" else f"/api/v1{path}"
        headers = {"Authorization": self.token}
        with httpx.Client(base_url=self.base_url, headers=headers, timeout=20) as client:
            while not self.done.is_set():
                try:
                    reply = client.get(url)
                except httpx.HTTPError as exc:
                    self.answers[(path, type(exc).__name__)] += 1
                else:
                    self.answers[(path, reply.status_code)] += 1
                    if reply.status_code == 503:
                        self.unavailable_details.add(_what_is_down(reply.json()))
                time.sleep(0.2)


def _what_is_down(body: dict) -> str:
    if "dependencies" in body:
        return "health: " + ",".join(d["name"] for d in body["dependencies"] if d["status"] != "up")
    return body.get("detail", "")


def _wait_for(api: httpx.Client, backup_id: int, done: Callable[[dict], bool], timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        reply = api.get(f"/backups/{backup_id}")
        if reply.status_code == 200 and done(reply.json()):
            return reply.json()
        time.sleep(0.3)
    raise TimeoutError(f"backup {backup_id} is not done after {timeout} s: {reply.text}")


@pytest.mark.parametrize("server", ["nats", "postgres"])
def test_a_killed_embedded_server_comes_back_and_the_backup_completes(
    stack: Stack,
    big_database: str,  # noqa: F811
    server: str,
):
    api = stack.login()
    database = _register(stack, f"outage-{server}", big_database)
    backup_id = api.post(f"/databases/{database['id']}/backup").json()["backup_id"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status = api.get(f"/backups/{backup_id}/status").json()
        if status["status"] == "in_progress" and (status.get("bytes_processed") or 0) > 4 * 1024 * 1024:
            break
        time.sleep(0.05)
    assert status["status"] == "in_progress", f"the dump did not get going: {status}"

    poller = Poller(stack, api.headers["Authorization"], backup_id)
    poller.start()
    victim = stack.server_process(server)
    killed_at = time.monotonic()
    victim.kill()
    wait_healthy(stack.base_url, 120)
    recovered = time.monotonic() - killed_at
    replacement = stack.server_process(server)
    assert replacement.pid != victim.pid

    backup = _wait_for(api, backup_id, lambda b: b["status"] in ("completed", "failed"), 180)
    poller.stop()
    print(f"\n{server}: healthy {recovered:.1f} s after kill -9; answers {dict(poller.answers)}")
    print(f"{server}: 503s said {sorted(poller.unavailable_details)}")
    assert backup["status"] == "completed", backup
    assert api.post(f"/backups/{backup_id}/verify").status_code in (200, 201, 202)
    assert _wait_for(api, backup_id, lambda b: b["verification"] is not None, 90)["verified"] is True

    wrong = {answer: n for answer, n in poller.answers.items() if answer[1] not in (200, 503)}
    assert not wrong, f"while {server} was down the API answered {wrong}"
    logged = stack.everything_logged()
    leaked = [name for name in ("nats", "postgres") if stack.secret(name) in logged]
    assert not leaked, f"the {leaked} password is in a log"
    if server == "postgres":  # (a short NATS outage can pass unseen: clients buffer requests meanwhile)
        assert "health: database" in poller.unavailable_details, poller.unavailable_details
