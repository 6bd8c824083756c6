# make install | build | dev | test | lint        (a fresh clone needs nothing else)
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
MANIFEST := dbt_project/target/manifest.json
DBT_SOURCES := $(shell find dbt_project/models dbt_project/macros dbt_project/seeds -type f) \
               dbt_project/dbt_project.yml dbt_project/profiles.yml

.PHONY: install manifest build dev test lint clean

install: $(STAMP) $(MANIFEST)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -e '.[dev]'
	touch $@

# The dbt manifest Dagster reads the dbt assets from.
$(MANIFEST): $(STAMP) $(DBT_SOURCES)
	$(BIN)/dagster-dbt project prepare-and-package --file orchestration/project.py
	touch $@

manifest: $(STAMP)
	$(BIN)/dagster-dbt project prepare-and-package --file orchestration/project.py

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
