"""Benchmark: what the funnel costs to build, and what the one-pass running score saves.

Figures, never pass/fail:
1. generation, load and a full ``dbt build`` (seeds, models, data and unit tests) on N
   generated contacts: wall time and the peak resident memory of the dbt process;
2. in one DuckDB process, on the built tables, the engagement score at every matched-event
   instant computed two ways: the project's ordered window pass (the compiled SQL of
   ``int_engagement_moments_scored``) and a reference self-join of every moment with every
   earlier moment of its cycle (SPEC §4's formula taken literally). Both give the same scores
   (checked); the ratio of their best times is printed.
"""

from __future__ import annotations

import resource
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import duckdb

from lead_funnel.dbt_runner import DbtError, build_command, dbt_env, project_dir
from lead_funnel.generator import GeneratorConfig, generate_to_dir
from lead_funnel.loader import load_directory

COMPILED_MOMENTS = Path("target/compiled/lead_funnel/models/intermediate/scoring/int_engagement_moments_scored.sql")

# The reference: SPEC §4 literally, every moment against every earlier moment of its cycle.
REFERENCE_SQL = """
with moments as (
    select contact_id, cycle_number, occurred_at, sum(points) as points
    from analytics_intermediate.int_engagement_events_matched
    group by contact_id, cycle_number, occurred_at
)
select later.contact_id, later.cycle_number, later.occurred_at,
       sum(earlier.points * power(0.5, (epoch(later.occurred_at) - epoch(earlier.occurred_at)) / 86400.0 / {half_life}))
           as engagement_score
from moments as later
inner join moments as earlier
    on later.contact_id = earlier.contact_id
    and later.cycle_number = earlier.cycle_number
    and earlier.occurred_at <= later.occurred_at
group by later.contact_id, later.cycle_number, later.occurred_at
"""


@dataclass(frozen=True)
class Timing:
    best_seconds: float
    rows: int


@dataclass(frozen=True)
class DenseComparison:
    contacts: int
    moments_per_contact: int
    window_pass: Timing
    self_join: Timing
    max_abs_difference: float


@dataclass(frozen=True)
class BenchmarkResult:
    dense: DenseComparison
    contacts: int
    raw_rows: dict[str, int]
    generate_seconds: float
    load_seconds: float
    build_seconds: float
    build_peak_rss_mb: float
    window_pass: Timing
    self_join: Timing
    max_abs_difference: float

    @property
    def speedup(self) -> float:
        return self.self_join.best_seconds / self.window_pass.best_seconds

    def report(self) -> str:
        rows = ", ".join(f"{table} {count:,}" for table, count in self.raw_rows.items())
        return "\n".join([
            f"contacts: {self.contacts:,} (raw rows: {rows})",
            f"generate: {self.generate_seconds:.2f} s   load: {self.load_seconds:.2f} s",
            f"dbt build (models + data tests + unit tests): {self.build_seconds:.1f} s, "
            f"peak RSS of dbt {self.build_peak_rss_mb:,.0f} MB",
            f"running engagement score over {self.window_pass.rows:,} moments (best of runs, one process):",
            f"  ordered window pass (project):  {self.window_pass.best_seconds * 1000:8.1f} ms",
            f"  self-join reference (SPEC §4):  {self.self_join.best_seconds * 1000:8.1f} ms",
            f"  ratio self-join / window pass:  {self.speedup:8.2f}x   "
            f"(max |difference| {self.max_abs_difference:.2e})",
            f"dense contacts ({self.dense.contacts} contacts x {self.dense.moments_per_contact:,} moments "
            "in one cycle, the heavy product users):",
            f"  ordered window pass (project):  {self.dense.window_pass.best_seconds * 1000:8.1f} ms",
            f"  self-join reference (SPEC §4):  {self.dense.self_join.best_seconds * 1000:8.1f} ms",
            f"  ratio self-join / window pass:  "
            f"{self.dense.self_join.best_seconds / self.dense.window_pass.best_seconds:8.2f}x   "
            f"(max |difference| {self.dense.max_abs_difference:.2e})",
        ])


def _best_of(run: Callable[[], int], repeat: int) -> Timing:
    best = float("inf")
    rows = 0
    for _ in range(repeat):
        started = time.perf_counter()
        rows = run()
        best = min(best, time.perf_counter() - started)
    return Timing(best, rows)


def _build(database: Path, as_of: str, project: Path) -> tuple[float, float]:
    argv = build_command("build", as_of=as_of, project=project)
    started = time.perf_counter()
    completed = subprocess.run(argv, env=dbt_env(database=database), capture_output=True, text=True,
                               check=False, cwd=project)
    elapsed = time.perf_counter() - started
    if completed.returncode != 0:
        raise DbtError("dbt build failed during the benchmark:\n" + completed.stdout[-3000:])
    # ru_maxrss of the children is in kilobytes on Linux: the largest child, i.e. dbt.
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return elapsed, peak_mb


def compare_running_scores(database: Path | None, compiled_sql: str, half_life_days: float,
                           repeat: int = 3) -> tuple[Timing, Timing, float]:
    """Time the window pass against the self-join reference in one DuckDB process."""
    with duckdb.connect(str(database), read_only=True) as connection:
        return _compare_on(connection, compiled_sql, half_life_days, repeat)


def _compare_on(connection: duckdb.DuckDBPyConnection, compiled_sql: str, half_life_days: float,
                repeat: int) -> tuple[Timing, Timing, float]:
    def window_pass() -> int:
        return len(connection.execute(compiled_sql).fetchall())

    def self_join() -> int:
        return len(connection.execute(REFERENCE_SQL.format(half_life=half_life_days)).fetchall())

    window_timing = _best_of(window_pass, repeat)
    reference_timing = _best_of(self_join, repeat)
    difference = connection.execute(
        f"select coalesce(max(abs(project_pass.uncapped_engagement_score - reference.engagement_score)), 0) "
        f"from ({compiled_sql}) as project_pass inner join ({REFERENCE_SQL.format(half_life=half_life_days)}) "
        "as reference using (contact_id, cycle_number, occurred_at)"
    ).fetchone()
    return window_timing, reference_timing, float(difference[0]) if difference else 0.0


def dense_comparison(compiled_sql: str, database_name: str, contacts: int = 100,
                     moments_per_contact: int = 1_000, repeat: int = 3) -> DenseComparison:
    """The same two computations on synthetic heavy users: many moments in one cycle (one an
    hour), where the self-join's pairs grow with the square of the moments per cycle."""
    with duckdb.connect() as connection:
        connection.execute(f"attach ':memory:' as {database_name}")
        connection.execute(f"use {database_name}")
        connection.execute("create schema analytics_intermediate")
        connection.execute(
            "create table analytics_intermediate.int_engagement_events_matched as select "
            f"'c' || (i // {moments_per_contact}) as contact_id, 'e' || i as event_id, 'r' as rule_id, "
            "'page_view' as event_type, "
            f"timestamp '2024-01-01' + to_hours(i % {moments_per_contact}) as occurred_at, "
            "cast(1 as bigint) as cycle_number, 1.0 as rule_points, 1.0 + (i % 7) as points, "
            f"false as is_hand_raiser from range({contacts * moments_per_contact}) as numbers(i)")
        window_timing, reference_timing, difference = _compare_on(connection, compiled_sql, 30.0, repeat)
    return DenseComparison(contacts, moments_per_contact, window_timing, reference_timing, difference)


def run_benchmark(contacts: int, seed: int = 42, repeat: int = 3) -> BenchmarkResult:
    project = project_dir()
    config = GeneratorConfig(contacts=contacts, seed=seed, dirty_rate=0.02)
    with tempfile.TemporaryDirectory(prefix="lead_funnel_bench_") as scratch:
        data_dir, database = Path(scratch) / "raw", Path(scratch) / "bench.duckdb"
        started = time.perf_counter()
        manifest = generate_to_dir(data_dir, config)
        generate_seconds = time.perf_counter() - started
        started = time.perf_counter()
        load_directory(data_dir, str(database), "raw")
        load_seconds = time.perf_counter() - started
        build_seconds, peak_mb = _build(database, str(manifest["as_of"]), project)
        compiled_sql = (project / COMPILED_MOMENTS).read_text(encoding="utf-8")
        window_timing, reference_timing, difference = compare_running_scores(
            database, compiled_sql, half_life_days=30.0, repeat=repeat)
        dense = dense_comparison(compiled_sql, database.stem, repeat=repeat)
    return BenchmarkResult(
        dense=dense, contacts=contacts, raw_rows=dict(manifest["raw_rows"]), generate_seconds=generate_seconds,
        load_seconds=load_seconds, build_seconds=build_seconds, build_peak_rss_mb=peak_mb,
        window_pass=window_timing, self_join=reference_timing, max_abs_difference=difference)
