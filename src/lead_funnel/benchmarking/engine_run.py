"""The same daily cost on another engine: a full ``dbt build`` and a one-day refresh.

``lead-funnel benchmark --engine postgres|spark|spark_cluster --contacts N`` generates the same
set as the DuckDB benchmark (:mod:`lead_funnel.benchmarking.duckdb_run`), loads it into the
engine, times a full ``dbt build`` (seeds, models, data and unit tests), appends the next day
as the EL tool would (``generate --next-day``, ``load --append``) and times a plain
``dbt build`` with ``as_of`` one day on; it prints both with the slowest models of each
(``run_results.json``); on the Spark cluster, when its driver serves the UI, what each build
shuffled (:mod:`.spark_stages`). The floor query is DuckDB's and is not repeated here.

The reference (unless ``reference=False``): T0 on the engine (the fixture build,
tests/fixtures/raw, in a database or catalog of its own) and, in the same process, DuckDB's T0
and full build of the same generated files, so that the report prints the engine's cost above
its fixed cost against DuckDB's: (engine full - engine T0) / (DuckDB full - DuckDB T0).

Each engine gets a workspace of its own, so that the fixture builds of ``make test`` are left
alone: PostgreSQL builds in the database ``<LEAD_FUNNEL_PG_DATABASE>_bench`` (dropped and created:
the role needs CREATEDB), the local Spark session keeps its catalog in the work directory (the
loads and builds run from there), the Spark cluster is the one the LEAD_FUNNEL_SPARK_* variables
name (``scripts/spark_cluster.sh up``; its catalog is the Thrift server's, the benchmark's raw
schema replaces the tables there). Peak memory is the dbt process tree's: it includes the local
Spark session's JVM but not a PostgreSQL server or the cluster's processes.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from lead_funnel.benchmarking.builds import (
    FIXTURE_AS_OF,
    BuildFigures,
    duckdb_fixture_build,
    row_counts_text,
    slowest_models_lines,
    timed_build,
    work_directory,
)
from lead_funnel.benchmarking.spark_stages import (
    UI_PORT_VARIABLE,
    ShuffleFigures,
    SparkStagesClient,
    last_stage_id,
    shuffle_figures,
)
from lead_funnel.dbt_runner import DbtError, project_dir
from lead_funnel.generation.dataset import GeneratorConfig, generate_to_dir
from lead_funnel.generation.next_day import generate_next_day
from lead_funnel.warehouse.connections import (
    LoaderError,
    postgres_settings,
    recreate_postgres_database,
)
from lead_funnel.warehouse.loading import load_directory

OTHER_ENGINES = ("postgres", "spark", "spark_cluster")


@dataclass
class EngineBenchmarkResult:
    engine: str
    contacts: int
    raw_rows: dict[str, int]
    day_rows: dict[str, int]
    load_seconds: float
    append_seconds: float
    full: BuildFigures
    incremental: BuildFigures
    as_of: str
    next_as_of: str
    reference: ReferenceFigures | None = None
    # spark_cluster with the driver's UI served (spark_stages): what each build shuffled
    full_shuffles: ShuffleFigures | None = None
    refresh_shuffles: ShuffleFigures | None = None

    @property
    def refresh_over_full(self) -> float:
        """(refresh - T0) / (full - T0) on the engine; plain refresh / full without a T0."""
        fixed = self.reference.engine_fixture.seconds if self.reference else 0.0
        return (self.incremental.seconds - fixed) / (self.full.seconds - fixed)

    def report(self) -> str:
        rows, day = row_counts_text(self.raw_rows), row_counts_text(self.day_rows)
        lines = [
            f"engine: {self.engine}",
            f"contacts: {self.contacts:,} (raw rows: {rows})",
            f"load: {self.load_seconds:.1f} s   next day appended in {self.append_seconds:.1f} s "
            f"({day})",
            "dbt build (seeds, models, data tests, unit tests):",
            f"  full build, as_of {self.as_of}  {self.full.line()}",
            f"  one-day refresh, as_of {self.next_as_of} {self.incremental.line()}",
        ]
        if self.reference is None:
            lines.append(f"(refresh) / (full): {self.refresh_over_full:.2f}")
        else:
            lines += self.reference.lines(self.engine, self.full)
            lines.append(f"(refresh - T0) / (full - T0) on {self.engine}: "
                         f"{self.refresh_over_full:8.2f}")
        lines += slowest_models_lines(self.full, self.incremental)
        if self.full_shuffles is not None and self.refresh_shuffles is not None:
            lines += self.full_shuffles.lines("full build")
            lines += self.refresh_shuffles.lines("one-day refresh")
        elif self.engine == "spark_cluster":
            lines.append(f"shuffles: not measured (set {UI_PORT_VARIABLE} both for "
                         "`scripts/spark_cluster.sh up`, which then serves the driver's UI, and "
                         "for the benchmark, which reads it)")
        return "\n".join(lines)


@dataclass
class ReferenceFigures:
    """The fixed cost on the engine and DuckDB's build of the same generated set."""
    engine_fixture: BuildFigures
    duckdb_fixture: BuildFigures
    duckdb_full: BuildFigures

    def above_duckdb(self, full: BuildFigures) -> float:
        """(engine full - engine T0) / (DuckDB full - DuckDB T0)."""
        return ((full.seconds - self.engine_fixture.seconds)
                / (self.duckdb_full.seconds - self.duckdb_fixture.seconds))

    def lines(self, engine: str, full: BuildFigures) -> list[str]:
        return [
            f"  T0 on {engine}: fixture (tests/fixtures/raw)  {self.engine_fixture.line()}",
            "reference, DuckDB in the same run:",
            f"  T0 fixture                              {self.duckdb_fixture.line()}",
            f"  full build of the same files            {self.duckdb_full.line()}",
            f"(full - T0) on {engine} / (full - T0) on DuckDB: "
            f"{full.seconds - self.engine_fixture.seconds:.1f} / "
            f"{self.duckdb_full.seconds - self.duckdb_fixture.seconds:.1f} = "
            f"{self.above_duckdb(full):.2f}",
        ]


def _engine_env(engine: str, suffix: str = "_bench") -> dict[str, str]:
    """What the loads and builds of ``engine`` run with: its profile output, and on PostgreSQL
    a database of the benchmark's own, ``<LEAD_FUNNEL_PG_DATABASE><suffix>`` (made afresh)."""
    env = {"LEAD_FUNNEL_TARGET": engine, "TZ": "UTC", "SPARK_LOCAL_IP": "127.0.0.1",
           "LEAD_FUNNEL_PROJECT_DIR": str(project_dir())}
    if engine == "postgres":
        database = postgres_settings()["dbname"] + suffix
        recreate_postgres_database(database)
        env["LEAD_FUNNEL_PG_DATABASE"] = database
    return env


def _load(engine: str, data_dir: Path, work: Path, env: dict[str, str], append: bool) -> float:
    """``lead-funnel load`` in a subprocess run from ``work`` (a local Spark session writes its
    catalog to the current directory); its wall time."""
    argv = [str(Path(sys.executable).parent / "lead-funnel"), "load", "--engine", engine,
            "--data", str(data_dir), *(["--append"] if append else [])]
    started = time.perf_counter()
    result = subprocess.run(argv, env={**os.environ, **env}, cwd=work, capture_output=True,
                            text=True, check=False)
    if result.returncode != 0:
        raise LoaderError(f"loading {data_dir} into {engine} failed:\n"
                          + (result.stdout + result.stderr)[-3000:])
    return time.perf_counter() - started


def run_engine_benchmark(engine: str, contacts: int, seed: int = 42,
                         work_dir: Path | str | None = None,
                         reference: bool = True) -> EngineBenchmarkResult:
    """A full build and a one-day refresh of ``contacts`` generated contacts on ``engine``;
    with ``reference``, the T0 builds and DuckDB's full build of the same files too."""
    if engine not in OTHER_ENGINES:
        raise DbtError(f"no engine benchmark for {engine!r} (available: duckdb, "
                       + ", ".join(OTHER_ENGINES) + ")")
    with work_directory(work_dir, f"lead_funnel_bench_{engine}_") as work:
        return _run(engine, contacts, seed, work, reference)


def _duckdb_reference(data_dir: Path, as_of: str, work: Path, project: Path,
                      engine_fixture: BuildFigures) -> ReferenceFigures:
    """DuckDB's T0 and full build of the files in ``data_dir``, in files of ``work``."""
    fixture = duckdb_fixture_build("reference_fixture", work, project)
    database = work / "reference.duckdb"
    database.unlink(missing_ok=True)
    load_directory(data_dir, str(database), "raw")
    full = timed_build("reference_full", database, as_of, work, project)
    return ReferenceFigures(engine_fixture, fixture, full)


def _run(engine: str, contacts: int, seed: int, work: Path,
         reference: bool) -> EngineBenchmarkResult:
    project = project_dir()
    engine_fixture = None
    if reference:
        # T0 in a workspace of its own (a database on PostgreSQL, a catalog directory for the
        # local Spark session), so that the full build below starts from nothing
        fixture_env, fixture_work = _engine_env(engine, "_bench_fixture"), work / "fixture"
        fixture_work.mkdir(parents=True, exist_ok=True)
        _load(engine, project / "tests" / "fixtures" / "raw", fixture_work, fixture_env,
              append=False)
        engine_fixture = timed_build("fixture", None, FIXTURE_AS_OF, work, project, engine,
                                     fixture_env, cwd=fixture_work)
    env = _engine_env(engine)
    data_dir, day_dir = work / "raw", work / "day1"
    manifest = generate_to_dir(data_dir, GeneratorConfig(contacts=contacts, seed=seed,
                                                         dirty_rate=0.02))
    load_seconds = _load(engine, data_dir, work, env, append=False)
    as_of = str(manifest["as_of"])
    stages = SparkStagesClient.from_environment() if engine == "spark_cluster" else None
    before = last_stage_id(stages.stages()) if stages else -1
    full = timed_build("full", None, as_of, work, project, engine, env, cwd=work)
    full_shuffles = shuffle_figures(stages.stages(), before) if stages else None
    day = generate_next_day(data_dir, day_dir)
    append_seconds = _load(engine, day_dir, work, env, append=True)
    before = last_stage_id(stages.stages()) if stages else -1
    incremental = timed_build("refresh", None, str(day["as_of"]), work, project, engine, env,
                              cwd=work)
    refresh_shuffles = shuffle_figures(stages.stages(), before) if stages else None
    figures = (None if engine_fixture is None
               else _duckdb_reference(data_dir, as_of, work, project, engine_fixture))
    return EngineBenchmarkResult(
        engine=engine, contacts=contacts, raw_rows=dict(manifest["raw_rows"]),
        day_rows=dict(day["raw_rows"]), load_seconds=load_seconds,
        append_seconds=append_seconds, full=full, incremental=incremental, as_of=as_of,
        next_as_of=str(day["as_of"]), reference=figures, full_shuffles=full_shuffles,
        refresh_shuffles=refresh_shuffles)
