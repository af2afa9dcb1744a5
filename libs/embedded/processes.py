"""Child processes that serve on a local port: finding a free port, waiting for it, stopping cleanly."""

import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path


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


def stop_process(process: subprocess.Popen[bytes] | None, sig: int, timeout: float = 20.0) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def started_or_stopped(process: subprocess.Popen[bytes], ready: Callable[[], None]) -> None:
    """A start either returns a ready server or raises with nothing left running."""
    try:
        ready()
    except BaseException:
        stop_process(process, signal.SIGKILL, timeout=5)
        raise


def log_tail(log_file: Path | None, lines: int = 5) -> str:
    """The last lines a server wrote, for the error that says it did not start."""
    if log_file is None or not log_file.exists():
        return "it wrote no log"
    tail = log_file.read_text(errors="replace").strip().splitlines()[-lines:]
    return "its log ends: " + " | ".join(tail)
