"""A real S3-compatible server on loopback for tests: moto_server as a child process.

In-process ``mock_aws`` patches botocore's HTTP layer, which aiobotocore does not use.
"""

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from libs.embedded import free_port


@contextmanager
def moto_s3_server(timeout: float = 30.0) -> Iterator[str]:
    """Start moto_server on a free port, yield its endpoint URL, stop it afterwards."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    executable = Path(sys.executable).parent / "moto_server"
    process = subprocess.Popen(
        [str(executable), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_until_answering(url, process, timeout)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_answering(url: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"moto_server exited with {process.returncode} before answering on {url}")
        try:
            httpx.get(f"{url}/moto-api/", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise TimeoutError(f"moto_server did not answer on {url} after {timeout}s")
