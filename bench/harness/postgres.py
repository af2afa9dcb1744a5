"""The machine's PostgreSQL (127.0.0.1:5432, user postgres, trust), through psql."""

import os
import subprocess
from pathlib import Path

from harness.common import BenchError

PG_HOST, PG_PORT, PG_USER = "127.0.0.1", 5432, "postgres"
PG15_BIN = Path("/usr/lib/postgresql/15/bin")
PGBENCH = PG15_BIN / "pgbench"
PSQL = PG15_BIN / "psql"
CONNECTION = ["-h", PG_HOST, "-p", str(PG_PORT), "-U", PG_USER]


def pg_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["PGCONNECT_TIMEOUT"] = "10"
    return env


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def psql(sql: str, database: str = "postgres") -> str:
    out = subprocess.run(
        [str(PSQL), *CONNECTION, "-d", database, "-X", "-v", "ON_ERROR_STOP=1", "-tAc", sql],
        capture_output=True, text=True, env=pg_env(),
    )  # fmt: skip
    if out.returncode != 0:
        raise BenchError(f"psql failed ({sql!r}): {out.stderr.strip()}")
    return out.stdout.strip()


def database_exists(name: str) -> bool:
    return psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'") == "1"


def create_database(name: str) -> None:
    psql(f"CREATE DATABASE {quote_ident(name)} TEMPLATE template0")


def drop_database(name: str) -> None:
    psql(f"DROP DATABASE IF EXISTS {quote_ident(name)} WITH (FORCE)")


def database_size(name: str) -> int:
    return int(psql(f"SELECT pg_database_size('{name}')"))
