"""The OpenAPI document tells the truth: schemathesis (coverage, fuzzing and stateful phases, fixed
seed, bounded in examples and time) against the whole stack as `make up` runs it, logged in as
admin, must find no server error, no undocumented status, no body that breaks its documented
schema and no undocumented content type.

Excluded, so that the fuzzer cannot lock the test out: `POST /auth/logout` (it ends the session
the run uses) and `PUT`/`DELETE /users/{id}` on the admin's own id (tests/e2e/schemathesis_hooks).
Failed logins may rate-limit the username `admin`; the run logged in before it started."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.stack import running_stack

pytestmark = pytest.mark.e2e

SEED = 20261201
CHECKS = "not_a_server_error,status_code_conformance,response_schema_conformance,content_type_conformance"
EXAMPLES_PER_OPERATION = 10
MAX_SECONDS = 150  # the whole test, stack start included, stays within ~4 minutes on 2 cores


def test_schemathesis_finds_nothing(tmp_path: Path):
    data_dir = tmp_path / "lifeboat-data"
    with running_stack(data_dir, tmp_path / "stack-output.log") as stack, stack.login() as api:
        admin = api.get("/auth/me").json()
        token = api.headers["Authorization"]
        report = tmp_path / "schemathesis.txt"
        env = {
            **os.environ,
            "SCHEMATHESIS_HOOKS": "tests.e2e.schemathesis_hooks",
            "LIFEBOAT_FUZZ_PROTECTED_USER": str(admin["id"]),
            "PYTHONPATH": os.pathsep.join([str(Path(__file__).parents[2]), os.environ.get("PYTHONPATH", "")]),
        }
        command = [
            sys.executable, "-m", "schemathesis.cli", "run", f"{stack.base_url}/api/v1/schema/openapi.json",
            "--header", f"Authorization: {token}",
            "--checks", CHECKS,
            "--phases", "coverage,fuzzing,stateful",
            "--seed", str(SEED),
            "--max-examples", str(EXAMPLES_PER_OPERATION),
            "--max-time", str(MAX_SECONDS),
            "--exclude-operation-id", "logout",
            "--workers", "1",
            "--request-timeout", "30",
            "--no-color",
            "--generation-database", "none",  # no examples remembered from earlier runs: reproducible
        ]  # fmt: skip
        with open(report, "wb") as out:
            finished = subprocess.run(
                command, env=env, cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT, timeout=400
            )
        output = report.read_text(errors="replace")
        assert finished.returncode == 0, output[-20000:]
        assert "Server error" not in output and " passed" in output, output[-5000:]
