"""Fixtures that run services in the test's event loop against the real test servers."""

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import nats
import pytest
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError

from contracts import subjects
from libs.embedded import free_port
from tests.support.credentials import admin_client
from tests.support.servers import TestServers
from tests.support.services import running, settings_for


@pytest.fixture
async def stack_settings(servers: TestServers, database_url: str, tmp_path: Path):
    """Settings factory: every service of one test shares a database, a NATS and a master key;
    the executor knows the gateway's port (its own HTTP API, which it never connects to)."""
    port = free_port()

    def make(service: str, **extra):
        if service in ("gateway", "executor"):
            extra.setdefault("http_port", port)
        return settings_for(service, servers.nats.url, database_url, tmp_path, **extra)

    make.http_port = port  # type: ignore[attr-defined]
    return make


@pytest.fixture
async def api(stack_settings) -> AsyncIterator[httpx.AsyncClient]:
    """A running gateway and catalog, and an HTTP client logged in as the first admin."""
    async with running("gateway", stack_settings("gateway")), running("catalog", stack_settings("catalog")):
        base = f"http://127.0.0.1:{stack_settings.http_port}/api/v1"
        async with admin_client(stack_settings("gateway").database_url, base) as client:
            yield client


@pytest.fixture
async def audit_from_now(servers: TestServers) -> None:
    """The session shares one EVENTS stream: start the audit's durable consumer at this test's
    events, so earlier tests' events do not reach this test's audit log."""
    connection = await nats.connect(servers.nats.url)
    try:
        js = connection.jetstream()
        with contextlib.suppress(NotFoundError):
            await js.delete_consumer(subjects.EVENTS_STREAM, "audit")
        await js.add_consumer(
            subjects.EVENTS_STREAM,
            ConsumerConfig(
                durable_name="audit",
                filter_subject=subjects.ALL_EVENTS,
                deliver_policy=DeliverPolicy.NEW,
                ack_policy=AckPolicy.EXPLICIT,
                max_deliver=8,
                ack_wait=30,
            ),
        )
    finally:
        await connection.close()


@pytest.fixture
async def audit_api(
    audit_from_now: None, api: httpx.AsyncClient, stack_settings
) -> AsyncIterator[httpx.AsyncClient]:
    """`api` with the audit running too."""
    async with running("audit", stack_settings("audit")):
        yield api
