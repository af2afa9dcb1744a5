"""Durable JetStream consumers with explicit acks, bounded redelivery and idempotent effects."""

import logging
from collections.abc import Awaitable, Callable

import asyncpg
from faststream import AckPolicy
from faststream.nats import ConsumerConfig, JStream, NatsBroker, NatsMessage, PullSub

log = logging.getLogger("lifeboat.consumer")

Handle = Callable[[bytes], Awaitable[None]]


class NotYet(Exception):
    """Raised by a handler whose message arrived before what it depends on: redelivered later,
    logged without a traceback."""


def backoff_seconds(attempt: int) -> float:
    """Delay before redelivery after `attempt` failed deliveries: 1, 2, 4 … capped at 60 s."""
    return float(min(60, 2 ** max(0, attempt - 1)))


def consume(
    broker: NatsBroker,
    *,
    stream: JStream,
    subject: str,
    durable: str,
    handle: Handle,
    max_deliver: int = 8,
    ack_wait_seconds: float = 30.0,
    batch_size: int = 16,
    ordered: bool = False,
) -> None:
    """Bind `handle` to a durable pull consumer. A failing message is nacked with backoff and,
    after `max_deliver` attempts, terminated with an error log naming it — never dropped silently.

    FastStream handles the messages of one fetched batch concurrently; `ordered` fetches one at a
    time, so each is handled after the one the stream delivered before it (for a log whose order
    is its meaning).
    """

    @broker.subscriber(
        subject,
        stream=stream,
        durable=durable,
        pull_sub=PullSub(batch_size=1 if ordered else batch_size, timeout=5.0),
        config=ConsumerConfig(max_deliver=max_deliver, ack_wait=ack_wait_seconds),
        ack_policy=AckPolicy.MANUAL,
    )
    async def on_message(msg: NatsMessage) -> None:
        attempt = msg.raw_message.metadata.num_delivered or 1
        try:
            await handle(msg.body)
        except NotYet as exc:
            log.info("consumer %s will retry %s: %s", durable, msg.raw_message.subject, exc)
            await msg.nack(delay=backoff_seconds(attempt))
            return
        except Exception:
            if attempt >= max_deliver:
                log.exception(
                    "consumer %s gave up on %s after %d attempts", durable, msg.raw_message.subject, attempt
                )
                await msg.reject()
            else:
                log.warning("consumer %s failed attempt %d; redelivering", durable, attempt, exc_info=True)
                await msg.nack(delay=backoff_seconds(attempt))
            return
        await msg.ack()


async def apply_once(
    pool: asyncpg.Pool,
    consumer: str,
    event_id: str,
    effect: Callable[[asyncpg.Connection], Awaitable[None]],
) -> bool:
    """Run `effect` in one transaction with the record that `consumer` processed `event_id`.
    Returns False, doing nothing, when the event was already processed.
    """
    async with pool.acquire() as conn, conn.transaction():
        first = await conn.fetchval(
            """INSERT INTO processed_events (consumer, event_id) VALUES ($1, $2)
               ON CONFLICT DO NOTHING RETURNING true""",
            consumer,
            event_id,
        )
        if not first:
            return False
        await effect(conn)
    return True
