from __future__ import annotations

import functools
import json
import os
import signal
import socket
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any, Iterator, Protocol, Sequence

import duckdb
import pytest

from lead_funnel.dbt_runner import run_dbt
from lead_funnel.generation.dataset import GeneratorConfig, generate_to_dir
from lead_funnel.warehouse.connections import (
    LoaderError,
    postgres_connection,
    spark_cluster_connection,
    spark_session,
)
from lead_funnel.warehouse.loading import load_directory

import stamps

# Test tiers (the markers of pyproject.toml): a test that uses an engine's fixture carries that
# engine's mark, so `make check` (-m "not postgres and not spark and not spark_cluster and not
# slow") never builds on or starts a server. Collection stops on a test that lacks its mark.
ENGINE_FIXTURE_MARKS = {"postgres_marts": "postgres", "spark_marts": "spark",
                        "spark_cluster": "spark_cluster", "spark_cluster_marts": "spark_cluster"}


def engine_param(engine: str, *marks: pytest.MarkDecorator) -> Any:
    """`engine` as a pytest.param that carries its tier mark (DuckDB has none) and `marks`."""
    tier = [] if engine == "duckdb" else [getattr(pytest.mark, engine)]
    return pytest.param(engine, marks=[*tier, *marks], id=engine)


# `make pytest` and `make test` run three pytest processes side by side, one per lane
# (LEAD_FUNNEL_TEST_LANE; `make test` starts each as soon as the builds it reads are done):
# `spark`, the tests marked spark or spark_cluster; `postgres`, those marked postgres (and not
# spark); `duckdb`, every other test; MODULE_LANES moves whole DuckDB modules to balance the
# three (measured durations: BENCHMARKS.md "Test suite times"). A module's tests of one engine
# stay in one lane, so that its module fixtures run once.
ENGINE_MARKS = ("postgres", "spark", "spark_cluster")
LANES = ("spark", "postgres", "duckdb")
MODULE_LANES = {"test_build_sequences.py": "spark", "test_bad_config.py": "spark",
                "test_publish.py": "spark", "test_incremental.py": "postgres",
                "test_connector_salesforce.py": "postgres", "test_orchestration.py": "postgres",
                "test_reliability.py": "postgres"}


def lane_of(item: pytest.Item) -> str:
    if item.get_closest_marker("spark") or item.get_closest_marker("spark_cluster"):
        return "spark"
    if item.get_closest_marker("postgres"):
        return "postgres"
    return MODULE_LANES.get(item.path.name, "duckdb")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    unmarked = [f"{item.nodeid} uses {fixture} without @pytest.mark.{mark}"
                for item in items for fixture, mark in ENGINE_FIXTURE_MARKS.items()
                if fixture in getattr(item, "fixturenames", ()) and item.get_closest_marker(mark) is None]
    if unmarked:
        raise pytest.UsageError("tests missing their tier mark:\n" + "\n".join(unmarked))
    lane = os.environ.get("LEAD_FUNNEL_TEST_LANE")
    if lane:
        if lane not in LANES:
            raise pytest.UsageError(f"LEAD_FUNNEL_TEST_LANE={lane}: one of {', '.join(LANES)}")
        lanes = {item.nodeid: lane_of(item) for item in items}
        other = [item for item in items if lanes[item.nodeid] != lane]
        if other:
            config.hook.pytest_deselected(items=other)
            items[:] = [item for item in items if lanes[item.nodeid] == lane]


def pytest_configure(config: pytest.Config) -> None:
    # SIGTERM (a CI runner cancelling the job, `kill`, make forwarding it) ends the session the way
    # Ctrl-C does: pytest then tears the session fixtures down, so the Spark cluster and the
    # sessions it started are stopped. A second SIGTERM kills at once.
    def interrupt(signum: int, frame: Any) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupt)


@pytest.fixture(scope="session", autouse=True)
def dbt_file_log_off() -> Iterator[None]:
    """The suite's dbt runs write no dbt.log (DBT_LOG_LEVEL_FILE=none) unless the developer set
    the variable: no test reads that file, and dbt's debug-level file log costs about a sixth of
    the CPU time of a fixture build (BENCHMARKS.md "Test suite times"). What a failed run printed
    is in the test's failure message."""
    with pytest.MonkeyPatch.context() as patch:
        if "DBT_LOG_LEVEL_FILE" not in os.environ:
            patch.setenv("DBT_LOG_LEVEL_FILE", "none")
        yield


@pytest.fixture(scope="session", autouse=True)
def dbt_paths_of_this_lane() -> Iterator[None]:
    """`make pytest` runs three pytest processes side by side (LEAD_FUNNEL_TEST_LANE, see
    lane_of); the dbt runs that use the project's default target and log paths (the fixture
    builds, `lead-funnel` commands) get a directory per lane, so that two processes never write
    one manifest, partial-parse file or run_results.json at once."""
    lane = os.environ.get("LEAD_FUNNEL_TEST_LANE")
    if not lane:
        yield
        return
    with pytest.MonkeyPatch.context() as patch:
        for name, sub in (("DBT_TARGET_PATH", "target"), ("DBT_LOG_PATH", "logs")):
            if name not in os.environ:
                patch.setenv(name, str(PROJECT_DIR / "target" / f"pytest-{lane}" / sub))
        yield


SMALL = GeneratorConfig(contacts=2_000, seed=7, dirty_rate=0.05, as_of="2025-06-30T12:00:00Z")


@pytest.fixture(scope="session")
def small_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("raw_small")
    generate_to_dir(out, SMALL)
    return out


@pytest.fixture(scope="session")
def small_manifest(small_dataset: Path) -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads((small_dataset / "manifest.json").read_text())
    return manifest


# The hand-made raw fixture (tests/fixtures/raw) and the as_of its expectations were worked out at.
FIXTURE_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "raw"
FIXTURE_AS_OF = "2024-07-01T00:00:00Z"
PROJECT_DIR = Path(__file__).resolve().parents[2]

# What the session did for each engine (reused a stamped build or built it), printed as it
# happens and again in a "fixture builds" section of the terminal summary.
FIXTURE_BUILDS: list[str] = []


def announce(config: pytest.Config, message: str) -> None:
    FIXTURE_BUILDS.append(message)
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"[fixture builds] {message}")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if FIXTURE_BUILDS:
        terminalreporter.section("fixture builds")
        for message in FIXTURE_BUILDS:
            terminalreporter.write_line(message)


@functools.cache
def current_inputs_hash() -> str:
    return stamps.inputs_hash(PROJECT_DIR)


def stamped_build(config: pytest.Config, engine: str) -> stamps.StampCheck:
    """Whether `make dbt-test[-postgres|-spark]` left a build of `engine` made from the current
    inputs (its stamp, see tests/python/stamps.py); announces the decision either way."""
    result = stamps.check(engine, {"as_of": FIXTURE_AS_OF}, project=PROJECT_DIR,
                          current_hash=current_inputs_hash())
    for flag in ("LEAD_FUNNEL_FIXTURE_PG", "LEAD_FUNNEL_FIXTURE_SPARK"):
        if engine in flag.lower() and os.environ.get(flag):
            announce(config, f"{engine}: {flag} is no longer read; the build stamp decides")
    if result.current:
        announce(config, f"{engine}: reusing the prebuilt fixture ({result.reason})")
    else:
        announce(config, f"{engine}: building the fixture in this session ({result.reason})")
    return result


@pytest.fixture(scope="session")
def fixture_db(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Path:
    """DuckDB file with the project built on the fixture.

    `make dbt-test` builds it (dbt build with every data and unit test) and stamps it; it is
    reused when the stamp matches the current inputs, else pytest builds it here. A file named
    in LEAD_FUNNEL_FIXTURE_DB is used as given (announced, not checked against a stamp).
    """
    given = os.environ.get("LEAD_FUNNEL_FIXTURE_DB")
    if given and Path(given).is_file():
        announce(request.config, f"duckdb: using LEAD_FUNNEL_FIXTURE_DB={given} as given "
                 "(not checked against a build stamp)")
        return Path(given)
    if given:
        announce(request.config, f"duckdb: LEAD_FUNNEL_FIXTURE_DB={given} does not exist")
    stamp = stamped_build(request.config, "duckdb")
    built = Path(str(stamp.record.get("database", "")))
    if stamp.current and built.is_file():
        return built
    if stamp.current:
        announce(request.config, f"duckdb: the stamped database {built} is gone; building here")
    database = tmp_path_factory.mktemp("fixture") / "fixture.duckdb"
    load_directory(FIXTURE_DIR, str(database), "raw")
    run_dbt("build", as_of=FIXTURE_AS_OF, database=database)
    return database


@pytest.fixture(scope="session")
def marts_duckdb(fixture_db: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect(str(fixture_db), read_only=True)
    yield connection
    connection.close()


@pytest.fixture(scope="session")
def marts(marts_duckdb: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    return marts_duckdb


def load_and_build_fixture(engine: str, extra_args: Sequence[str] = ()) -> None:
    """Load the raw fixture into `engine` and `dbt build` the project there (profile output
    `engine`). The load runs in a process of its own: a local Spark session loaded here would
    keep the Derby metastore locked for as long as this JVM lives, and dbt could not open it."""
    loaded = subprocess.run([str(Path(sys.executable).parent / "lead-funnel"), "load",
                             "--engine", engine, "--data", str(FIXTURE_DIR)],
                            cwd=PROJECT_DIR, capture_output=True, text=True, check=False)
    assert loaded.returncode == 0, loaded.stdout[-3000:] + loaded.stderr[-3000:]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LEAD_FUNNEL_TARGET", engine)
        run_dbt("build", as_of=FIXTURE_AS_OF, extra_args=extra_args)


def build_fixture_on(engine: str) -> None:
    """The fixture built on `engine` (load_and_build_fixture), stamped like
    `make dbt-test-<engine>` does, so the next session reuses it."""
    stamps.begin(engine, {"as_of": FIXTURE_AS_OF}, project=PROJECT_DIR)
    load_and_build_fixture(engine)
    stamps.commit(engine, project=PROJECT_DIR)


class Cursor(Protocol):
    description: Any

    def fetchall(self) -> list[Any]: ...


class Marts(Protocol):
    """What the mart tests need of a connection: execute(sql) -> cursor (DuckDB or PostgreSQL)."""

    def execute(self, sql: str, /) -> Cursor: ...


class PostgresMarts:
    def __init__(self, connection: Any) -> None:
        self.connection = connection

    def execute(self, sql: str, /) -> Cursor:
        cursor = self.connection.cursor()
        cursor.execute(sql)
        return cursor


@pytest.fixture(scope="session")
def postgres_marts(request: pytest.FixtureRequest) -> Iterator[Marts]:
    """The same fixture built on PostgreSQL (connection from the LEAD_FUNNEL_PG_* variables).

    `make test` starts a local server (scripts/postgres_up.sh), builds the fixture there and
    stamps it; pytest reuses it when the stamp matches the current inputs, else builds it here.
    No server is an error, not a skip.
    """
    try:
        connection = postgres_connection()
    except LoaderError as exc:
        pytest.fail(f"{exc}: start it with scripts/postgres_up.sh and export the LEAD_FUNNEL_PG_* "
                    "variables")
    if not stamped_build(request.config, "postgres").current:
        build_fixture_on("postgres")
    connection.autocommit = True
    yield PostgresMarts(connection)
    connection.close()


class FetchedCursor:
    """Rows already fetched, with their column description (name first)."""

    def __init__(self, description: Any, fetched: list[Any]) -> None:
        self.description = description
        self._rows = fetched

    def fetchall(self) -> list[Any]:
        return self._rows


class SparkMarts:
    def __init__(self, session: Any) -> None:
        self.session = session

    def execute(self, sql: str, /) -> Cursor:
        frame = self.session.sql(sql)
        return FetchedCursor([(name,) for name in frame.columns],
                             [tuple(row) for row in frame.collect()])


@pytest.fixture(scope="session")
def spark_marts(request: pytest.FixtureRequest) -> Iterator[Marts]:
    """The same fixture built on Spark (a local session, as the dbt profile's `spark` output).

    `make test` builds it (dbt-test-spark) and stamps it; pytest reuses it when the stamp matches
    the current inputs, else loads and builds it here. Timestamps come back as naive UTC: the session and this
    process both run in UTC.
    """
    import time

    os.environ["TZ"] = "UTC"
    time.tzset()
    if not stamped_build(request.config, "spark").current:
        build_fixture_on("spark")
    session = spark_session()
    yield SparkMarts(session)
    session.stop()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def spark_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A Spark standalone cluster (a master, two workers) with a Thrift server in front of it,
    started by scripts/spark_cluster.sh on free loopback ports and stopped when the tests end;
    the LEAD_FUNNEL_SPARK_* variables point the loader and the profile's `spark_cluster` output
    at it meanwhile."""
    state = tmp_path_factory.mktemp("spark_cluster")
    settings = {"LEAD_FUNNEL_SPARK_CLUSTER_DIR": str(state),
                "LEAD_FUNNEL_SPARK_PORT": str(free_port()),
                "LEAD_FUNNEL_SPARK_MASTER_PORT": str(free_port())}
    script = PROJECT_DIR / "scripts" / "spark_cluster.sh"
    with pytest.MonkeyPatch.context() as patch:
        for name, value in settings.items():
            patch.setenv(name, value)
        try:
            started = subprocess.run(["bash", str(script), "up"], capture_output=True, text=True,
                                     check=False)
            if started.returncode != 0:
                pytest.fail("the Spark cluster did not start:\n" + started.stdout
                            + started.stderr)
            yield settings
        finally:
            subprocess.run(["bash", str(script), "down"], capture_output=True, check=False)


class ThriftMarts:
    """Marts read through the Spark Thrift server (PyHive): dates come back as ISO text and are
    turned into dates, as the other engines return them."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection

    def execute(self, sql: str, /) -> Cursor:
        cursor = self.connection.cursor()
        cursor.execute(sql)
        dates = [index for index, column in enumerate(cursor.description)
                 if column[1] == "DATE_TYPE"]
        fetched = [tuple(date.fromisoformat(value) if index in dates and value is not None
                         else value for index, value in enumerate(row))
                   for row in cursor.fetchall()]
        return FetchedCursor(cursor.description, fetched)


@pytest.fixture(scope="session")
def spark_cluster_marts(spark_cluster: dict[str, str]) -> Iterator[Marts]:
    """The fixture built on the Spark cluster through dbt-spark's `thrift` method (profile
    output `spark_cluster`), loaded through the same Thrift server: every worked example runs
    there too. Built in this session: the cluster lives only as long as the tests."""
    # Seeds and models: the data and unit tests run the same SQL on the same engine in the
    # Spark session build (`make dbt-test-spark`); through the Thrift server each statement
    # waits for dbt-spark's poll, so the 260 data tests alone took about four minutes here.
    load_and_build_fixture("spark_cluster",
                           ["--target-path", str(PROJECT_DIR / "target" / "spark_cluster"),
                            "--exclude-resource-type", "unit_test", "test"])
    connection = spark_cluster_connection()
    yield ThriftMarts(connection)
    connection.close()
