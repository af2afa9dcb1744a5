"""`lifeboat up`: embedded NATS and PostgreSQL (unless given), provisioning, and the seven
services as separate OS processes, restarted when they crash, stopped together on Ctrl-C/SIGTERM."""

import asyncio
import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field

from contracts import subjects
from libs import config
from lifeboat.embedded import EmbeddedPostgres, NatsServer
from lifeboat.provision import provision
from services.gateway.settings import GatewaySettings


class UpSettings(GatewaySettings, frozen=True, kw_only=True):
    nats_port: int = 14222
    postgres_port: int = 15432


@dataclass
class Child:
    name: str
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    restarts: int = 0
    next_start: float = 0.0

    def start(self) -> None:
        self.process = subprocess.Popen([sys.executable, "-m", "lifeboat", "run", self.name], env=self.env)
        self.started_at = time.monotonic()

    def backoff(self) -> float:
        """Restart at once after a long healthy run; otherwise back off 1, 2, 4 … 30 s."""
        if time.monotonic() - self.started_at > 60:
            self.restarts = 0
        self.restarts += 1
        return float(min(30, 2 ** (self.restarts - 1)))


@dataclass
class Stack:
    settings: UpSettings
    children: list[Child] = field(default_factory=list)
    nats: NatsServer | None = None
    postgres: EmbeddedPostgres | None = None
    stopping: bool = False

    def start_servers(self) -> dict[str, str]:
        data = self.settings.data_path
        data.mkdir(parents=True, exist_ok=True)
        (data / "logs").mkdir(exist_ok=True)
        urls = {}
        if "LIFEBOAT_NATS_URL" not in os.environ:
            self.nats = NatsServer(data / "nats", self.settings.nats_port).start(data / "logs" / "nats.log")
            urls["LIFEBOAT_NATS_URL"] = self.nats.url
        if "LIFEBOAT_DATABASE_URL" not in os.environ:
            self.postgres = EmbeddedPostgres(data / "postgres", self.settings.postgres_port)
            self.postgres.start(data / "logs" / "postgres.log")
            urls["LIFEBOAT_DATABASE_URL"] = self.postgres.url
        return urls

    def supervise(self) -> None:
        while not self.stopping:
            now = time.monotonic()
            for child in self.children:
                process = child.process
                if process is not None and process.poll() is not None:
                    delay = child.backoff()
                    print(
                        f"lifeboat: {child.name} exited with {process.returncode}; "
                        f"restarting in {delay:.0f}s",
                        file=sys.stderr,
                    )
                    child.process = None
                    child.next_start = now + delay
                if child.process is None and now >= child.next_start:
                    child.start()
            time.sleep(0.2)

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
        stack.children = [Child(name, env) for name in subjects.SERVICES]
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
