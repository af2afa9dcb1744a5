"""A stopped stack starts again from its data dir with everything it had."""

import pytest

from tests.support.stack import running_stack

pytestmark = pytest.mark.e2e


def test_a_second_start_reuses_the_data_dir(tmp_path):
    output = tmp_path / "output.log"
    with running_stack(tmp_path / "data", output) as first, first.login() as api:
        assert (
            api.post("/servers", json={"name": "kept", "host": "db", "engine_type": "redis"}).status_code
            == 201
        )
        key = (tmp_path / "data" / "master.key").read_bytes()
        passwords = {name: first.secret(name) for name in ("nats", "postgres")}
        assert first.process.poll() is None
    assert first.process.returncode == 0, "SIGTERM stops the stack cleanly"
    with running_stack(tmp_path / "data", output) as second, second.login() as api:
        assert [s["name"] for s in api.get("/servers").json()] == ["kept"]
        assert (tmp_path / "data" / "master.key").read_bytes() == key
        assert {name: second.secret(name) for name in ("nats", "postgres")} == passwords
    assert output.read_text().count("A new master key was written") == 1
