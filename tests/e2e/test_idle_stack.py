"""An idle, healthy stack logs no error, and a SIGTERM to `lifeboat up`'s process group stops it
in order: every service stops cleanly (it still records that it stopped, over NATS and in
PostgreSQL), then the embedded PostgreSQL and NATS shut down."""

import json
import time

import psutil
import pytest

from contracts import subjects
from tests.support.stack import running_stack

pytestmark = pytest.mark.e2e

IDLE_SECONDS = 180  # FastStream's pull loop used to log its ERROR within this on every start


def _alarming(line: str) -> bool:
    if "Traceback" in line:
        return True
    try:
        entry = json.loads(line)
    except ValueError:
        return False
    return isinstance(entry, dict) and entry.get("level") in {"error", "critical"}


def test_an_idle_stack_logs_no_error_and_stops_services_before_servers(tmp_path):
    data = tmp_path / "data"
    with running_stack(data, tmp_path / "output.log") as stack:
        servers = {name: stack.server_process(name) for name in ("nats", "postgres")}
        time.sleep(IDLE_SECONDS)
        assert stack.process.poll() is None, "lifeboat up stopped while idle"
    assert stack.process.returncode == 0, "SIGTERM to the process group stops the stack cleanly"
    assert not [n for n, p in servers.items() if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]

    logs = data / "logs"
    found = {}
    for service in subjects.SERVICES:
        log = logs / f"{service}.log"
        assert log.exists(), f"{service} has no log file in {logs}"
        found[service] = log.read_text(errors="replace")
    alarming = [
        f"{name}: {line[:2000]}"
        for name, text in found.items()
        for line in text.splitlines()
        if _alarming(line)
    ]
    assert not alarming, "\n".join(alarming)
    unstopped = [name for name, text in found.items() if '"message":"service stopped"' not in text]
    assert not unstopped, f"these services did not stop cleanly: {unstopped}"
    assert "database system is shut down" in (logs / "postgres.log").read_text(errors="replace")
    assert "Server Exiting" in (logs / "nats.log").read_text(errors="replace")
