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

# Benchmarks (not tests): for now the compress+encrypt stage alone, in MB/s.
bench: $(STAMP)
	$(BIN)/python bench/pipeline_throughput.py

# Regenerate the checked-in JSON Schemas after changing an event in contracts/.
schemas: $(STAMP)
	$(BIN)/python -m contracts.export contracts/schemas

# Re-resolve the lock file after changing dependencies in pyproject.toml.
lock:
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 -o requirements.lock

clean:
	rm -rf $(VENV) var .pytest_cache
