# Sauti: two commands for a newcomer.
#   make run   - install, migrate the embedded SQLite database, create the demo workspace, serve on :8000
#   make test  - install test dependencies, then lint, type-check and run the whole suite (PostgreSQL included)

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# setuptools warns on every editable install that a folder named like the package could shadow it: that folder
# is the package itself, so the warning says nothing here
PIP := PYTHONWARNINGS="ignore:Editable installation" $(BIN)/pip
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run test lint types unit bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(PIP) install -q -e .
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(PIP) install -q -e '.[test]'
	touch $@ $(STAMP)

run: $(STAMP)
	$(BIN)/sauti migrate
	$(BIN)/sauti demo
	$(BIN)/sauti run

lint: $(TEST_STAMP)
	$(BIN)/ruff check sauti tests bench
	$(BIN)/ruff format --check sauti tests bench

types: $(TEST_STAMP)
	$(BIN)/mypy

unit: $(TEST_STAMP)
	$(BIN)/pytest -q -n 2 --dist loadgroup

test: lint types unit

bench: $(TEST_STAMP)
	$(BIN)/python -m bench.contacts
	$(BIN)/python -m bench.messaging
	$(BIN)/python -m bench.campaigns
	$(BIN)/python -m bench.flows

clean:
	rm -rf $(VENV) data .mypy_cache .ruff_cache .pytest_cache
