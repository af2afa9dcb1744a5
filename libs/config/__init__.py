"""Typed settings read from `LIFEBOAT_*` environment variables into msgspec Structs."""

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TypeVar

import msgspec

PREFIX = "LIFEBOAT_"
T = TypeVar("T", bound=msgspec.Struct)


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the environment variable."""


class ServiceSettings(msgspec.Struct, frozen=True, kw_only=True):
    """What every service needs: where NATS, PostgreSQL, the master key and its data live."""

    nats_url: str = "nats://127.0.0.1:14222"
    database_url: str = "postgresql://postgres@127.0.0.1:15432/lifeboat"
    data_dir: str = "var"
    master_key_file: str = ""
    log_level: str = "INFO"
    environment: str = "development"
    rpc_timeout_seconds: float = 5.0
    storage_url: str = ""
    storage_destinations: str = ""
    sqlite_roots: str = ""  # comma-separated directories SQLite files may live under
    probe_timeout_seconds: float = 10.0  # a whole connection test or discovery, every engine
    probe_concurrency: int = 16  # connection tests and discoveries one process handles at once

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir).resolve()

    @property
    def sqlite_root_paths(self) -> tuple[Path, ...]:
        """The SQLite roots as absolute paths; `<data_dir>/sqlite` unless set."""
        roots = [part.strip() for part in self.sqlite_roots.split(",") if part.strip()]
        return tuple(Path(root).absolute() for root in roots) or (self.data_path / "sqlite",)

    @property
    def master_key_path(self) -> Path:
        return Path(self.master_key_file) if self.master_key_file else self.data_path / "master.key"


def env_name(field: str) -> str:
    return PREFIX + field.upper()


def load(cls: type[T], environ: Mapping[str, str] | None = None) -> T:
    """Build `cls` from the environment; fields not set keep their defaults."""
    env = os.environ if environ is None else environ
    values = {f.name: env[env_name(f.name)] for f in msgspec.structs.fields(cls) if env_name(f.name) in env}
    try:
        return msgspec.convert(values, cls, strict=False)
    except msgspec.ValidationError as exc:
        raise SettingsError(_name_the_variable(str(exc))) from None


def _name_the_variable(message: str) -> str:
    match = re.search(r"at `\$\.(\w+)`", message)
    if not match:
        return message
    return f"{env_name(match.group(1))}: {message.split(' - at ')[0]}"
