# The front door. `make demo` and `make test` install what they need (locked versions) on first use.
SHELL := /bin/bash
.DEFAULT_GOAL := help

UV_VERSION := 0.13.8
UV := $(shell command -v uv 2>/dev/null || echo $(CURDIR)/.tools/bin/uv)
VENV := $(CURDIR)/.venv
BIN := $(VENV)/bin
export CUSTOMS_HOME ?= $(CURDIR)/.customs
# uv must use this machine's Python and compile bytecode (imports are twice as slow without it).
export UV_PYTHON_DOWNLOADS := never
export UV_COMPILE_BYTECODE := 1
export UV_PROJECT_ENVIRONMENT := $(VENV)

DEMO_START ?= 2026-09-01
DEMO_DAYS ?= 30
DEMO_END ?= 2026-09-30
# The month whose regulator report packages the demo builds (customs report).
DEMO_MONTH ?= $(shell echo $(DEMO_START) | cut -c1-7)
DEMO_SEED ?= 42
DEMO_SCALE ?= 1.0
# The demo's order API (customs serve-sample); the port is also in config/sources.demo.yml.
DEMO_API_PORT := 8765

.PHONY: help install demo evaluate test lint format clean

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(CURDIR)/.tools/bin/uv:
	python3 -m venv $(CURDIR)/.tools
	$(CURDIR)/.tools/bin/pip install --quiet uv==$(UV_VERSION)

$(BIN)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --locked
	@touch $@

install: $(BIN)/.synced  ## Create .venv from uv.lock (bootstraps uv if absent)

demo: install  ## Generate 30 days of sample feeds and run them end to end (one feed over HTTP)
	$(BIN)/customs generate --out $(CUSTOMS_HOME)/sample --start $(DEMO_START) \
		--days $(DEMO_DAYS) --seed $(DEMO_SEED) --scale $(DEMO_SCALE) --source-formats
	@set -e; export CUSTOMS_SECRET_DEMO_API_TOKEN=demo-only-token; \
	$(BIN)/customs serve-sample --dir $(CUSTOMS_HOME)/sample/api --port $(DEMO_API_PORT) \
		--token $$CUSTOMS_SECRET_DEMO_API_TOKEN --faults ok,ok,ok,ok,ok,ok,ok,ok,ok,429,ok,500 & \
	server=$$!; trap 'kill $$server 2>/dev/null || true' EXIT; \
	CUSTOMS_SOURCES=$(CURDIR)/config/sources.demo.yml $(BIN)/customs run \
		--landing $(CUSTOMS_HOME)/sample/landing --start $(DEMO_START) --end $(DEMO_END) --full-refresh
	$(BIN)/customs report --month $(DEMO_MONTH)
	$(BIN)/customs verify
	$(BIN)/python -m customs.dbt_docs
	@echo "Report packages: $(CUSTOMS_HOME)/reports/<jurisdiction>/$(DEMO_MONTH)/ (check: customs verify)"
	@echo "Data Docs:       $(CUSTOMS_HOME)/data_docs/index.html"
	@echo "dbt docs:        $(CUSTOMS_HOME)/dbt_docs/index.html"

# The generator's answer key, which the pipeline never reads (written by `make demo`).
LABELS ?= $(CUSTOMS_HOME)/sample/labels/labels.parquet

evaluate: install  ## Measure the risk ranking against the labels (precision@n%, revenue@n%)
	$(BIN)/customs evaluate --labels $(LABELS)

test: install lint  ## Lint, then run the whole test suite
	$(BIN)/python -m pytest

.PHONY: test-spark
test-spark: install  ## Build the marts on Spark (local) and compare them row for row with DuckDB
	$(UV) sync --locked --extra spark --inexact
	$(BIN)/python -m pytest tests/spark

lint: install  ## ruff (Python) and sqlfluff (dbt SQL)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/sqlfluff lint dbt_project --processes 2

format: install  ## Apply ruff formatting and sqlfluff fixes
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .
	$(BIN)/sqlfluff fix dbt_project --processes 2

clean:  ## Remove the environment, tools and all runtime state (CUSTOMS_HOME)
	rm -rf $(VENV) $(CURDIR)/.tools $(CUSTOMS_HOME) .pytest_cache .ruff_cache \
		dbt_project/target dbt_project/logs

# A local Airflow on CUSTOMS_HOME's SQLite metadata DB (customs/airflow_server.py).
AIRFLOW_PORT ?= 8080

.PHONY: airflow
airflow: install  ## Start Airflow (scheduler, DAG processor, API server and UI) in the background
	$(BIN)/customs airflow start --port $(AIRFLOW_PORT)

.PHONY: airflow-stop
airflow-stop:  ## Stop the Airflow that `make airflow` started
	$(BIN)/customs airflow stop

# Benchmark: scale data under BENCH_HOME (never in the repository), every stage timed in its own
# process, results in docs/benchmarks.md. Large scales (above 1M) run BENCH_RUNS_LARGE times.
BENCH_SCALES ?= 1M,10M
BENCH_RUNS ?= 3
BENCH_RUNS_LARGE ?= 1
BENCH_HOME ?= /tmp/customs-bench
.PHONY: bench
bench: install  ## Benchmark 1M and 10M declaration items (BENCH_SCALES, BENCH_RUNS, BENCH_HOME)
	$(BIN)/python -m bench --scales $(BENCH_SCALES) --runs $(BENCH_RUNS) \
		--runs-large $(BENCH_RUNS_LARGE) --home $(BENCH_HOME)
