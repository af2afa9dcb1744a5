"""The bus on a real NATS JetStream and PostgreSQL: outbox relay, idempotent consumers, RPC."""

import asyncio

import asyncpg
import msgspec
import pytest

from contracts import subjects
from contracts.events import ServerCreated
from contracts.operations import Operation, Service
from contracts.rpc import Request
from libs.bus import rpc
from libs.bus.broker import make_broker
from libs.bus.consumer import apply_once, consume
from libs.bus.outbox import OutboxRelay, emit
from libs.bus.streams import EVENTS
from libs.db import connect, migrate
from libs.errors import Refused


class Echo(Request, frozen=True, kw_only=True):
    text: str


class Echoed(msgspec.Struct, frozen=True):
    text: str


async def _until(predicate, timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await predicate():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


def _event(n: int) -> ServerCreated:
    return ServerCreated(server_id=n, name=f"s{n}", engine_type="postgresql", host="h", port=5432)


async def test_outbox_events_reach_a_consumer_once_even_when_published_twice(servers, database_url):
    await migrate(database_url, "producer", None)
    await migrate(database_url, "consumer", None)
    producer_pool = await connect(database_url, "producer")
    consumer_pool = await connect(database_url, "consumer")
    await consumer_pool.execute("CREATE TABLE seen (server_id int)")
    broker = make_broker(servers.nats.url, "test")
    durable = f"test-{database_url.rsplit('/', 1)[1]}"

    async def handle(body: bytes) -> None:
        event = msgspec.json.decode(body, type=ServerCreated)
        if event.name.startswith("s"):

            async def effect(conn) -> None:
                await conn.execute("INSERT INTO seen VALUES ($1)", event.server_id)

            await apply_once(consumer_pool, durable, event.id, effect)

    consume(broker, stream=EVENTS, subject=ServerCreated.subject(), durable=durable, handle=handle)
    relay = OutboxRelay(producer_pool, broker, "producer")
    await broker.start()
    relay_task = asyncio.create_task(relay.run())
    try:
        events = [_event(n) for n in range(50)]
        async with producer_pool.acquire() as conn, conn.transaction():
            for event in events:
                await emit(conn, event)
        async with producer_pool.acquire() as conn:
            tx = conn.transaction()
            await tx.start()
            await emit(conn, _event(999))
            await tx.rollback()
        # The same event published again (a relay that crashed before marking it) is ignored.
        await broker.publish(msgspec.json.encode(events[0]), events[0].subject(), stream="EVENTS")

        async def all_seen() -> bool:
            return await consumer_pool.fetchval("SELECT count(*) FROM seen") >= 50

        await _until(all_seen)
        await asyncio.sleep(0.5)
        rows = [r["server_id"] for r in await consumer_pool.fetch("SELECT server_id FROM seen")]
        assert sorted(rows) == list(range(50))
        assert await producer_pool.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0
    finally:
        await relay.stop()
        # as a service stops: run() ends by itself and gives its listener back; a cancelled run()
        # could leave it taken, and pool.close() would then wait for it for ever
        await asyncio.wait_for(relay_task, 15)
        await broker.stop()
        await producer_pool.close()
        await consumer_pool.close()


async def test_a_failing_handler_is_redelivered_until_it_succeeds(servers, database_url):
    broker = make_broker(servers.nats.url, "test")
    attempts: list[int] = []
    durable = f"flaky-{database_url.rsplit('/', 1)[1]}"
    subject = subjects.event("flaky", durable.replace("-", "_"))

    async def handle(body: bytes) -> None:
        attempts.append(1)
        if len(attempts) < 3:
            raise RuntimeError("transient")

    consume(broker, stream=EVENTS, subject=subject, durable=durable, handle=handle)
    await broker.start()
    try:
        await broker.publish(b"{}", subject, stream="EVENTS")

        async def done() -> bool:
            return len(attempts) >= 3

        await _until(done, timeout=15)
        await asyncio.sleep(1.5)
        assert len(attempts) == 3
    finally:
        await broker.stop()


class EchoService(Service, name="echo"):
    shout = Operation(Echo, Echoed)


class Nobody(Service, name="nobody"):
    shout = Operation(Echo, Echoed)


class Lost(Service, name="lost"):
    query = Operation(Echo, Echoed)


async def test_rpc_returns_replies_and_refusals(servers):
    server = make_broker(servers.nats.url, "echo")
    client = make_broker(servers.nats.url, "client")

    async def echo(request: Echo) -> Echoed:
        if not request.text:
            raise Refused(422, "VALIDATION_ERROR", "text: must not be empty", "text")
        return Echoed(request.text.upper())

    rpc.serve(server, EchoService.shout, echo)
    await server.start()
    await client.start()
    try:
        assert await rpc.call(client, EchoService.shout, Echo(text="hi")) == Echoed("HI")
        with pytest.raises(Refused) as refused:
            await rpc.call(client, EchoService.shout, Echo(text=""))
        assert (refused.value.status, refused.value.field) == (422, "text")
        with pytest.raises(rpc.ServiceUnavailable):
            await rpc.call(client, Nobody.shout, Echo(text="x"), timeout=0.5)
    finally:
        await server.stop()
        await client.stop()


async def test_a_handler_that_loses_its_database_refuses_with_503_not_500(servers):
    """A dropped or refused PostgreSQL connection is the database being away, not a bug."""
    server = make_broker(servers.nats.url, "lost")
    client = make_broker(servers.nats.url, "client")
    pool = await asyncpg.create_pool(servers.postgres.url_for("postgres"), min_size=0)
    assert pool is not None

    async def query(request: Echo) -> Echoed:
        if request.text == "refused":
            raise ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 1)")
        async with pool.acquire() as conn:
            await conn.execute("SELECT pg_terminate_backend(pg_backend_pid())")
        return Echoed("unreachable")

    rpc.serve(server, Lost.query, query)
    await server.start()
    await client.start()
    try:
        for text in ("refused", "dropped"):
            with pytest.raises(Refused) as refused:
                await rpc.call(client, Lost.query, Echo(text=text))
            assert (refused.value.status, refused.value.code) == (503, "DATABASE_UNAVAILABLE"), text
            assert "try again" in refused.value.detail
    finally:
        await server.stop()
        await client.stop()
        await pool.close()
