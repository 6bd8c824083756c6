# make install | build | dev | test | lint        (a fresh clone needs nothing else)
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install manifest build dev test lint clean

install: $(STAMP) manifest

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -e '.[dev]'
	touch $@

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

test: install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check orchestration tests

clean:
	rm -rf warehouse dbt_project/target dbt_project/logs
