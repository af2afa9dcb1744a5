"""The embedded PostgreSQL and NATS that `lifeboat up` starts let in only who has their
generated passwords, which live in 0600 files under the data dir and on no command line; a data
dir left by an older `lifeboat up` (PostgreSQL trusting every TCP connection) is secured on the
next start."""

import asyncio
import re
import subprocess
from pathlib import Path

import asyncpg
import nats
import psutil
import pytest

from libs.embedded import EmbeddedPostgres, free_port
from tests.support.stack import Stack, running_stack

PSQL = "/usr/bin/psql"
pytestmark = pytest.mark.e2e


async def _postgres_answers(url: str) -> bool:
    try:
        connection = await asyncpg.connect(url, timeout=10)
    except asyncpg.InvalidPasswordError:
        return False
    await connection.close()
    return True


async def _nats_answers(url: str) -> bool:
    try:
        connection = await nats.connect(url, allow_reconnect=False, connect_timeout=5)
    except nats.errors.Error as exc:
        assert "Authorization Violation" in str(exc)
        return False
    await connection.close()
    return True


def _psql_without_password(port: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PSQL, "-w", "-h", "127.0.0.1", "-p", port, "-U", "postgres", "-d", "lifeboat", "-c", "SELECT 1"],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
    )


def test_embedded_postgres_asks_every_tcp_connection_for_the_password(stack: Stack):
    port = stack.env["LIFEBOAT_POSTGRES_PORT"]
    assert not asyncio.run(_postgres_answers(f"postgresql://postgres@127.0.0.1:{port}/lifeboat"))
    assert not asyncio.run(_postgres_answers(f"postgresql://postgres:wrong@127.0.0.1:{port}/lifeboat"))
    assert not asyncio.run(_postgres_answers(f"postgresql://lifeboat@127.0.0.1:{port}/postgres"))
    refused = _psql_without_password(port)
    assert refused.returncode != 0 and "password" in refused.stderr, refused.stderr
    assert asyncio.run(_postgres_answers(stack.database_url))


def test_embedded_nats_refuses_clients_without_its_credentials(stack: Stack):
    port = stack.env["LIFEBOAT_NATS_PORT"]
    assert not asyncio.run(_nats_answers(f"nats://127.0.0.1:{port}"))
    assert not asyncio.run(_nats_answers(f"nats://lifeboat:wrong@127.0.0.1:{port}"))
    assert asyncio.run(_nats_answers(stack.nats_url))


def test_the_passwords_are_private_files_and_on_no_command_line(stack: Stack):
    secrets = stack.data_dir / "secrets"
    assert secrets.stat().st_mode & 0o777 == 0o700
    files = {p.name: p.stat().st_mode & 0o777 for p in secrets.iterdir()}
    assert files == {"postgres.password": 0o600, "nats.password": 0o600, "nats.conf": 0o600}
    passwords = [stack.secret("postgres"), stack.secret("nats")]
    assert all(len(p) >= 32 for p in passwords) and passwords[0] != passwords[1]

    shown = []
    for process in psutil.process_iter():
        try:
            cmdline = " ".join(process.cmdline())
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
        shown += [f"{process.pid} {process.name()}" for p in passwords if p in cmdline]
    assert not shown, f"a password is on the command line of {shown}"
    logged = stack.everything_logged()
    assert logged and not [p for p in passwords if p in logged], "a password is in a log"


def test_a_data_dir_that_trusted_every_connection_is_secured_on_the_next_start(tmp_path: Path):
    data = tmp_path / "data"
    data.mkdir()
    data.chmod(0o755)  # the embedded server's system user must reach its data dir
    old_port = free_port()
    old = EmbeddedPostgres(data / "postgres", old_port).start(tmp_path / "old.log")
    assert asyncio.run(_postgres_answers(f"postgresql://postgres@127.0.0.1:{old_port}/postgres"))
    old.stop()
    trusting = re.compile(r"^host\s+all\s+all\s+127\.0\.0\.1/32\s+trust", re.MULTILINE)
    assert trusting.search((data / "postgres" / "pg_hba.conf").read_text())

    with running_stack(data, tmp_path / "output.log") as stack, stack.login() as api:
        port = stack.env["LIFEBOAT_POSTGRES_PORT"]
        assert not asyncio.run(_postgres_answers(f"postgresql://postgres@127.0.0.1:{port}/postgres"))
        assert _psql_without_password(port).returncode != 0
        assert asyncio.run(_postgres_answers(stack.database_url))
        assert api.get("/servers").status_code == 200
