"""A pull `fetch` that finds nothing in time raises nats' `TimeoutError`, which FastStream's pull
loop expects, even where nats-py raises a bare `asyncio.TimeoutError` (libs/bus/pull_timeouts)."""

import nats.errors
import pytest
from nats.js.client import JetStreamContext

from libs.bus.pull_timeouts import use_nats_timeouts


def _subscription() -> JetStreamContext.PullSubscription:
    subscription = object.__new__(JetStreamContext.PullSubscription)
    subscription._sub = object()  # type: ignore[assignment]
    return subscription


async def test_a_bare_timeout_from_a_batch_fetch_becomes_a_nats_timeout(monkeypatch):
    async def deadline_passed_as_the_408_arrived(*args, **kwargs):
        raise TimeoutError  # asyncio's, which is the builtin since 3.11

    monkeypatch.setattr(JetStreamContext.PullSubscription, "_fetch_n", deadline_passed_as_the_408_arrived)
    use_nats_timeouts()
    with pytest.raises(nats.errors.TimeoutError):
        await _subscription().fetch(16, timeout=5)


async def test_other_outcomes_pass_through_and_the_wrapper_is_installed_once(monkeypatch):
    async def no_responders(*args, **kwargs):
        raise nats.errors.NoRespondersError

    monkeypatch.setattr(JetStreamContext.PullSubscription, "_fetch_n", no_responders)
    use_nats_timeouts()
    installed = JetStreamContext.PullSubscription.fetch
    use_nats_timeouts()
    assert JetStreamContext.PullSubscription.fetch is installed
    with pytest.raises(nats.errors.NoRespondersError):
        await _subscription().fetch(16, timeout=5)
