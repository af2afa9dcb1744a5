"""A JetStream pull `fetch` that finds nothing in time raises nats' own `TimeoutError`, always.

nats-py 2.15 and 2.16 break that contract in `PullSubscription.fetch` of a batch: when the
server's answer to the no-wait probe (a 408 after the request's `expires`) lands within the last
0.1 ms of the caller's deadline, `_fetch_n` raises a bare `asyncio.TimeoutError` instead
(nats-io/nats.py#934 added those exits; #1008 restores the contract). FastStream's pull loop
suppresses only `nats.errors.TimeoutError`, so on an idle stack the bare one ends its task with
an ERROR traceback ("… raised an exception, retrying …") every few minutes in every service
that consumes events. `use_nats_timeouts` turns the bare timeout back into the documented one
where nats-py raises it; callers catching either (FastStream, the executor) are unaffected."""

import functools
from collections.abc import Awaitable, Callable
from typing import Any

import nats.errors
from nats.aio.msg import Msg
from nats.js.client import JetStreamContext

Fetch = Callable[..., Awaitable[list[Msg]]]


def raising_nats_timeouts(fetch: Fetch) -> Fetch:
    @functools.wraps(fetch)
    async def fetch_or_nats_timeout(*args: Any, **kwargs: Any) -> list[Msg]:
        try:
            return await fetch(*args, **kwargs)
        except nats.errors.TimeoutError:
            raise
        except TimeoutError as exc:  # asyncio's, since Python 3.11
            raise nats.errors.TimeoutError from exc

    fetch_or_nats_timeout.__dict__["nats_timeouts"] = True
    return fetch_or_nats_timeout


def use_nats_timeouts() -> None:
    """Make every pull subscription's `fetch` keep the contract (once per process)."""
    subscription = JetStreamContext.PullSubscription
    if not getattr(subscription.fetch, "nats_timeouts", False):
        subscription.fetch = raising_nats_timeouts(subscription.fetch)  # type: ignore[method-assign,assignment]
