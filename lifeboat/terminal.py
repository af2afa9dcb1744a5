"""What `lifeboat up` tells the person who started it: a few plain lines, never log records.

Where things are first (data, logs, servers), then one line per service as it answers, then the
address, the first admin's password (only on the start that created the admin) and how to stop;
later, one line when a process exits or is restarted, and the steps of the stop."""

import sys
from pathlib import Path

from libs.runtime import VERSION
from lifeboat.provision import FirstAdmin

WIDTH = 10  # the longest process name, "postgres"/"scheduler"/"retention", and a space


def say(line: str) -> None:
    print(line, flush=True)


def warn(line: str) -> None:
    print(f"lifeboat: {line}", file=sys.stderr, flush=True)


def starting(data: Path, logs: Path | None) -> None:
    say(f"Lifeboat {VERSION} is starting")
    say(f"  {'data':<{WIDTH}}{data}")
    say(f"  {'logs':<{WIDTH}}{logs}/<service>.log" if logs else f"  {'logs':<{WIDTH}}on this console")


def server_up(name: str, url_without_login: str, log: Path) -> None:
    say(f"  {name:<{WIDTH}}up    {url_without_login}, log {log}")


def service_up(name: str, pid: int | None, log: Path | None) -> None:
    where = f", log {log}" if log else ""
    say(f"  {name:<{WIDTH}}up    pid {pid}{where}" if pid else f"  {name:<{WIDTH}}up{where}")


def ready(base_url: str) -> None:
    say(f"Lifeboat is up: {base_url}/api/v1 (API docs at {base_url}/api/v1/schema)")


def first_admin(admin: FirstAdmin) -> None:
    if admin.generated_password:
        say(f"  first admin {admin.username!r}, password: {admin.generated_password}")
        say("  This password is shown once. Change it after logging in.")
    else:
        say(f"  first admin {admin.username!r}, with the password from LIFEBOAT_ADMIN_PASSWORD")


def how_to_stop() -> None:
    say("Stop with Ctrl-C: the services stop first, then PostgreSQL and NATS.")


def not_up_yet(waiting: list[str], base_url: str) -> None:
    warn(f"still waiting for {', '.join(waiting)}; see their logs and {base_url}/health")


def exited(name: str, why: str, delay: float, log: Path | None) -> None:
    see = f" (see {log})" if log else ""
    warn(f"{name} {why}; restarting in {delay:.0f}s{see}")


def restarted(name: str, pid: int | None) -> None:
    warn(f"{name} restarted" + (f", pid {pid}" if pid else ""))
