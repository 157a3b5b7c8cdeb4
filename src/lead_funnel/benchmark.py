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

Wall times are of the whole dbt process. Peak memory is the larger of the resident set of the
dbt process tree, sampled from /proc every 50 ms, and the dbt process's own resident peak
(VmHWM, which resets at exec). The kernel's ru_maxrss is not used: a child forked from this
process starts with the parent's resident set in its ru_maxrss, so after generating a large set
in-process it reported the benchmark's memory, not dbt's.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Mapping

import duckdb

from lead_funnel.dbt_runner import (
    DAILY_BUILD_ARGS,
    DbtError,
    build_command,
    dbt_env,
    project_dir,
    project_vars,
)
from lead_funnel.generation.next_day import generate_next_day
from lead_funnel.generation.dataset import GeneratorConfig, generate_to_dir
from lead_funnel.warehouse.loading import load_directory

COMPILED_MOMENTS = Path("target/compiled/lead_funnel/models/intermediate/scoring/int_engagement_moments_scored.sql")
FIXTURE_AS_OF = "2024-07-01T00:00:00Z"
SLOWEST = 8

# The reference: docs/funnel_rules.md §4 literally, every moment against every earlier moment of its cycle
# (engagement points only: product-usage rules feed the separate product score).
REFERENCE_SQL = """
with moments as (
    select contact_id, cycle_number, occurred_at,
           sum(case when is_product_usage then 0 else points end) as points
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

# The floor: one statement from the raw text to every contact's first MQL moment.
FLOOR_SQL = """
with rules as (
    select lower(trim(event_type)) as event_type, lower(trim(url_contains)) as url_contains,
           cast(points as double) as points
    from {rules}
),
events as (
    select trim(contact_id) as contact_id, lower(trim(event_type)) as event_type,
           lower(page_url) as page_url,
           epoch(try_cast(occurred_at as timestamptz)) as t
    from {raw}.engagement_events
    where trim(event_id) <> '' and trim(contact_id) <> ''
),
moments as (
    select events.contact_id, events.t, sum(rules.points) as points
    from events
    inner join rules
        on events.event_type = rules.event_type
        and (coalesce(rules.url_contains, '') = '' or contains(events.page_url, rules.url_contains))
    where events.t is not null
    group by events.contact_id, events.t
),
anchored as (
    select contact_id, t, points, min(t) over (partition by contact_id) as anchor
    from moments
),
scored as (
    select contact_id, t,
           sum(points * pow(2.0, (t - anchor) / {half_life_seconds})) over (
               partition by contact_id order by t rows between unbounded preceding and current row)
           * pow(2.0, -(t - anchor) / {half_life_seconds}) as score
    from anchored
)
select contact_id, to_timestamp(min(t)) as mql_at
from scored
where score >= {threshold} - 1e-9
group by contact_id
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
class BuildFigures:
    """One ``dbt build``: wall time, peak memory and its slowest models."""
    label: str
    seconds: float
    peak_rss_mb: float
    tree_rss_mb: float
    hwm_mb: float
    slowest_models: list[tuple[str, float]]
    models: int
    target: Path

    def line(self) -> str:
        return (f"{self.seconds:7.1f} s   peak RSS {self.peak_rss_mb:7,.0f} MB "
                f"(process tree {self.tree_rss_mb:,.0f} MB, dbt VmHWM {self.hwm_mb:,.0f} MB)"
                f"   {self.models} models")


@dataclass(frozen=True)
class ScoreComparison:
    window_pass: Timing
    self_join: Timing
    max_abs_difference: float

    @property
    def ratio(self) -> float:
        return self.self_join.best_seconds / self.window_pass.best_seconds


def row_counts_text(counts: Mapping[str, int]) -> str:
    """``table n, table n, ...`` of a set's raw row counts, for a report."""
    return ", ".join(f"{table} {count:,}" for table, count in counts.items())


def slowest_models_lines(*builds: BuildFigures) -> list[str]:
    """The report lines of each build's slowest models."""
    lines: list[str] = []
    for build in builds:
        lines.append(f"slowest models, {build.label} (execution_time, s):")
        lines += [f"  {seconds:8.2f}  {name}" for name, seconds in build.slowest_models]
    return lines


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
            f"{self.refreshed_contacts:,} of {self.staged_contacts:,}",
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


def _best_of(run: Callable[[], int], repeat: int) -> Timing:
    best = float("inf")
    rows = 0
    for _ in range(max(repeat, 1)):
        started = time.perf_counter()
        rows = run()
        best = min(best, time.perf_counter() - started)
    return Timing(best, rows)


# --------------------------------------------------------------------------------------
# Measuring a dbt build
# --------------------------------------------------------------------------------------
def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as handle:
                stat = handle.read()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(parent, []).append(int(entry))
    return tree


def _status_kb(pid: int, name: str = "VmRSS") -> int:
    """A kB figure of /proc/<pid>/status (VmRSS: resident now; VmHWM: the resident peak of the
    process since its exec), 0 when the process is gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as handle:
            for line in handle:
                if line.startswith(name + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_rss_kb(root: int) -> int:
    """Resident memory of ``root`` and all its descendants, in kB."""
    tree, total, todo = _children(), 0, [root]
    while todo:
        pid = todo.pop()
        total += _status_kb(pid)
        todo += tree.get(pid, [])
    return total


class _PeakSampler(threading.Thread):
    """Samples the process tree's resident set and the root's own high-water mark (VmHWM)."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval, self.peak_kb, self.hwm_kb = pid, interval, 0, 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            self.peak_kb = max(self.peak_kb, tree_rss_kb(self.pid))
            self.hwm_kb = max(self.hwm_kb, _status_kb(self.pid, "VmHWM"))
            self.done.wait(self.interval)


def slowest_models(run_results: Path, n: int = SLOWEST) -> tuple[list[tuple[str, float]], int]:
    """The ``n`` models with the longest execution_time in a run_results.json, and the number
    of models it holds."""
    results = json.loads(run_results.read_text(encoding="utf-8"))["results"]
    models = [(str(r["unique_id"]).split(".")[-1], float(r.get("execution_time") or 0.0))
              for r in results if str(r["unique_id"]).startswith("model.")]
    models.sort(key=lambda item: (-item[1], item[0]))
    return models[:n], len(models)


def timed_build(label: str, database: Path | None, as_of: str, work: Path,
                project: Path | None = None, engine: str = "duckdb",
                env_overrides: Mapping[str, str] | None = None,
                cwd: Path | None = None) -> BuildFigures:
    """``dbt build`` with ``as_of`` on ``engine`` (the profile output of that name; for DuckDB
    the file ``database``); target and log paths under ``work``; run from ``cwd`` (default:
    the project; a local Spark session keeps its catalog there)."""
    root = project if project is not None else project_dir()
    target, logs = work / f"target_{label}", work / f"logs_{label}"
    env = dbt_env(database=database)
    env.update(env_overrides or {})
    env["LEAD_FUNNEL_TARGET"] = engine
    env["DBT_TARGET_PATH"], env["DBT_LOG_PATH"] = str(target), str(logs)
    # the daily command (unit tests are CI's), for T0, the full build and the refresh alike
    argv = build_command("build", as_of=as_of, project=root, extra_args=DAILY_BUILD_ARGS)
    output = work / f"dbt_{label}.log"
    with open(output, "wb") as log:
        started = time.perf_counter()
        process = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   cwd=cwd or root)
        sampler = _PeakSampler(process.pid)
        sampler.start()
        process.wait()
        elapsed = time.perf_counter() - started
        sampler.done.set()
        sampler.join()
    if process.returncode != 0:
        tail = output.read_text(encoding="utf-8", errors="replace")[-3000:]
        raise DbtError(f"dbt build ({label}) failed during the benchmark:\n{tail}")
    slowest, n_models = slowest_models(target / "run_results.json")
    tree_mb, hwm_mb = sampler.peak_kb / 1024, sampler.hwm_kb / 1024
    return BuildFigures(label, elapsed, max(tree_mb, hwm_mb), tree_mb, hwm_mb, slowest,
                        n_models, target)


# --------------------------------------------------------------------------------------
# The floor and the running-score comparison
# --------------------------------------------------------------------------------------
def floor_sql(threshold: float, half_life_days: float, raw_schema: str = "raw",
              rules: str = "analytics_scoring_rules.behavioral_scoring_rules") -> str:
    return FLOOR_SQL.format(raw=raw_schema, rules=rules, threshold=float(threshold),
                            half_life_seconds=float(half_life_days) * 86400.0)


def floor_query(database: Path, threshold: float, half_life_days: float,
                repeat: int = 3) -> Timing:
    """Best time of the floor statement (TimeZone pinned to UTC) and its number of MQLs."""
    sql = floor_sql(threshold, half_life_days)
    with duckdb.connect(str(database), read_only=True) as connection:
        connection.execute("set TimeZone = 'UTC'")
        connection.execute("set enable_progress_bar = false")
        return _best_of(lambda: len(connection.execute(sql).fetchall()), repeat)


def compare_running_scores(database: Path | None, compiled_sql: str, half_life_days: float,
                           repeat: int = 3) -> tuple[Timing, Timing, float]:
    """Time the window pass against the self-join reference in one DuckDB process."""
    with duckdb.connect(str(database), read_only=True) as connection:
        connection.execute("set enable_progress_bar = false")
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
            "false as is_hand_raiser, false as is_product_usage "
            f"from range({contacts * moments_per_contact}) as numbers(i)")
        window_timing, reference_timing, difference = _compare_on(connection, compiled_sql, 30.0, repeat)
    return DenseComparison(contacts, moments_per_contact, window_timing, reference_timing, difference)


# --------------------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------------------
def refresh_scope(database: Path) -> tuple[int, int]:
    """How many contacts the last build recomputed (its refresh keys) and how many are staged:
    what an incremental build's cost follows."""
    with duckdb.connect(str(database), read_only=True) as connection:
        row = connection.execute(
            "select (select count(*) from analytics_staging.refresh_contact_keys), "
            "(select count(*) from analytics_staging.stg_crm__contacts)").fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 0)


@contextmanager
def work_directory(work_dir: Path | str | None, prefix: str) -> Iterator[Path]:
    """Where a benchmark keeps its scratch files: ``work_dir`` (made if missing, kept), or a
    temporary directory removed afterwards."""
    if work_dir is None:
        with tempfile.TemporaryDirectory(prefix=prefix) as scratch:
            yield Path(scratch).resolve()
        return
    work = Path(work_dir)
    work.mkdir(parents=True, exist_ok=True)
    yield work.resolve()


def run_benchmark(contacts: int, seed: int = 42, repeat: int = 3,
                  work_dir: Path | str | None = None) -> BenchmarkResult:
    """Every figure of the module docstring on one generated set of ``contacts`` contacts.
    Scratch files go to ``work_dir`` (a temporary directory, removed afterwards, by default)."""
    with work_directory(work_dir, "lead_funnel_bench_") as work:
        return _run(contacts, seed, repeat, work)


def _run(contacts: int, seed: int, repeat: int, work: Path) -> BenchmarkResult:
    project = project_dir()
    variables = project_vars(project)
    threshold = float(variables.get("mql_threshold", 100))
    half_life = float(variables.get("score_half_life_days") or 30)
    notes: list[str] = []

    fixture_db = work / "fixture.duckdb"
    fixture_db.unlink(missing_ok=True)
    load_directory(project / "tests" / "fixtures" / "raw", str(fixture_db), "raw")
    fixture = timed_build("fixture", fixture_db, FIXTURE_AS_OF, work, project)

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
    if compiled.is_file():
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
        refreshed_contacts=refreshed, staged_contacts=staged)
