"""The database engines the executor can back up and restore, looked up by a server's engine name."""

from collections.abc import Callable

from services.executor.engines.base import Engine, EngineError
from services.executor.engines.mariadb import MariaDBEngine
from services.executor.engines.postgresql import PostgresEngine
from services.executor.engines.redis import RedisEngine
from services.executor.engines.sqlite import SQLiteEngine

_ENGINES: dict[str, Callable[[], Engine]] = {
    "postgresql": PostgresEngine,
    "mysql": MariaDBEngine,  # one engine: the MariaDB tools dump and load MySQL too
    "mariadb": MariaDBEngine,
    "sqlite": SQLiteEngine,
    "redis": RedisEngine,
}


def engine_for(name: str) -> Engine:
    """The engine for `name`; EngineError("unsupported") for an engine Lifeboat does not know."""
    try:
        return _ENGINES[name]()
    except KeyError:
        raise EngineError("unsupported", f"unsupported database engine {name!r}") from None
