"""An event is stamped from its cause: the producer always, the actor and correlation from the
request or event that caused it."""

from contracts.envelope import SYSTEM, Actor
from contracts.events import ServiceStarted
from contracts.rpc import Request
from libs.bus.outbox import stamped

ALICE = Actor(user_id=7, username="alice", ip_address="10.0.0.9")


def test_an_event_caused_by_a_request_carries_its_actor_and_correlation():
    event = stamped(
        ServiceStarted(service="x", instance="i", version="1"),
        "catalog",
        Request(actor=ALICE, correlation_id="c-1"),
    )
    assert (event.producer, event.actor, event.correlation_id, event.causation_id) == (
        "catalog",
        ALICE,
        "c-1",
        None,
    )


def test_an_event_caused_by_an_event_continues_its_correlation_and_names_it_as_cause():
    cause = ServiceStarted(service="x", instance="i", version="1", actor=ALICE, correlation_id="c-2")
    event = stamped(ServiceStarted(service="y", instance="j", version="1"), "scheduler", cause)
    assert (event.producer, event.actor, event.correlation_id, event.causation_id) == (
        "scheduler",
        ALICE,
        "c-2",
        cause.id,
    )
    uncorrelated = ServiceStarted(service="x", instance="i", version="1")
    assert (
        stamped(ServiceStarted(service="y", instance="j", version="1"), "audit", uncorrelated).correlation_id
        == uncorrelated.id
    )


def test_an_event_without_a_cause_keeps_its_own_fields_and_gets_the_producer():
    event = stamped(
        ServiceStarted(service="x", instance="i", version="1", actor=Actor(service="retention")), "retention"
    )
    assert (event.producer, event.actor.service, event.correlation_id) == ("retention", "retention", None)
    assert stamped(ServiceStarted(service="x", instance="i", version="1"), "audit").actor == SYSTEM


def test_an_event_caused_by_an_actor_alone_carries_that_actor():
    event = stamped(ServiceStarted(service="x", instance="i", version="1"), "gateway", ALICE)
    assert (event.producer, event.actor, event.correlation_id, event.causation_id) == (
        "gateway",
        ALICE,
        None,
        None,
    )
