"""Paths, the failure of a run, and the log line every benchmark prints."""

import os
import platform
import socket
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "results"
MB = 1e6


class BenchError(Exception):
    """Something failed (not a missed target): reported, and the process exits 1."""


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "host": socket.gethostname(),
    }
