# Two commands matter: `make up` starts Lifeboat, `make test` runs every test.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: up test install lint schemas bench clean

up: $(STAMP)
	$(BIN)/lifeboat up

test: $(STAMP)
	$(BIN)/python -m pytest

install: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy contracts libs

# Benchmarks (not tests): the compress+encrypt stage alone in MB/s, then a whole backup and restore
# of a 1 GB pgbench database (on the local PostgreSQL at 127.0.0.1:5432) through `lifeboat up`
# against pg_dump/zstd/pg_restore by hand; numbers in bench/results/latest.json.
# BENCH_LARGE=1 also backs up a 4x database for the executor's peak memory (slow).
bench: $(STAMP)
	mkdir -p bench/results
	bash -o pipefail -c '$(BIN)/python bench/pipeline_throughput.py | tee bench/results/pipeline_throughput.txt'
	$(BIN)/python bench/backup_vs_tools.py --pipeline-output bench/results/pipeline_throughput.txt $(if $(filter 1,$(BENCH_LARGE)),--large)
	bash -o pipefail -c '$(BIN)/python bench/scheduler_scale.py | tee bench/results/scheduler_scale.txt'

# Regenerate the checked-in JSON Schemas after changing an event in contracts/.
schemas: $(STAMP)
	$(BIN)/python -m contracts.export contracts/schemas

# Re-resolve the lock file after changing dependencies in pyproject.toml.
lock:
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 -o requirements.lock

clean:
	rm -rf $(VENV) var .pytest_cache
