"""SQL over the scheduler schema, one module per table group: `schedules`, `fires` (with the
backups each fire asked for) and `state` (run state and the firing lease). Every read returns
typed rows, built positionally from the row type's own column list."""

from typing import TypeAlias

import asyncpg

Executor: TypeAlias = asyncpg.Pool | asyncpg.Connection
