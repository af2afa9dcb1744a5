"""The executor's database engines against real servers: connection checks, discovery, a dump stored
as an encrypted artifact and restored under a new name with identical contents, and the failure
paths (wrong password, closed port, unknown database, killed dump tool, non-empty target)."""

import asyncio
import hashlib
import os
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from libs.embedded import free_port
from services.executor.engines import engine_for
from services.executor.engines.base import EngineError, MaskRule, Target
from services.executor.engines.process import ToolProcess, tool_env
from tests.integration.engine_fixtures import (
    Artifacts,
    KillAfter,
    back_up,
    masked_tables,
    scan_while,
)
from tests.support.engine_data import LOCAL_POSTGRES, postgres_database, unique_name
from tests.support.fingerprint import fingerprint

ENGINES = ["postgresql", "mariadb", "sqlite", "redis"]
# The password-checking source of each engine (SQLite has no server, its source is a file).
CHECKED_SOURCE = {
    "postgresql": "scram_source",
    "mariadb": "maria_source",
    "sqlite": "sqlite_source",
    "redis": "redis_source",
}
# PostgreSQL twice: pgbench on the local 15 goes through the psql path for servers older than
# pg_restore 18, the password-checked source on 18 straight through pg_restore.
ROUND_TRIP_SOURCE = {**CHECKED_SOURCE, "postgresql": "pgbench_source", "postgresql-18": "scram_source"}


@pytest.fixture
def checked_source(request: pytest.FixtureRequest) -> tuple[str, Target]:
    return request.param, request.getfixturevalue(CHECKED_SOURCE[request.param])


@pytest.fixture
def round_trip_source(request: pytest.FixtureRequest) -> tuple[str, Target]:
    source: Target = request.getfixturevalue(ROUND_TRIP_SOURCE[request.param])
    return source.engine, source


def test_engine_for_knows_the_engines() -> None:
    expected = {"postgresql": "postgresql", "mysql": "mariadb", "mariadb": "mariadb", "sqlite": "sqlite"}
    expected["redis"] = "redis"
    assert {name: engine_for(name).name for name in expected} == expected
    with pytest.raises(EngineError) as refused:
        engine_for("oracle")
    assert refused.value.cause == "unsupported"


# --- connection checks --------------------------------------------------------------------------


@pytest.mark.parametrize("checked_source", ENGINES, indirect=True)
async def test_connection_succeeds(checked_source: tuple[str, Target]) -> None:
    name, source = checked_source
    await engine_for(name).test_connection(source)


@pytest.mark.parametrize("checked_source", ["postgresql", "mariadb", "redis"], indirect=True)
async def test_a_wrong_password_is_an_authentication_failure(checked_source: tuple[str, Target]) -> None:
    name, source = checked_source
    with pytest.raises(EngineError) as failed:
        await engine_for(name).test_connection(replace(source, password="not-the-password"))
    assert failed.value.cause == "authentication"
    user = source.username or "default"
    assert failed.value.message == f"authentication failed for user '{user}'"


async def test_a_wrong_password_fails_a_redis_dump(redis_source: Target, workdir: Path) -> None:
    with pytest.raises(EngineError) as failed:
        await engine_for("redis").start_dump(replace(redis_source, password="nope"), workdir)
    assert failed.value.cause == "authentication"
    assert "nope" not in failed.value.message


@pytest.mark.parametrize("checked_source", ["postgresql", "mariadb", "redis"], indirect=True)
async def test_a_closed_port_is_unreachable(checked_source: tuple[str, Target]) -> None:
    name, source = checked_source
    port = free_port()
    with pytest.raises(EngineError) as failed:
        await engine_for(name).test_connection(replace(source, port=port))
    assert failed.value.cause == "unreachable"
    assert failed.value.message == f"cannot reach 127.0.0.1:{port}: connection refused"


@pytest.mark.parametrize("checked_source", ENGINES, indirect=True)
async def test_an_unknown_database_is_named(checked_source: tuple[str, Target], tmp_path: Path) -> None:
    name, source = checked_source
    missing = {"sqlite": str(tmp_path / "nope.db"), "redis": "99"}.get(name, "nope_" + unique_name("db"))
    with pytest.raises(EngineError) as failed:
        await engine_for(name).test_connection(source.with_database(missing))
    assert failed.value.cause == "unknown_database"
    assert missing in failed.value.message


async def test_a_file_that_is_not_sqlite_is_invalid(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(b"just some text, not a database" * 100)
    with pytest.raises(EngineError) as failed:
        await engine_for("sqlite").test_connection(Target("sqlite", None, None, str(path)))
    assert failed.value.cause == "invalid"
    assert str(path) in failed.value.message


# --- discovery ----------------------------------------------------------------------------------


@pytest.mark.parametrize("round_trip_source", ENGINES, indirect=True)
async def test_discovery_lists_the_source_with_a_size(round_trip_source: tuple[str, Target]) -> None:
    name, source = round_trip_source
    server = source.with_database({"postgresql": "postgres", "mariadb": "mysql"}.get(name, source.database))
    found = {database.name: database.size_bytes for database in await engine_for(name).discover(server)}
    assert (found.get(source.database) or 0) > 0, found
    assert "postgres" not in found and "template1" not in found and "mysql" not in found


# --- round trip ---------------------------------------------------------------------------------


def restore_target(name: str, source: Target, tmp_path: Path, redis_empty: Target) -> Target:
    if name == "sqlite":
        return source.with_database(str(tmp_path / "restored" / "copy.db"))
    if name == "redis":
        return redis_empty
    return source.with_database(unique_name("lb_restored"))


@pytest.mark.parametrize("round_trip_source", [*ENGINES, "postgresql-18"], indirect=True)
async def test_a_restore_equals_its_source(
    round_trip_source: tuple[str, Target],
    workdir: Path,
    artifacts: Artifacts,
    tmp_path: Path,
    redis_empty: Target,
) -> None:
    name, source = round_trip_source
    engine = engine_for(name)
    manifest = await back_up(engine, source, workdir, artifacts)
    assert manifest.plain_size > 100_000
    assert manifest.tool_version.startswith(
        {
            "postgresql": "pg_dump (PostgreSQL) 18",
            "mariadb": "mariadb-dump",
            "sqlite": "sqlite 3",
            "redis": "redis ",
        }[name]
    )
    restored = restore_target(name, source, tmp_path, redis_empty)
    try:
        await engine.prepare_target(restored, replace=False)
        await engine.restore(restored, artifacts.read(manifest), workdir)
        assert await fingerprint(name, restored) == await fingerprint(name, source)
        assert await engine.table_counts(restored) == await engine.table_counts(source)

        with pytest.raises(EngineError) as refused:
            await engine.prepare_target(restored, replace=False)
        assert refused.value.cause == "not_empty"
        await engine.prepare_target(restored, replace=True)
        await engine.prepare_target(restored, replace=False)  # emptied: no longer refused
    finally:
        await engine.drop(restored)
    assert not [p for p in workdir.iterdir() if not p.name.endswith(".stderr")], "secrets and copies removed"


# --- failure paths ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source_fixture", "tool"), [("pgbench_source", "pg_dump"), ("maria_source", "mariadb-dump")]
)
async def test_a_dump_tool_killed_mid_stream_fails_finish(
    source_fixture: str, tool: str, request: pytest.FixtureRequest, workdir: Path, artifacts: Artifacts
) -> None:
    source: Target = request.getfixturevalue(source_fixture)
    engine = engine_for(source.engine)
    dump = await engine.start_dump(source, workdir)
    killer = KillAfter(dump, 1024 * 1024)
    manifest = await artifacts.store(dump, engine.name, killer)  # the pipe just ends early
    with pytest.raises(EngineError) as failed:
        await dump.finish()
    assert failed.value.cause == "tool_failed"
    assert failed.value.message.startswith(f"{tool} was killed by signal 9")
    assert manifest.plain_size < 4 * 1024 * 1024


async def test_a_tool_without_output_fails(workdir: Path) -> None:
    silent = ToolProcess(["true"], tool_env(), workdir, "true")
    assert silent.source.readinto(bytearray(10)) == 0  # type: ignore[union-attr]
    with pytest.raises(EngineError, match="^true produced no output$"):
        await silent.finish()


async def test_a_failing_tool_reports_its_stderr(workdir: Path) -> None:
    failing = ToolProcess(
        ["sh", "-c", "echo partial; echo 'disk on fire' >&2; exit 3"], tool_env(), workdir, "sh"
    )
    while failing.source.readinto(bytearray(100)):  # type: ignore[union-attr]
        pass
    with pytest.raises(EngineError) as failed:
        await failing.finish()
    assert (failed.value.cause, failed.value.message) == (
        "tool_failed",
        "sh exited with status 3: disk on fire",
    )


async def test_a_restore_tool_that_dies_early_reports_its_own_error(workdir: Path) -> None:
    async def garbage() -> AsyncIterator[bytes]:
        for _ in range(16):
            yield os.urandom(256 * 1024)

    async with postgres_database(LOCAL_POSTGRES, "lb_garbage") as target:
        with pytest.raises(EngineError) as failed:
            await engine_for("postgresql").restore(target, garbage(), workdir)
    assert failed.value.cause == "tool_failed"
    assert failed.value.message.startswith("pg_restore exited with status 1: pg_restore: error: ")


@pytest.mark.parametrize(
    ("source_fixture", "tool"), [("scram_source", b"pg_dump"), ("maria_source", b"mariadb-dump")]
)
async def test_the_password_is_in_no_process_argv_or_environment(
    source_fixture: str, tool: bytes, request: pytest.FixtureRequest, workdir: Path
) -> None:
    source: Target = request.getfixturevalue(source_fixture)
    assert source.password
    dump = await engine_for(source.engine).start_dump(source, workdir)
    secret_files = [p for p in workdir.iterdir() if not p.name.endswith(".stderr")]
    assert [p.stat().st_mode & 0o777 for p in secret_files] == [0o600]
    assert await scan_while(dump, tool, source.password) == []
    assert not secret_files[0].exists(), "the credentials file goes when the tool ends"


# --- masking ------------------------------------------------------------------------------------

MASK_RULES = {
    "NAME": MaskRule("hash"),  # rule keys match column names whatever their case
    "Email": MaskRule("randomize"),
    "phone": MaskRule("null"),
    "note": MaskRule("fixed", "redacted"),
    "age": MaskRule("randomize"),
    "born": MaskRule("randomize"),
}


def is_random_hex_like(new: str, old: str) -> bool:
    return len(new) == len(old) and set(new) <= set("0123456789abcdef")


@pytest.mark.parametrize("mask_target", ["postgresql", "mariadb"], indirect=True)
async def test_masking_changes_exactly_the_named_columns(mask_target: Target) -> None:
    people_before, orders_before = await masked_tables(mask_target)
    changed = await engine_for(mask_target.engine).mask(mask_target, MASK_RULES)
    people, orders = await masked_tables(mask_target)

    with_phone = sum(1 for row in people_before if row[3] is not None)
    assert changed == {
        "people.name": 200, "people.email": 200, "people.phone": with_phone, "people.note": 200,
        "people.age": 200, "people.born": 200, "orders.email": 50,
    }  # fmt: skip
    for (id_, name, email, *_, city), new in zip(people_before, people, strict=True):
        assert (new[0], new[7]) == (id_, city)  # columns without a rule stay equal
        assert new[1] == hashlib.sha256(name.encode()).hexdigest()[:20]  # cut to VARCHAR(20)
        assert is_random_hex_like(new[2], email)
        assert (new[3], new[4]) == (None, "redacted")
        assert isinstance(new[5], int) and isinstance(new[6], date)
    assert sum(new[2] != old[2] for old, new in zip(people_before, people, strict=True)) == 200
    assert sum(new[5] != old[5] for old, new in zip(people_before, people, strict=True)) > 190
    assert sum(new[6] != old[6] for old, new in zip(people_before, people, strict=True)) > 190
    for old, new in zip(orders_before, orders, strict=True):
        assert (new[0], new[2]) == (old[0], old[2])
        assert is_random_hex_like(new[1], old[1]) and new[1] != old[1]


@pytest.mark.parametrize("mask_target", ["postgresql", "mariadb"], indirect=True)
@pytest.mark.parametrize(
    ("rules", "named"),
    [
        ({"email": MaskRule("randomize"), "city": MaskRule("null")}, "people.city"),
        ({"age": MaskRule("hash")}, "people.age"),
        ({"note": MaskRule("fixed")}, "'note'"),
    ],
)
async def test_masking_refuses_a_rule_it_cannot_apply_and_changes_nothing(
    mask_target: Target, rules: dict[str, MaskRule], named: str
) -> None:
    before = await masked_tables(mask_target)
    with pytest.raises(EngineError) as refused:
        await engine_for(mask_target.engine).mask(mask_target, rules)
    assert refused.value.cause == "invalid"
    assert named in refused.value.message
    assert await masked_tables(mask_target) == before


# --- Redis specifics ----------------------------------------------------------------------------


class _Closable:
    def close(self) -> None:
        pass


@pytest.mark.parametrize("diskless", [True, False])
async def test_a_redis_snapshot_is_cut_from_either_sync_reply(diskless: bool) -> None:
    from services.executor.engines.redis_sync import RedisSync

    payload = b"REDIS0010" + os.urandom(3 * 1024 * 1024 + 17)
    mark = hashlib.sha1(b"mark").hexdigest().encode()
    header = b"$EOF:" + mark + b"\r\n" if diskless else b"$%d\r\n" % len(payload)
    trailer = mark if diskless else b""
    reader = asyncio.StreamReader()
    reader.feed_data(b"\n\n\n" + header + payload + trailer + b"*1\r\n$4\r\nPING\r\n")
    sync = RedisSync(reader, _Closable(), "redis test")  # type: ignore[arg-type]
    received = b"".join([piece async for piece in sync.source])  # type: ignore[union-attr]
    await sync.finish()
    assert received == payload


async def test_a_sync_reply_that_is_no_rdb_fails() -> None:
    from services.executor.engines.redis_sync import RedisSync

    reader = asyncio.StreamReader()
    reader.feed_data(b"$11\r\nHELLO WORLD")
    sync = RedisSync(reader, _Closable(), "redis test")  # type: ignore[arg-type]
    with pytest.raises(EngineError, match="no RDB snapshot"):
        async for _ in sync.source:  # type: ignore[union-attr]
            pass
    with pytest.raises(EngineError) as failed:
        await sync.finish()
    assert failed.value.cause == "tool_failed"


async def test_redis_counts_keys_per_type_and_refuses_masking(redis_source: Target) -> None:
    engine = engine_for("redis")
    counts = await engine.table_counts(redis_source)
    assert {k: v for k, v in counts.items() if k.startswith("db0:")} == {
        f"db0:{kind}": 2000 for kind in ("string", "hash", "list", "set", "zset", "stream")
    }
    with pytest.raises(EngineError) as refused:
        await engine.mask(redis_source, {})
    assert refused.value.cause == "unsupported"
