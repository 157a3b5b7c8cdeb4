"""Benchmark: what the funnel costs to build, from scratch and incrementally, against a floor.

Figures, never pass/fail, all from one generated set in one run:

1. T0: a ``dbt build`` on the tiny hand-made fixture (tests/fixtures/raw) -- dbt's fixed cost
   (start-up, parsing, seeds, every test, one statement per model);
2. a full ``dbt build`` (seeds, models, data and unit tests) on N generated contacts;
3. the next day appended (``generate --next-day`` then ``load --append``) and a plain
   ``dbt build`` with ``as_of`` moved one day (the incremental run);
4. the floor: one hand-written DuckDB statement on the same file computing every contact's MQL
   moment straight from the raw text (timestamps parsed with their offsets, the behavioural
   rules seed joined, one decayed running sum per contact ordered by time, the first crossing
   of var ``mql_threshold``) -- the essential work, without quarantine, versions, cycles,
   caps, fit, stages or tests;
5. the ratios (full - T0) / floor and (incremental - T0) / (full - T0);
6. the 8 slowest models of each build (``run_results.json``, read from a target path of the
   benchmark's own, ``DBT_TARGET_PATH``, so that concurrent dbt runs never overwrite it);
7. in one DuckDB process, the engagement score at every matched-event instant computed two ways:
   the project's ordered window pass (the compiled SQL of ``int_engagement_moments_scored``)
   and a reference self-join of every moment with every earlier moment of its cycle (docs/funnel_rules.md §4's
   formula taken literally), on the built tables and on synthetic heavy users.

Peak memory is sampled as :mod:`lead_funnel.benchmarking.proc_memory` describes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from lead_funnel.benchmarking.builds import (
    BuildFigures,
    duckdb_fixture_build,
    row_counts_text,
    slowest_models_lines,
    timed_build,
    work_directory,
)
from lead_funnel.benchmarking.queries import (
    DenseComparison,
    ScoreComparison,
    Timing,
    compare_running_scores,
    dense_comparison,
    floor_query,
)
from lead_funnel.dbt_runner import project_dir, project_vars
from lead_funnel.generation.dataset import GeneratorConfig, generate_to_dir
from lead_funnel.generation.next_day import generate_next_day
from lead_funnel.marts.access import REFRESH_SCHEMA, STAGING_SCHEMA
from lead_funnel.warehouse.loading import load_directory

COMPILED_MOMENTS = Path("target/compiled/lead_funnel/models/intermediate/scoring/int_engagement_moments_scored.sql")


@dataclass
class BenchmarkResult:
    contacts: int
    raw_rows: dict[str, int]
    day_rows: dict[str, int]
    generate_seconds: float
    load_seconds: float
    next_day_seconds: float
    append_seconds: float
    fixture: BuildFigures
    full: BuildFigures
    incremental: BuildFigures
    floor: Timing
    as_of: str
    next_as_of: str
    scores: ScoreComparison | None = None
    dense: DenseComparison | None = None
    notes: list[str] = field(default_factory=list)
    refreshed_contacts: int = 0  # refresh keys of the incremental build
    staged_contacts: int = 0
    touched_contacts: int = 0  # distinct contact_id of the appended day's rows

    @property
    def full_over_floor(self) -> float:
        return (self.full.seconds - self.fixture.seconds) / self.floor.best_seconds

    @property
    def incremental_over_full(self) -> float:
        return ((self.incremental.seconds - self.fixture.seconds)
                / (self.full.seconds - self.fixture.seconds))

    def report(self) -> str:
        rows, day = row_counts_text(self.raw_rows), row_counts_text(self.day_rows)
        lines = [
            f"contacts: {self.contacts:,} (raw rows: {rows})",
            f"generate: {self.generate_seconds:.1f} s   load: {self.load_seconds:.1f} s   "
            f"next day: generate {self.next_day_seconds:.1f} s, append {self.append_seconds:.1f} s "
            f"({day})",
            "dbt build --exclude-resource-type unit_test (seeds, models, data tests):",
            f"  T0  fixture (tests/fixtures/raw)      {self.fixture.line()}",
            f"  full build, as_of {self.as_of}  {self.full.line()}",
            f"  incremental, as_of {self.next_as_of} {self.incremental.line()}",
            f"  contacts the incremental build recomputed (refresh_contact_keys): "
            f"{self.refreshed_contacts:,} of {self.staged_contacts:,} "
            f"({self.refreshed_contacts / max(self.staged_contacts, 1):.2%})",
            f"  contacts with a row in the appended day (any table): {self.touched_contacts:,} "
            f"({self.touched_contacts / max(self.staged_contacts, 1):.2%})",
            f"floor (one DuckDB statement, raw text -> MQL moment of {self.floor.rows:,} contacts): "
            f"{self.floor.best_seconds:.2f} s",
            f"(full - T0) / floor:              {self.full_over_floor:8.1f}",
            f"(incremental - T0) / (full - T0): {self.incremental_over_full:8.2f}",
        ]
        lines += slowest_models_lines(self.fixture, self.full, self.incremental)
        if self.scores is not None:
            lines += [
                f"running engagement score over {self.scores.window_pass.rows:,} moments "
                "(best of runs, one process):",
                f"  ordered window pass (project):  {self.scores.window_pass.best_seconds * 1000:8.1f} ms",
                f"  self-join reference (docs/funnel_rules.md §4):  {self.scores.self_join.best_seconds * 1000:8.1f} ms",
                f"  ratio self-join / window pass:  {self.scores.ratio:8.2f}x   "
                f"(max |difference| {self.scores.max_abs_difference:.2e})",
            ]
        if self.dense is not None:
            lines += [
                f"dense contacts ({self.dense.contacts} contacts x {self.dense.moments_per_contact:,} "
                "moments in one cycle, the heavy product users):",
                f"  ordered window pass (project):  {self.dense.window_pass.best_seconds * 1000:8.1f} ms",
                f"  self-join reference (docs/funnel_rules.md §4):  {self.dense.self_join.best_seconds * 1000:8.1f} ms",
                f"  ratio self-join / window pass:  "
                f"{self.dense.self_join.best_seconds / self.dense.window_pass.best_seconds:8.2f}x   "
                f"(max |difference| {self.dense.max_abs_difference:.2e})",
            ]
        lines += [f"note: {note}" for note in self.notes]
        return "\n".join(lines)


def refresh_scope(database: Path) -> tuple[int, int]:
    """How many contacts the last build recomputed (its refresh keys) and how many are staged:
    what an incremental build's cost follows."""
    with duckdb.connect(str(database), read_only=True) as connection:
        row = connection.execute(
            f"select (select count(*) from {REFRESH_SCHEMA}.refresh_contact_keys), "
            f"(select count(*) from {STAGING_SCHEMA}.stg_crm__contacts)").fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 0)


def day_contacts(day_dir: Path) -> int:
    """Distinct contact ids among the rows of a generated day (every table has contact_id): the
    contacts an exact change detection must recompute at the least."""
    files = sorted(str(path) for path in day_dir.glob("*.csv"))
    if not files:
        return 0
    with duckdb.connect() as connection:
        union = " union ".join(
            "select trim(contact_id) as contact_id from read_csv(?, all_varchar = true, header = true)"
            for _ in files)
        row = connection.execute(f"select count(distinct contact_id) from ({union}) "
                                 "where contact_id <> ''", files).fetchone()
    return int(row[0]) if row else 0


def run_benchmark(contacts: int, seed: int = 42, repeat: int = 3,
                  work_dir: Path | str | None = None,
                  score_comparison: bool = True) -> BenchmarkResult:
    """Every figure of the module docstring on one generated set of ``contacts`` contacts
    (without item 7 when ``score_comparison`` is false: both of its computations fetch every
    moment of the built tables into Python, several GB at 10M contacts). Scratch files go to
    ``work_dir`` (a temporary directory, removed afterwards, by default)."""
    with work_directory(work_dir, "lead_funnel_bench_") as work:
        return _run(contacts, seed, repeat, work, score_comparison)


def _run(contacts: int, seed: int, repeat: int, work: Path,
         score_comparison: bool) -> BenchmarkResult:
    project = project_dir()
    variables = project_vars(project)
    threshold = float(variables.get("mql_threshold", 100))
    half_life = float(variables.get("score_half_life_days") or 30)
    notes: list[str] = []

    fixture = duckdb_fixture_build("fixture", work, project)

    data_dir, day_dir, database = work / "raw", work / "day1", work / "bench.duckdb"
    database.unlink(missing_ok=True)
    started = time.perf_counter()
    manifest = generate_to_dir(data_dir, GeneratorConfig(contacts=contacts, seed=seed, dirty_rate=0.02))
    generate_seconds = time.perf_counter() - started
    started = time.perf_counter()
    load_directory(data_dir, str(database), "raw")
    load_seconds = time.perf_counter() - started
    as_of = str(manifest["as_of"])
    full = timed_build("full", database, as_of, work, project)

    floor = floor_query(database, threshold, half_life, repeat)
    scores: ScoreComparison | None = None
    dense: DenseComparison | None = None
    compiled = full.target / Path(*COMPILED_MOMENTS.parts[1:])
    if not score_comparison:
        notes.append("window pass vs self-join not run (--no-score-comparison)")
    elif compiled.is_file():
        compiled_sql = compiled.read_text(encoding="utf-8")
        try:
            scores = ScoreComparison(*compare_running_scores(database, compiled_sql, half_life, repeat))
            dense = dense_comparison(compiled_sql, database.stem, repeat=repeat)
        except duckdb.Error as exc:
            notes.append(f"window pass vs self-join skipped: {str(exc).splitlines()[0]}")
    else:
        notes.append(f"window pass vs self-join skipped: no {compiled}")

    started = time.perf_counter()
    day = generate_next_day(data_dir, day_dir)
    next_day_seconds = time.perf_counter() - started
    started = time.perf_counter()
    load_directory(day_dir, str(database), "raw", append=True)
    append_seconds = time.perf_counter() - started
    incremental = timed_build("incremental", database, str(day["as_of"]), work, project)
    refreshed, staged = refresh_scope(database)

    return BenchmarkResult(
        contacts=contacts, raw_rows=dict(manifest["raw_rows"]), day_rows=dict(day["raw_rows"]),
        generate_seconds=generate_seconds, load_seconds=load_seconds,
        next_day_seconds=next_day_seconds, append_seconds=append_seconds, fixture=fixture,
        full=full, incremental=incremental, floor=floor, as_of=as_of,
        next_as_of=str(day["as_of"]), scores=scores, dense=dense, notes=notes,
        refreshed_contacts=refreshed, staged_contacts=staged,
        touched_contacts=day_contacts(day_dir))
