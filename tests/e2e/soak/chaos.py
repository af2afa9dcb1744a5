"""`kill -9` of the stack's processes at random: a service every ~`every` seconds, and with
`servers` the embedded NATS and PostgreSQL in turn on their own, slower clock. A kill waits a
moment for a job to be running, so that it lands mid-flight. Every kill is followed until the
supervisor has started a new process in its place (a restart)."""

import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import psutil

from contracts import subjects
from tests.support.stack import Stack

SERVERS = ("nats", "postgres")
JOB_WAIT_SECONDS = 5


def process_of(stack: Stack, target: str) -> psutil.Process | None:
    """The process that is `target` now (a service name, "nats" or "postgres"), if any.

    PostgreSQL is found by its data dir's postmaster.pid (not among the supervisor's children:
    its backends have the same name), so it is found however the supervisor starts it."""
    try:
        if target == "postgres":
            pid_file = stack.data_dir / "postgres" / "postmaster.pid"
            process: psutil.Process | None = psutil.Process(int(pid_file.read_text().split()[0]))
            if process is not None and process.name() != "postgres":
                process = None
        elif target == "nats":
            children = psutil.Process(stack.process.pid).children(recursive=True)
            process = next((c for c in children if c.name() == "nats-server"), None)
        else:
            process = stack.service_process(target)
        # a killed process nobody has reaped yet is a zombie: gone, though its pid still answers
        return process if process is not None and process.status() != psutil.STATUS_ZOMBIE else None
    except (LookupError, OSError, ValueError, IndexError, psutil.Error):
        return None


@dataclass
class Kill:
    target: str
    pid: int
    at: float
    back_after: float | None = None  # seconds until a new process ran in its place


@dataclass
class Chaos:
    stack: Stack
    rng: random.Random
    every: float
    servers: bool
    server_every: float
    kills: list[Kill] = field(default_factory=list)
    deck: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self, until: float, stop: threading.Event) -> None:
        """Kill until the monotonic clock reaches `until`, then follow the last restarts."""
        next_service = time.monotonic() + self._jitter(self.every)
        next_server = time.monotonic() + self._jitter(self.server_every)
        servers = list(SERVERS)
        while not stop.is_set() and time.monotonic() < until:
            self.follow_restarts()
            now = time.monotonic()
            if now >= next_service:
                self._kill(self._next_service())
                next_service = now + self._jitter(self.every)
            if self.servers and now >= next_server:
                self._kill(servers[0])
                servers.reverse()
                next_server = now + self._jitter(self.server_every)
            stop.wait(0.25)

    def _next_service(self) -> str:
        """Random order, but every service once per round: a short run still kills each."""
        if not self.deck:
            self.deck = self.rng.sample(subjects.SERVICES, len(subjects.SERVICES))
        return self.deck.pop()

    def _jitter(self, seconds: float) -> float:
        return seconds * self.rng.uniform(0.75, 1.25)

    def _kill(self, target: str) -> None:
        self._wait_for_a_job(JOB_WAIT_SECONDS)
        process = process_of(self.stack, target)
        if process is None:
            return  # still down from an earlier kill: nothing to kill
        try:
            process.kill()
        except psutil.NoSuchProcess:
            return
        with self.lock:
            self.kills.append(Kill(target, process.pid, time.monotonic()))

    def _wait_for_a_job(self, timeout: float) -> None:
        """Until an executor runs a job (it has a job folder), so a kill lands mid-flight."""
        work = self.stack.data_dir / "work"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not (work.is_dir() and any(work.iterdir())):
            time.sleep(0.05)

    def follow_restarts(self) -> None:
        for kill in self.down():
            process = process_of(self.stack, kill.target)
            if process is not None and process.pid != kill.pid:
                kill.back_after = time.monotonic() - kill.at

    def down(self) -> list[Kill]:
        """Kills not yet followed by a new process."""
        with self.lock:
            return [k for k in self.kills if k.back_after is None]

    def wait_for_restarts(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.down() and time.monotonic() < deadline:
            self.follow_restarts()
            time.sleep(0.5)

    def per_target(self) -> Counter[str]:
        return Counter(k.target for k in self.kills)
