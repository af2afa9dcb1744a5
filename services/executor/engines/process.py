"""Dump and restore tools as subprocesses: their stdout streams into the pipeline without staging,
their stderr goes to a file in the job's workdir so a failure can say what the tool said.

Credentials never travel in argv or the environment: `secret_file` writes the 0600 files that
`PGPASSFILE` and `--defaults-extra-file` point at.
"""

import asyncio
import contextlib
import fcntl
import os
import subprocess
import tempfile
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path
from typing import IO

from libs.pipeline import Readable
from services.executor.engines.base import EngineError

PIPE_SIZE = 1024 * 1024
STDERR_TAIL = 2048
# Variables through which a parent's credentials could leak into a tool.
SECRET_VARIABLES = ("PGPASSWORD", "PGPASSFILE", "MYSQL_PWD", "REDISCLI_AUTH")
# Variables that could send a tool somewhere other than the address the network guard admitted.
ROUTING_VARIABLES = (
    "PGHOST", "PGHOSTADDR", "PGPORT", "PGSERVICE", "PGSERVICEFILE",
    "MYSQL_HOST", "MYSQL_TCP_PORT", "MYSQL_UNIX_PORT",
)  # fmt: skip


def tool_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The executor's environment without inherited credentials or routing, plus `extra`."""
    dropped = (*SECRET_VARIABLES, *ROUTING_VARIABLES)
    env = {name: value for name, value in os.environ.items() if name not in dropped}
    env.update(extra or {})
    return env


def secret_file(workdir: Path, prefix: str, content: str) -> Path:
    """A new file in `workdir` readable by its owner only (mkstemp creates it 0600)."""
    fd, name = tempfile.mkstemp(prefix=prefix, dir=workdir)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(content)
    return Path(name)


def stderr_tail(path: Path) -> str:
    """The last ~2 KB a tool wrote to stderr, as one readable line."""
    try:
        with open(path, "rb") as err:
            err.seek(max(0, err.seek(0, os.SEEK_END) - STDERR_TAIL))
            tail = err.read()
    except FileNotFoundError:
        return ""
    return " ".join(tail.decode("utf-8", "replace").split())


def exit_description(tool: str, returncode: int, stderr: Path) -> str:
    status = f"was killed by signal {-returncode}" if returncode < 0 else f"exited with status {returncode}"
    tail = stderr_tail(stderr)
    return f"{tool} {status}: {tail}" if tail else f"{tool} {status}"


class _CountingPipe:
    """The tool's raw stdout, counting what passes, so `finish()` can refuse an empty dump
    whoever reads the pipe."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self.count = 0
        self.at_eof = False

    def readinto(self, buffer: bytearray | memoryview, /) -> int | None:
        read: int | None = self._raw.readinto(buffer)  # type: ignore[attr-defined]
        if read == 0:
            self.at_eof = True
        elif read:
            self.count += read
        return read


class ToolProcess:
    """A dump tool writing to an unbuffered, enlarged pipe; implements `DumpProcess`."""

    def __init__(
        self,
        args: Sequence[str],
        env: Mapping[str, str],
        workdir: Path,
        tool_version: str,
        *,
        secret_files: Sequence[Path] = (),
    ) -> None:
        self.tool = Path(args[0]).name
        self.tool_version = tool_version
        self._secret_files = secret_files  # removed once the tool has ended
        self._stderr = workdir / f"{self.tool}.stderr"
        with open(self._stderr, "wb") as err:
            self._popen = subprocess.Popen(
                list(args), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err,
                env=dict(env), cwd=workdir, bufsize=0,
            )  # fmt: skip
        assert self._popen.stdout is not None
        with contextlib.suppress(OSError):  # above /proc/sys/fs/pipe-max-size without privileges
            fcntl.fcntl(self._popen.stdout.fileno(), fcntl.F_SETPIPE_SZ, PIPE_SIZE)
        self._pipe = _CountingPipe(self._popen.stdout)
        self.source: Readable | AsyncIterator[bytes] = self._pipe

    async def finish(self) -> None:
        abandoned = not self._pipe.at_eof and self._popen.poll() is None
        if abandoned:
            self.kill()  # nobody reads the rest: the tool would block on a full pipe forever
        returncode = await asyncio.to_thread(self._popen.wait)
        if self._popen.stdout is not None:
            self._popen.stdout.close()
        for path in self._secret_files:
            path.unlink(missing_ok=True)
        if returncode != 0 and not abandoned:
            raise EngineError("tool_failed", exit_description(self.tool, returncode, self._stderr))
        if not self._pipe.at_eof:
            raise EngineError("tool_failed", f"{self.tool}: its output was not read to the end")
        if self._pipe.count == 0:
            tail = stderr_tail(self._stderr)
            message = f"{self.tool} produced no output" + (f": {tail}" if tail else "")
            raise EngineError("tool_failed", message)

    def kill(self) -> None:
        if self._popen.poll() is None:
            self._popen.kill()


async def feed_tool(
    args: Sequence[str], env: Mapping[str, str], dump: AsyncIterator[bytes], workdir: Path
) -> None:
    """Run a restore tool with `dump` on its stdin and check that it succeeded.

    If the dump source fails (e.g. a corrupt artifact), the tool is killed so a partial dump is
    never committed as a finished restore."""
    tool = Path(args[0]).name
    stderr = workdir / f"{tool}.stderr"
    err = await asyncio.to_thread(open, stderr, "wb")
    try:
        process = await asyncio.create_subprocess_exec(
            *args, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=err, env=dict(env), cwd=workdir
        )
    finally:
        err.close()
    assert process.stdin is not None
    stopped_reading = False
    try:
        async for piece in dump:
            try:
                process.stdin.write(piece)
                await process.stdin.drain()
            except (BrokenPipeError, ConnectionResetError):
                stopped_reading = True  # the tool died: its stderr says why, not the broken pipe
                break
        if stopped_reading and hasattr(dump, "aclose"):
            await dump.aclose()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            process.stdin.close()
            await process.stdin.wait_closed()
        returncode = await process.wait()
    except BaseException:
        if process.returncode is None:
            process.kill()
            await process.wait()
        raise
    if returncode != 0:
        raise EngineError("tool_failed", exit_description(tool, returncode, stderr))
    if stopped_reading:
        raise EngineError("tool_failed", f"{tool} stopped reading the dump before its end")


async def write_stream(path: Path, dump: AsyncIterator[bytes]) -> None:
    """Write `dump` to a new file at `path` and fsync it, without blocking the event loop."""
    out = await asyncio.to_thread(open, path, "xb")
    try:
        async for piece in dump:
            await asyncio.to_thread(out.write, piece)
        await asyncio.to_thread(os.fsync, out.fileno())
    finally:
        out.close()
