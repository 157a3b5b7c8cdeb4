# lead_funnel — two commands do everything on a fresh machine:
#   make demo   build the funnel on DuckDB from generated sample data, print a summary, validate it
#   make test   every test: sqlfluff, mypy, dbt build (data + unit tests) on fixtures on DuckDB,
#               PostgreSQL (started locally by scripts/postgres_up.sh) and Spark, pytest
# and the fast tier while you work:
#   make check  sqlfluff, mypy, the DuckDB fixture build, the pytest tests without a tier mark
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export DO_NOT_TRACK := 1
export LEAD_FUNNEL_PROJECT_DIR := $(CURDIR)
# The local Spark session binds to loopback only. Spark's default of 200 shuffle partitions is
# for cluster-sized data; the test data is tiny (the fixture's models: 60 s -> 44 s with 4).
export SPARK_LOCAL_IP := 127.0.0.1
export LEAD_FUNNEL_SPARK_SHUFFLE_PARTITIONS ?= 4

# PostgreSQL for the cross-engine tests: a local throwaway server started by
# scripts/postgres_up.sh, unless LEAD_FUNNEL_PG_HOST points at one you run yourself. The password
# is drawn once per make run and only ever passed through the environment.
export LEAD_FUNNEL_PG_USER ?= lead_funnel
export LEAD_FUNNEL_PG_DATABASE ?= lead_funnel
ifndef LEAD_FUNNEL_PG_PASSWORD
LEAD_FUNNEL_PG_PASSWORD := $(shell $(PYTHON) -c 'import secrets; print(secrets.token_hex(12))')
endif
export LEAD_FUNNEL_PG_PASSWORD

FIXTURE_DB := $(CURDIR)/target/fixture.duckdb
FIXTURE_AS_OF := 2024-07-01T00:00:00Z
DBT := $(BIN)/dbt
DBT_FLAGS := --project-dir $(CURDIR) --profiles-dir $(CURDIR)/profiles
# Each engine build brackets itself with a stamp (target/stamps/<engine>.json: the hash of the
# inputs it was built from, see tests/python/stamps.py); pytest reuses a build only when its
# stamp matches the current inputs, and builds the engine itself otherwise. The stamps are a
# cache of the test builds, so the module lives with the tests, not in the installed package.
STAMP := PYTHONPATH=$(CURDIR)/tests/python$${PYTHONPATH:+:$$PYTHONPATH} $(BIN)/python -m stamps

.PHONY: help demo bench bench-engines test check lint dbt-test dbt-test-postgres dbt-test-spark postgres-up spark-cluster-up spark-cluster-down pytest venv lock clean metrics-validate orchestration chromium parity

help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(firstword $(MAKEFILE_LIST)) | \
		awk 'BEGIN {FS = ":.*## "} {printf "  %-18s %s\n", $$1, $$2}'

# The packages are installed by uv (pinned here, itself from PyPI), which fetches and unpacks
# them in parallel: the locked set took about 2 minutes with pip and 40 s with uv on a cold
# cache. The venv keeps pip for anyone who installs by hand.
UV_VERSION := 0.13.10
UV_INSTALL := $(BIN)/uv pip install --quiet --python $(BIN)/python
$(BIN)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet uv==$(UV_VERSION)
	$(UV_INSTALL) -r requirements.txt
	$(UV_INSTALL) --no-deps -e .
	touch $@

venv: $(BIN)/.installed ## create .venv from the pinned requirements (once)

demo: venv ## generate sample data, load it into DuckDB, dbt build, summary, validate
	$(BIN)/lead-funnel demo
	$(BIN)/lead-funnel validate
	$(BIN)/lead-funnel report --out funnel_report.html

# Figures, never pass/fail (BENCHMARKS.md): T0 (fixture build), full and incremental builds on
# BENCH_CONTACTS generated contacts, the floor query, ratios, slowest models.
BENCH_CONTACTS ?= 100000
bench: venv ## benchmark: T0, full and next-day incremental dbt build on BENCH_CONTACTS (100000) contacts, floor query
	$(BIN)/lead-funnel benchmark --contacts $(BENCH_CONTACTS)

# The same full build and one-day refresh on PostgreSQL, a local Spark session and the local
# Spark cluster (started and stopped here, its driver's UI on SPARK_UI_PORT so that the
# benchmark reads what each build shuffled), each in a workspace of its own.
SPARK_UI_PORT ?= 4040
bench-engines: venv postgres-up ## full build + one-day refresh of BENCH_CONTACTS on postgres, spark and spark_cluster
	$(BIN)/lead-funnel benchmark --engine postgres --contacts $(BENCH_CONTACTS)
	$(BIN)/lead-funnel benchmark --engine spark --contacts $(BENCH_CONTACTS)
	export LEAD_FUNNEL_SPARK_UI_PORT=$(SPARK_UI_PORT); bash scripts/spark_cluster.sh up && \
	$(BIN)/lead-funnel benchmark --engine spark_cluster --contacts $(BENCH_CONTACTS); \
		status=$$?; bash scripts/spark_cluster.sh down; exit $$status

# A Spark standalone cluster on loopback (a master, two workers, a Thrift server), state in
# ./spark-cluster; the profile's `spark_cluster` output reaches it. pytest starts its own.
spark-cluster-up: venv ## start the local Spark cluster + Thrift server (scripts/spark_cluster.sh)
	bash scripts/spark_cluster.sh up
spark-cluster-down: ## stop it
	bash scripts/spark_cluster.sh down

# sqlfluff's dbt templater compiles the project: into target/lint, so that it can run beside a
# dbt build (make check runs the two side by side).
lint: venv ## sqlfluff lint and mypy
	DBT_TARGET_PATH=$(CURDIR)/target/lint DBT_LOG_PATH=$(CURDIR)/logs/lint \
		$(BIN)/sqlfluff lint models analyses tests
	$(BIN)/mypy src tests/python

# dbt build (seeds, models, data tests, unit tests) on the hand-made fixture of tests/fixtures/raw.
dbt-test: venv ## dbt build (data + unit tests) on the fixture on DuckDB; stamps the build
	mkdir -p target
	$(STAMP) begin duckdb database=$(FIXTURE_DB) as_of=$(FIXTURE_AS_OF)
	rm -f $(FIXTURE_DB)
	$(BIN)/lead-funnel load --data tests/fixtures/raw --database $(FIXTURE_DB)
	LEAD_FUNNEL_DUCKDB=$(FIXTURE_DB) $(DBT) build $(DBT_FLAGS) --warn-error \
		--vars '{as_of: "$(FIXTURE_AS_OF)"}'
	$(STAMP) commit duckdb

postgres-up: ## start the local PostgreSQL server (unless LEAD_FUNNEL_PG_HOST is set)
ifndef LEAD_FUNNEL_PG_HOST
	bash scripts/postgres_up.sh
endif

# The same build, data tests and unit tests on PostgreSQL.
# --full-refresh: the server's database outlives a run (the incremental models would build on it).
dbt-test-postgres: venv postgres-up ## the same build on PostgreSQL; stamps the build
	$(STAMP) begin postgres as_of=$(FIXTURE_AS_OF)
	$(BIN)/lead-funnel load --engine postgres --data tests/fixtures/raw
	LEAD_FUNNEL_TARGET=postgres $(DBT) build $(DBT_FLAGS) --target-path $(CURDIR)/target/postgres \
		--log-path $(CURDIR)/logs/postgres \
		--warn-error --full-refresh --vars '{as_of: "$(FIXTURE_AS_OF)"}'
	$(STAMP) commit postgres

# The same build, data tests and unit tests on a local Spark session (pyspark, Java 17); its
# catalog lives in ./spark-warehouse and ./metastore_db, made afresh.
dbt-test-spark: venv ## the same build on a local Spark session; stamps the build
	$(STAMP) begin spark as_of=$(FIXTURE_AS_OF)
	rm -rf spark-warehouse metastore_db derby.log
	$(BIN)/lead-funnel load --engine spark --data tests/fixtures/raw
	LEAD_FUNNEL_TARGET=spark $(DBT) build $(DBT_FLAGS) --target-path $(CURDIR)/target/spark \
		--log-path $(CURDIR)/logs/spark \
		--warn-error --vars '{as_of: "$(FIXTURE_AS_OF)"}'
	$(STAMP) commit spark

# The semantic layer (models/semantic/): `mf validate-configs` checks the semantic models and
# metrics, then queries every dimension, measure and metric on the fixture build. mf reads
# <project root>/target/semantic_manifest.json whatever DBT_TARGET_PATH says, so it runs in a
# project root of its own (dbt_project.yml, a parse into its target/, a copy of the fixture);
# the parse names the DuckDB file mf then reads (the manifest holds its database name).
MF_ROOT := $(CURDIR)/target/metricflow
metrics-validate: dbt-test ## mf validate-configs: semantic models and metrics, checked against the fixture build
	rm -rf $(MF_ROOT) && mkdir -p $(MF_ROOT)/target
	cp dbt_project.yml $(MF_ROOT)/ && cp $(FIXTURE_DB) $(MF_ROOT)/fixture.duckdb
	LEAD_FUNNEL_DUCKDB=$(MF_ROOT)/fixture.duckdb DBT_TARGET_PATH=$(MF_ROOT)/target \
		DBT_LOG_PATH=$(MF_ROOT)/logs $(DBT) parse $(DBT_FLAGS)
	cd $(MF_ROOT) && DBT_PROFILES_DIR=$(CURDIR)/profiles DBT_LOG_PATH=$(MF_ROOT)/logs \
		LEAD_FUNNEL_DUCKDB=$(MF_ROOT)/fixture.duckdb $(CURDIR)/$(BIN)/mf validate-configs

# The optional extra `orchestration` (Dagster, orchestration/): its full pinned set, installed
# into .venv once (tests/python/test_orchestration.py runs the daily job in-process).
orchestration: $(BIN)/.orchestration ## install the Dagster extra (requirements-orchestration.txt) into .venv
$(BIN)/.orchestration: $(BIN)/.installed requirements-orchestration.txt
	$(UV_INSTALL) -r requirements-orchestration.txt
	touch $@

# Debian's headless browser for the report's page test (tests/python/test_report.py).
chromium: ## install Debian's chromium + chromium-driver unless present
	bash scripts/chromium_up.sh

# The same generated dirty sample (2,000 contacts) built on DuckDB, PostgreSQL and Spark, a base
# build and a next-day incremental one, every mart compared across engines; dbt source freshness
# on each engine (tests/python/test_engine_parity.py, part of `make pytest`).
parity: venv postgres-up ## engine parity alone: the same marts on DuckDB, PostgreSQL and Spark
	$(BIN)/pytest -q tests/python/test_engine_parity.py

# pytest reuses an engine build whose stamp matches the current inputs and builds any other
# engine in the session; it prints which (a "fixture builds" section at the end).
# Three pytest processes side by side, each printing its output when it ends: the Spark lane,
# the PostgreSQL lane and the DuckDB lane (tests/python/conftest.py, lane_of; whole DuckDB
# modules are moved between them to balance). Each lane's dbt runs get their own default target
# and log directories, and every test that builds does so in a workspace of its own. Much of
# the suite waits (a JVM per Spark statement, the PostgreSQL server), so three processes keep
# two cores busier than two.
PYTEST_LANES := spark postgres duckdb
# one lane's pytest, in a recipe of a pattern rule whose stem is the lane
LANE_PYTEST = LEAD_FUNNEL_TEST_LANE=$* $(BIN)/pytest -q
pytest: venv postgres-up orchestration chromium ## pytest on the three engines (reuses only up-to-date stamped builds)
	$(MAKE) --no-print-directory -j3 --output-sync=target $(addprefix pytest-lane-,$(PYTEST_LANES))

.PHONY: $(addprefix pytest-lane-,$(PYTEST_LANES))
$(addprefix pytest-lane-,$(PYTEST_LANES)): pytest-lane-%:
	$(LANE_PYTEST)

# Every test, as three chains side by side (three make jobs; their dbt runs use distinct target
# and log paths), each ending in its pytest lane as soon as what the lane reads is built: the
# DuckDB fixture build (every lane reads it) and its own engine's fixture build; lint, the
# semantic layer and chromium come before the DuckDB lane. So the PostgreSQL lane starts while
# the Spark build still runs, instead of every lane waiting for the slowest build.
test: venv ## every test: lint, the three engine builds (data + unit tests), pytest
	$(MAKE) --no-print-directory -j3 --output-sync=target $(addprefix test-lane-,$(PYTEST_LANES))

.PHONY: $(addprefix test-lane-,$(PYTEST_LANES))
test-lane-postgres: dbt-test dbt-test-postgres orchestration
test-lane-spark: dbt-test dbt-test-spark
test-lane-duckdb: dbt-test lint metrics-validate postgres-up orchestration chromium
$(addprefix test-lane-,$(PYTEST_LANES)): test-lane-%:
	$(LANE_PYTEST)

# The fast tier: the pytest tests that carry none of the tier marks of pyproject.toml (postgres,
# spark, spark_cluster, slow); no server is started. Its measured time: BENCHMARKS.md.
FAST_TESTS := not postgres and not spark and not spark_cluster and not slow
# Lint and the fixture build run side by side (two cores), then pytest.
check: venv ## the fast tier: lint, the DuckDB fixture build (data + unit tests), pytest -m "$(FAST_TESTS)"
	$(MAKE) --no-print-directory -j2 --output-sync=target lint dbt-test
	$(BIN)/pytest -q -m "$(FAST_TESTS)"

# Regenerate the full lock from the top-level pins of requirements.in.
lock: ## regenerate requirements.txt from requirements.in
	rm -rf /tmp/lead_funnel_lock && $(PYTHON) -m venv /tmp/lead_funnel_lock
	/tmp/lead_funnel_lock/bin/pip install --quiet -r requirements.in
	(echo "# Full lock generated by 'make lock' from requirements.in. Do not edit by hand."; \
	 /tmp/lead_funnel_lock/bin/pip freeze) > requirements.txt

clean: ## remove the venv, builds, sample data and local engine state
	bash scripts/spark_cluster.sh down
	rm -rf target logs $(VENV) lead_funnel.duckdb data spark-warehouse metastore_db derby.log spark-cluster
