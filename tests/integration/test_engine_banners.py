"""No engine error repeats what the peer sent: a port that answers with another service's banner
(Lifeboat's NATS `INFO` line, say) comes back as "not a ... server", never as the banner."""

import asyncio
from collections.abc import AsyncIterator

import pytest

from services.executor.engines import engine_for
from services.executor.engines.base import EngineError, Target
from services.executor.engines.redis_sync import start_sync

BANNER = b'INFO {"server_id":"NDSECRETBANNER","version":"2.10.0"} \r\n'


@pytest.fixture
async def chatty_port() -> AsyncIterator[int]:
    """Greets with a NATS banner and answers anything with an error line that quotes it."""

    async def talk(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(BANNER)
        try:
            while await reader.read(1024):
                writer.write(b"-ERR NDSECRETBANNER says no\r\n" + BANNER)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(talk, "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    server.close()


@pytest.mark.parametrize("engine", ["postgresql", "mysql", "redis"])
@pytest.mark.parametrize("operation", ["test_connection", "discover"])
async def test_errors_never_echo_a_peers_banner(chatty_port, engine, operation):
    target = Target(engine, "127.0.0.1", chatty_port, "0" if engine == "redis" else "x", "u", "pw")
    with pytest.raises(EngineError) as failed:
        await asyncio.wait_for(getattr(engine_for(engine), operation)(target), 20)
    assert "SECRET" not in failed.value.message and "INFO" not in failed.value.message


@pytest.mark.parametrize("password", [None, "pw"])
async def test_a_redis_snapshot_request_never_echoes_the_peer(chatty_port, password):
    with pytest.raises(EngineError) as failed:
        await start_sync(Target("redis", "127.0.0.1", chatty_port, "0", None, password))
    assert "SECRET" not in failed.value.message
