"""Acceptance of the foundation, against `lifeboat up` running as separate processes."""

import asyncio
import os
import signal
import subprocess
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import asyncpg
import msgspec
import nats
import pytest

from tests.support.stack import Stack, wait_healthy

pytestmark = pytest.mark.e2e


def _server(name: str, password: str = "not-a-real-secret") -> dict:
    return {
        "name": name,
        "type": "vm",
        "environment": "test",
        "engine_type": "postgresql",
        "host": "db.internal",
        "port": 5432,
        "credentials": {"username": "backup", "password": password},
    }


def test_admin_creates_a_server_and_the_audit_log_shows_who_and_from_where(stack: Stack):
    with stack.login() as api:
        created = api.post("/servers", json=_server("acceptance-db", "pw-acceptance-1"))
        assert created.status_code == 201, created.text
        listed = api.get("/servers", params={"search": "acceptance-db"}).json()
        assert [s["name"] for s in listed] == ["acceptance-db"]
        assert not {"credentials", "password", "ssh_key"} & set(listed[0])
        deadline = time.monotonic() + 20
        while True:
            logs = api.get(
                "/audit/logs", params={"action": "server_created", "search": "acceptance-db"}
            ).json()
            if logs["total"] or time.monotonic() > deadline:
                break
            time.sleep(0.3)
        [record] = logs["items"]
        assert record["username"] == "admin" and record["ip_address"] == "127.0.0.1"
        assert record["resource_id"] == created.json()["id"]
    health = wait_healthy(stack.base_url, 10)
    assert sorted(s["name"] for s in health["services"] if s["status"] == "up") == sorted(
        ["gateway", "catalog", "scheduler", "executor", "retention", "notifier", "audit"]
    )


def test_audit_killed_mid_burst_catches_up_with_exactly_one_record_per_change(stack: Stack):
    prefix = f"burst-{uuid.uuid4().hex[:6]}"
    audit_pid = stack.service_process("audit").pid
    with stack.login() as api:

        def create(n: int) -> int:
            reply = api.post("/servers", json=_server(f"{prefix}-{n:03d}"))
            assert reply.status_code == 201, reply.text
            return int(reply.json()["id"])

        with ThreadPoolExecutor(4) as pool:
            first = list(pool.map(create, range(50)))
            os.kill(audit_pid, signal.SIGKILL)
            rest = list(pool.map(create, range(50, 200)))
        ids = set(first + rest)
        assert len(ids) == 200

        deadline = time.monotonic() + 90
        logs: dict = {"total": 0}
        while logs["total"] < 200 and time.monotonic() < deadline:
            time.sleep(1)
            reply = api.get(
                "/audit/logs", params={"action": "server_created", "search": prefix, "limit": 1000}
            )
            if reply.status_code == 200:  # 503 while the supervisor restarts audit
                logs = reply.json()
        assert stack.service_process("audit").pid != audit_pid, "the supervisor restarted audit"
        recorded = [item["resource_id"] for item in logs["items"]]
        assert len(recorded) == 200 and set(recorded) == ids
        verify = api.get("/audit/verify").json()
        assert verify["valid"] is True, verify


def test_a_server_password_is_nowhere_but_sealed(stack: Stack):
    secret = f"Pw-{uuid.uuid4().hex}"
    with stack.login() as api:
        created = api.post("/servers", json=_server(f"secret-{secret[-6:]}", secret))
        assert created.status_code == 201
        responses = [created.text, api.get("/servers").text, api.get(f"/servers/{created.json()['id']}").text]
        server_id = created.json()["id"]
        deadline = time.monotonic() + 20
        while not api.get(
            "/audit/logs",
            params={"resource_type": "server", "action": "server_created", "search": secret[-6:]},
        ).json()["total"]:
            assert time.monotonic() < deadline
            time.sleep(0.3)
        responses.append(api.get("/audit/export", params={"format": "csv"}).text)
        update = api.put(f"/servers/{server_id}", json={"credentials": {"username": "u", "password": secret}})
        responses.append(update.text)
    processes = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    stream = asyncio.run(_events_stream_contents(stack))
    tables = asyncio.run(
        _table_contents(stack, ["audit.audit_log", "catalog.servers", "catalog.outbox", "gateway.outbox"])
    )
    for where, text in {
        "API responses": "\n".join(responses),
        "process list": processes,
        "service logs": stack.everything_logged(),
        "EVENTS stream": stream,
        "database tables": tables,
    }.items():
        assert secret not in text, f"the server password appears in the {where}"
    assert stream and tables and stack.everything_logged(), "searched places are not empty"


async def _events_stream_contents(stack: Stack) -> str:
    connection = await nats.connect(stack.nats_url)
    try:
        js = connection.jetstream()
        info = await js.stream_info("EVENTS")
        bodies = []
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            message = await js.get_msg("EVENTS", seq)
            bodies.append((message.data or b"").decode(errors="replace"))
        return "\n".join(bodies)
    finally:
        await connection.close()


async def _table_contents(stack: Stack, tables: list[str]) -> str:
    connection = await asyncpg.connect(stack.database_url)
    try:
        dumps = []
        for table in tables:
            # Outbox payloads are bytea, which ::text shows as hex: decode them as well.
            readable = "convert_from(payload, 'UTF8')" if table.endswith(".outbox") else "''"
            rows = await connection.fetch(f"SELECT t::text AS row, {readable} AS payload FROM {table} t")
            dumps.extend(r["row"] + r["payload"] for r in rows)
        return "\n".join(dumps)
    finally:
        await connection.close()


def test_every_declared_operation_is_answered_by_its_service(stack: Stack):
    """Both sides use the operation values of contracts/operations: a request no request type
    accepts (a JSON array) comes back from the serving service as a validation refusal — never
    "no responders", which is what a name only one side knows would give."""
    from contracts.operations import operations_of
    from contracts.operations.services import BY_NAME
    from contracts.rpc import RpcError
    from libs.bus.rpc import ERROR_HEADER

    async def ask_all() -> dict[str, str]:
        connection = await nats.connect(stack.nats_url)
        answers = {}
        try:
            for service in BY_NAME.values():
                for operation in operations_of(service):
                    try:
                        reply = await connection.request(operation.subject, b"[]", timeout=5)
                    except nats.errors.NoRespondersError:
                        answers[repr(operation)] = "no responders"
                        continue
                    refused = reply.headers and reply.headers.get(ERROR_HEADER)
                    answers[repr(operation)] = (
                        msgspec.json.decode(reply.data, type=RpcError).code if refused else "answered"
                    )
        finally:
            await connection.close()
        return answers

    answers = asyncio.run(ask_all())
    assert len(answers) > 60
    assert {op: code for op, code in answers.items() if code != "VALIDATION_ERROR"} == {}
