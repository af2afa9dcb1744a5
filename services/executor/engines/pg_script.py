"""Restoring into PostgreSQL servers older than pg_restore: pg_restore 17+ always starts with
`SET transaction_timeout = 0`, which servers before 17 reject, and an archive of a newer pg_dump
cannot be read by an older pg_restore. So pg_restore writes the SQL script, that one header line is
dropped, and psql runs the rest, stopping at the first error.
"""

import asyncio
import contextlib
import subprocess
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path

from services.executor.engines.base import EngineError
from services.executor.engines.process import exit_description

REJECTED_BY_OLD_SERVERS = b"\nSET transaction_timeout = 0;\n"
HEADER_SIZE = 64 * 1024  # the settings come before the first object, within the first KB
READ_SIZE = 1024 * 1024


def _compatible(header: bytes) -> bytes:
    return header.replace(REJECTED_BY_OLD_SERVERS, b"\n", 1)


async def _feed(process: asyncio.subprocess.Process, dump: AsyncIterator[bytes]) -> None:
    """Write the archive to pg_restore; if the archive fails, stop pg_restore so its script ends."""
    assert process.stdin is not None
    try:
        async for piece in dump:
            process.stdin.write(piece)
            await process.stdin.drain()
    except (BrokenPipeError, ConnectionResetError):
        pass  # pg_restore gave up: its exit status and stderr say why
    except BaseException:
        process.kill()
        raise
    finally:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            process.stdin.close()


async def restore_script(
    args: Sequence[str], env: Mapping[str, str], dump: AsyncIterator[bytes], workdir: Path
) -> AsyncIterator[bytes]:
    """The SQL script `pg_restore ... -f -` makes of `dump`, without the line old servers reject.
    Raises EngineError after the last piece if pg_restore failed."""
    stderr = workdir / "pg_restore.stderr"
    err = await asyncio.to_thread(open, stderr, "wb")
    try:
        process = await asyncio.create_subprocess_exec(
            *args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err, env=dict(env), cwd=workdir
        )
    finally:
        err.close()
    assert process.stdout is not None
    feeding = asyncio.create_task(_feed(process, dump))
    try:
        head, in_header = b"", True
        while piece := await process.stdout.read(READ_SIZE):
            if in_header:
                head += piece
                if len(head) < HEADER_SIZE:
                    continue
                piece, head, in_header = _compatible(head), b"", False
            yield piece
        if in_header and head:
            yield _compatible(head)
        await feeding
        returncode = await process.wait()
        if returncode != 0:
            raise EngineError("tool_failed", exit_description("pg_restore", returncode, stderr))
    finally:
        if not feeding.done():
            feeding.cancel()
        if process.returncode is None:
            process.kill()
            await process.wait()
