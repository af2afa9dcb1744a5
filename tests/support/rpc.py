"""RPC from tests, through the product's own client (`libs.bus.rpc.call`)."""

import asyncio
import time
from typing import TypeVar

import msgspec

from contracts.operations import Operation
from libs.bus.broker import make_broker
from libs.bus.rpc import ServiceUnavailable, call

Req = TypeVar("Req", bound=msgspec.Struct)
Rep = TypeVar("Rep")


async def ask(
    nats_url: str, operation: Operation[Req, Rep], request: Req, timeout: float = 10.0, patience: float = 30.0
) -> Rep:
    """One RPC, as the gateway makes it; waits up to `patience` seconds for a service that is still
    starting. A refusal raises `libs.errors.Refused`."""
    broker = make_broker(nats_url, "tests")
    await broker.connect()
    try:
        deadline = time.monotonic() + patience
        while True:
            try:
                return await call(broker, operation, request, timeout=timeout)
            except ServiceUnavailable:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.1)
    finally:
        await broker.stop()
