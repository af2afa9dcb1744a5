"""`lifeboat up`: embedded NATS and PostgreSQL (unless given), provisioning, and the seven
services as separate OS processes. Everything it started is restarted when it exits — the
embedded servers on the same ports with the same data dir and passwords, the services with
the same environment — and everything is stopped together on Ctrl-C/SIGTERM.

The embedded servers authenticate: their passwords are generated once into 0600 files under
`<data dir>/secrets/` and reach the services only in LIFEBOAT_NATS_URL/LIFEBOAT_DATABASE_URL."""

import asyncio
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field

from contracts import subjects
from libs import config
from lifeboat.credentials import generated_secret
from lifeboat.embedded import EmbeddedPostgres, NatsServer
from lifeboat.provision import provision
from services.gateway.settings import GatewaySettings


class UpSettings(GatewaySettings, frozen=True, kw_only=True):
    nats_port: int = 14222
    postgres_port: int = 15432


@dataclass
class Child:
    """One process `lifeboat up` keeps running; `launch` starts it (and may raise if it fails to)."""

    name: str
    launch: Callable[[], subprocess.Popen[bytes] | None]
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    restarts: int = 0
    next_start: float = 0.0

    def start(self) -> None:
        self.started_at = time.monotonic()
        self.process = self.launch()

    def backoff(self) -> float:
        """Restart at once after a long healthy run; otherwise back off 1, 2, 4 … 30 s."""
        if time.monotonic() - self.started_at > 60:
            self.restarts = 0
        self.restarts += 1
        return float(min(30, 2 ** (self.restarts - 1)))


def service(name: str, env: dict[str, str]) -> Child:
    return Child(name, lambda: subprocess.Popen([sys.executable, "-m", "lifeboat", "run", name], env=env))


@dataclass
class Stack:
    settings: UpSettings
    children: list[Child] = field(default_factory=list)
    servers: list[Child] = field(default_factory=list)
    nats: NatsServer | None = None
    postgres: EmbeddedPostgres | None = None
    stopping: bool = False

    def start_servers(self) -> dict[str, str]:
        data = self.settings.data_path
        data.mkdir(parents=True, exist_ok=True)
        (data / "logs").mkdir(exist_ok=True)
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
            self._start_server("nats", lambda: nats.start(data / "logs" / "nats.log").process)
            urls["LIFEBOAT_NATS_URL"] = nats.url
        if "LIFEBOAT_DATABASE_URL" not in os.environ:
            postgres = EmbeddedPostgres(
                data / "postgres",
                self.settings.postgres_port,
                password=generated_secret(secrets / "postgres.password"),
            )
            self.postgres = postgres
            self._start_server("postgres", lambda: postgres.start(data / "logs" / "postgres.log").process)
            urls["LIFEBOAT_DATABASE_URL"] = postgres.url
        return urls

    def _start_server(self, name: str, launch: Callable[[], subprocess.Popen[bytes] | None]) -> None:
        server = Child(name, launch)
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

    def _schedule_restart(self, child: Child, why: str) -> None:
        delay = child.backoff()
        print(f"lifeboat: {child.name} {why}; restarting in {delay:.0f}s", file=sys.stderr, flush=True)
        child.process = None
        child.next_start = time.monotonic() + delay

    def stop(self) -> None:
        self.stopping = True
        for child in self.children:
            if child.process and child.process.poll() is None:
                child.process.terminate()
        deadline = time.monotonic() + 15
        for child in self.children:
            if child.process:
                try:
                    child.process.wait(max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    child.process.kill()
                    child.process.wait()
        if self.postgres:
            self.postgres.stop()
        if self.nats:
            self.nats.stop()


def _wait_until_healthy(url: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.5)
    return False


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def up() -> None:
    settings = config.load(UpSettings)
    stack = Stack(settings)
    signal.signal(signal.SIGTERM, _interrupt)
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
        stack.children = [service(name, env) for name in subjects.SERVICES]
        for child in stack.children:
            child.start()
        base = f"http://{settings.http_host}:{settings.http_port}"
        if _wait_until_healthy(f"{base}/health", 60):
            print(f"Lifeboat is up: {base}/api/v1 (OpenAPI at {base}/api/v1/schema)", flush=True)
        else:
            print(f"lifeboat: not every service is healthy yet; see {base}/health", file=sys.stderr)
        if admin and admin.generated_password:
            print(
                f"Admin user {admin.username!r} created with password: {admin.generated_password}\n"
                "This password is shown once. Change it after logging in.",
                flush=True,
            )
        stack.supervise()
    except KeyboardInterrupt:
        pass
    finally:
        print("lifeboat: stopping", file=sys.stderr)
        stack.stop()
