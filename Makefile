# Two commands matter: `make up` starts Lifeboat, `make test` runs every test.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: up test install lint schemas bench soak clean

up: $(STAMP)
	$(BIN)/lifeboat up

# The lint gates run first: any finding fails `make test` before a test starts.
test: lint
	$(BIN)/python -m pytest

install: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

# ruff; mypy (files and strictness in pyproject's [tool.mypy]); the import contracts in
# pyproject's [tool.importlinter]: layers point down, no service imports another.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

# Benchmarks (not tests): the compress+encrypt stage alone in MB/s, then a whole backup and restore
# of a 1 GB pgbench database (on the local PostgreSQL at 127.0.0.1:5432) through `lifeboat up`
# against pg_dump/zstd/pg_restore by hand; numbers in bench/results/latest.json.
# BENCH_LARGE=1 also backs up a 4x database for the executor's peak memory (slow).
# Then the list routes under wrk (installed here when missing): /version, /servers, /backups?limit=50.
bench: $(STAMP)
	mkdir -p bench/results
	bash -o pipefail -c '$(BIN)/python bench/pipeline_throughput.py | tee bench/results/pipeline_throughput.txt'
	$(BIN)/python bench/backup_vs_tools.py --pipeline-output bench/results/pipeline_throughput.txt $(if $(filter 1,$(BENCH_LARGE)),--large)
	bash -o pipefail -c '$(BIN)/python bench/scheduler_scale.py | tee bench/results/scheduler_scale.txt'
	command -v wrk >/dev/null || (apt-get update && apt-get install -y wrk)
	bash -o pipefail -c '$(BIN)/python bench/list_routes.py | tee bench/results/list_routes.txt'

# The soak (not part of `make test`, which runs 3 minutes of it): the whole stack, a backup every few
# seconds and a random service `kill -9`ed every ~20 s for SOAK_MINUTES, then the invariants
# (every backup completed and verified or failed with a cause, none stuck, no duplicate artifact,
# no temp file, the audit chain valid); exits non-zero if one fails.
# SOAK_FLAGS=--kill-servers also kills the embedded NATS and PostgreSQL.
SOAK_MINUTES ?= 10
SOAK_FLAGS ?=
soak: $(STAMP)
	$(BIN)/python -m tests.e2e.soak --minutes $(SOAK_MINUTES) $(SOAK_FLAGS)

# Regenerate the checked-in JSON Schemas after changing an event in contracts/.
schemas: $(STAMP)
	$(BIN)/python -m contracts.export contracts/schemas

# Re-resolve the lock file after changing dependencies in pyproject.toml.
lock:
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 -o requirements.lock

clean:
	rm -rf $(VENV) var .pytest_cache
