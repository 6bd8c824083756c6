# make install | build | dev | docs | test | lint | format | lock   (a fresh clone needs nothing else)
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install lock manifest build dev docs test lint format clean

install: $(STAMP) manifest

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Every package at the version and hash requirements.lock names (the lock is
# complete: --no-deps, so pip resolves nothing itself), then this project.
$(STAMP): requirements.lock pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --require-hashes --no-deps -r requirements.lock
	$(BIN)/python -m pip install --no-deps -e .
	touch $@

# requirements.lock again from pyproject.toml: every dependency (dev extra
# included) pinned with its hashes, for every platform.
lock: $(STAMP)
	$(BIN)/uv pip compile pyproject.toml --extra dev --universal --generate-hashes \
		--python-version 3.11 --quiet -o requirements.lock

# The dbt manifest Dagster reads the dbt assets from: parsed again when the
# dbt project's digest differs from the one it was parsed from.
manifest: $(STAMP)
	$(BIN)/python -m orchestration.project

build: install   ## raw/ -> warehouse/disclosure.duckdb
	$(BIN)/disclosure build

# The UI and the daemon (sensor, schedule); runs and sensor cursors are kept in
# $DAGSTER_HOME, by default .dagster_home/ here.
DAGSTER_HOME ?= $(CURDIR)/.dagster_home
dev: install     ## the Dagster UI on http://127.0.0.1:3000
	mkdir -p $(DAGSTER_HOME)
	DAGSTER_HOME=$(DAGSTER_HOME) $(BIN)/dagster dev -w workspace.yaml

# The dbt docs site of the published warehouse, beside it (orchestration/docs.py).
docs: install
	$(BIN)/python -m orchestration.docs

test: install
	$(BIN)/python -m pytest

# What the linters read: ruff the Python, sqlfluff (.sqlfluff) the dbt project's
# SQL. .ci/run runs the same three checks; .pre-commit-config.yaml on each commit.
PY_SRC  := orchestration tests bench
SQL_SRC := dbt_project/models dbt_project/tests dbt_project/macros

lint: install
	$(BIN)/ruff check $(PY_SRC)
	$(BIN)/ruff format --check $(PY_SRC)
	$(BIN)/sqlfluff lint $(SQL_SRC)

# Rewrites the files: imports sorted, Python formatted, SQL fixed.
format: install
	$(BIN)/ruff check --select I --fix $(PY_SRC)
	$(BIN)/ruff format $(PY_SRC)
	$(BIN)/sqlfluff fix $(SQL_SRC)

clean:
	rm -rf warehouse dbt_project/target dbt_project/logs
