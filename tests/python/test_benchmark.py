"""The benchmark: its functions produce every figure on a tiny run (never how fast), the floor
statement computes what it claims, and its two computations of the running engagement score
agree.

The project's ordered window pass (compiled int_engagement_moments_scored) must equal docs/funnel_rules.md §4's
formula taken literally (the self-join reference) on synthetic heavy users, whose cycles hold
hundreds of moments, an hour apart.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import duckdb
import pytest

from lead_funnel.benchmarking.builds import SLOWEST, BuildFigures, slowest_models
from lead_funnel.benchmarking import duckdb_run
from lead_funnel.benchmarking.duckdb_run import COMPILED_MOMENTS, BenchmarkResult, run_benchmark
from lead_funnel.benchmarking.engine_run import (
    EngineBenchmarkResult,
    ReferenceFigures,
    run_engine_benchmark,
)
from lead_funnel.benchmarking.proc_memory import directory_bytes
from lead_funnel.benchmarking.queries import dense_comparison, floor_query, floor_sql
from lead_funnel.benchmarking.spark_stages import (
    NOT_DBT,
    SparkStagesClient,
    last_stage_id,
    shuffle_figures,
)
from lead_funnel.cli import main
from lead_funnel.dbt_runner import DbtError, build_command, dbt_env, project_dir
from lead_funnel.warehouse.connections import postgres_connection, postgres_settings

from conftest import Marts


@pytest.fixture(scope="module")
def compiled_moments_sql(tmp_path_factory: pytest.TempPathFactory) -> str:
    scratch = tmp_path_factory.mktemp("compile")
    target = scratch / "target"
    argv = build_command("compile", extra_args=[
        "--select", "int_engagement_moments_scored", "--target-path", str(target),
        "--vars", '{as_of: "2024-07-01T00:00:00Z"}'])
    result = subprocess.run(argv, env=dbt_env(database=scratch / "bench.duckdb"), capture_output=True,
                            text=True, check=False, cwd=project_dir())
    assert result.returncode == 0, result.stdout[-3000:]
    relative = Path(*COMPILED_MOMENTS.parts[1:])  # without the leading "target"
    return (target / relative).read_text(encoding="utf-8")


@pytest.mark.slow  # a dbt run of its own
def test_window_pass_equals_the_literal_formula(compiled_moments_sql: str) -> None:
    comparison = dense_comparison(compiled_moments_sql, "bench", contacts=5, moments_per_contact=300, repeat=1)
    assert comparison.window_pass.rows == comparison.self_join.rows == 5 * 300
    # Scores reach a few hundred points; doubles agree to far better than a millionth of a point.
    assert comparison.max_abs_difference < 1e-6


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> BenchmarkResult:
    """One benchmark run on 300 contacts: three dbt builds (fixture, full, incremental)."""
    return run_benchmark(300, seed=5, repeat=1, work_dir=tmp_path_factory.mktemp("bench"))


@pytest.mark.slow
def test_benchmark_produces_every_figure(tiny_run: BenchmarkResult) -> None:
    """The figures exist and are coherent; how fast they are is never checked."""
    result = tiny_run
    assert result.raw_rows["contacts"] >= 300 and all(n > 0 for n in result.day_rows.values())
    for build in (result.fixture, result.full, result.incremental):
        assert build.seconds > 0 and build.peak_rss_mb > 0
        assert build.peak_rss_mb == max(build.tree_rss_mb, build.hwm_mb)
        assert 0 < len(build.slowest_models) <= SLOWEST and build.models >= len(build.slowest_models)
        times = [seconds for _, seconds in build.slowest_models]
        assert times == sorted(times, reverse=True)
        # a DuckDB build samples its spill directory (300 contacts fit in memory: nothing spilled)
        assert build.spill_mb == 0.0 and "peak spill 0 MB" in build.line()
    assert result.floor.best_seconds > 0 and result.floor.rows > 0
    # The next day touches some contacts, not all (and never more than are staged).
    assert 0 < result.refreshed_contacts < result.staged_contacts
    assert 0 < result.touched_contacts < result.staged_contacts
    assert result.next_as_of > result.as_of
    assert result.full_over_floor == (
        (result.full.seconds - result.fixture.seconds) / result.floor.best_seconds)
    assert result.incremental_over_full == ((result.incremental.seconds - result.fixture.seconds)
                                            / (result.full.seconds - result.fixture.seconds))
    report = result.report()
    for label in ("T0", "full build", "incremental", "floor", "(full - T0) / floor", "recomputed",
                  "(incremental - T0) / (full - T0)", "slowest models, full"):
        assert label in report, label



def test_spill_directory_size_counts_every_file_below_it(tmp_path: Path) -> None:
    """DuckDB's spill directory: files of 1,000 and 24 bytes, one in a subdirectory, = 1,024;
    a directory not made yet, or none (not DuckDB), = 0."""
    spill = tmp_path / "bench.duckdb.tmp"
    (spill / "sub").mkdir(parents=True)
    (spill / "duckdb_temp_storage-0.tmp").write_bytes(b"x" * 1000)
    (spill / "sub" / "block").write_bytes(b"y" * 24)
    assert directory_bytes(spill) == 1024
    assert directory_bytes(tmp_path / "missing.tmp") == 0 and directory_bytes(None) == 0
    figures = BuildFigures("full", 1.0, 1.0, 1.0, 1.0, [], 1, tmp_path, spill_mb=1536.0)
    assert "peak spill 1,536 MB" in figures.line()
    assert "spill" not in BuildFigures("full", 1.0, 1.0, 1.0, 1.0, [], 1, tmp_path).line()


def test_slowest_models_reads_run_results(tmp_path: Path) -> None:
    path = tmp_path / "run_results.json"
    path.write_text(json.dumps({"results": [
        {"unique_id": "model.lead_funnel.a", "execution_time": 1.5},
        {"unique_id": "test.lead_funnel.t", "execution_time": 9.0},
        {"unique_id": "model.lead_funnel.b", "execution_time": 2.5},
        {"unique_id": "seed.lead_funnel.s", "execution_time": 3.0}]}), encoding="utf-8")
    assert slowest_models(path) == ([("b", 2.5), ("a", 1.5)], 2)


def test_floor_statement_applies_offsets_rules_and_decay(tmp_path: Path) -> None:
    """A hand-checkable floor: an offset applied before ordering, a url rule on top of its
    event rule, decay between moments, and the first crossing of the threshold."""
    database = tmp_path / "floor.duckdb"
    with duckdb.connect(str(database)) as con:
        con.execute("create schema raw")
        con.execute("create schema analytics_scoring_rules")
        con.execute("create table analytics_scoring_rules.behavioral_scoring_rules as select * from "
                    "(values ('demo_request', null, 40), ('page_view', null, 1), "
                    "('page_view', '/pricing', 10)) as r(event_type, url_contains, points)")
        con.execute("create table raw.engagement_events as select * from (values "
                    "('e1', 'c1', 'Demo_Request', '', '2025-01-01T10:00:00+02:00'), "  # 08:00 UTC
                    "('e2', 'c1', 'page_view', 'https://x/Pricing', '2025-01-01 09:00:00'), "
                    "('e3', 'c1', 'demo_request', '', '2025-01-31T10:00:00+02:00'), "
                    "('e4', 'c2', 'page_view', '', '2025-01-01T00:00:00Z')"
                    ") as e(event_id, contact_id, event_type, page_url, occurred_at)")
    with duckdb.connect(str(database), read_only=True) as con:
        con.execute("set TimeZone = 'UTC'")
        rows = con.execute(floor_sql(threshold=60, half_life_days=30)).fetchall()
    # c1: 40 at 08:00, +11 at 09:00 (51), then 30 days later (10:00+02:00 = 08:00 UTC)
    # 51/2 + 40 = 65.5 >= 60; c2 never crosses.
    assert [(r[0], str(r[1])[:19]) for r in rows] == [("c1", "2025-01-31 08:00:00")]
    assert floor_query(database, 60, 30, repeat=1).rows == 1


@pytest.mark.postgres
@pytest.mark.slow
def test_engine_benchmark_builds_in_a_database_of_its_own(
        tmp_path: Path, postgres_marts: Marts, monkeypatch: pytest.MonkeyPatch) -> None:
    """`benchmark --engine postgres`: both builds' figures, and they ran in
    <LEAD_FUNNEL_PG_DATABASE>_bench, refreshed to the next day's as_of, while the fixture build
    in the main database is left as it was."""
    fixture_contacts = postgres_marts.execute("select count(*) from analytics.lead_stages").fetchall()
    result = run_engine_benchmark("postgres", 200, seed=5, work_dir=tmp_path, reference=False)
    assert result.engine == "postgres" and result.next_as_of > result.as_of
    assert all(n > 0 for n in result.day_rows.values())
    for build in (result.full, result.incremental):
        assert build.seconds > 0 and build.peak_rss_mb > 0 and build.slowest_models
    for label in ("engine: postgres", "full build", "one-day refresh", "slowest models, refresh"):
        assert label in result.report(), label
    assert postgres_marts.execute("select count(*) from analytics.lead_stages").fetchall() == fixture_contacts
    monkeypatch.setenv("LEAD_FUNNEL_PG_DATABASE", postgres_settings()["dbname"] + "_bench")
    connection = postgres_connection()
    try:
        with connection.cursor() as cursor:
            # one checkpoint row per parsed model: the as_of it was built at, the rows it parsed
            cursor.execute("select min(as_of), max(as_of), sum(parsed_rows) "
                           "from analytics_refresh.refresh_checkpoint")
            as_of, latest_as_of, raw_rows = cursor.fetchone()
        assert as_of == latest_as_of
        assert as_of.strftime("%Y-%m-%dT%H:%M:%SZ") == result.next_as_of
        total = sum(result.raw_rows.values()) + sum(result.day_rows.values())
        assert raw_rows == total
    finally:
        connection.close()


def _figures(label: str, seconds: float) -> BuildFigures:
    return BuildFigures(label, seconds, 100.0, 100.0, 100.0, [("lead_stages", 1.0)], 40, Path("t"))


def test_engine_benchmark_ratios_are_taken_above_each_engines_t0() -> None:
    """PostgreSQL T0 30 s, full 130 s, refresh 55 s; DuckDB T0 20 s, full 70 s:
    (130 - 30) / (70 - 20) = 2.00 and (55 - 30) / (130 - 30) = 0.25."""
    reference = ReferenceFigures(_figures("fixture", 30.0), _figures("reference_fixture", 20.0),
                                 _figures("reference_full", 70.0))
    result = EngineBenchmarkResult(
        engine="postgres", contacts=10, raw_rows={"contacts": 10}, day_rows={"contacts": 1},
        load_seconds=1.0, append_seconds=1.0, full=_figures("full", 130.0),
        incremental=_figures("refresh", 55.0), as_of="a", next_as_of="b", reference=reference)
    assert reference.above_duckdb(result.full) == pytest.approx(2.0)
    assert result.refresh_over_full == pytest.approx(0.25)
    report = result.report()
    assert "(full - T0) on postgres / (full - T0) on DuckDB: 100.0 / 50.0 = 2.00" in report
    assert "(refresh - T0) / (full - T0) on postgres:     0.25" in report
    without = EngineBenchmarkResult(**{**result.__dict__, "reference": None})
    assert without.refresh_over_full == pytest.approx(55.0 / 130.0)
    assert "(refresh) / (full): 0.42" in without.report()


def test_engine_benchmark_names_the_engines_it_has() -> None:
    with pytest.raises(DbtError, match="no engine benchmark for 'oracle'"):
        run_engine_benchmark("oracle", 10)


@pytest.mark.parametrize(("setting", "expected"), [(None, "2.7 GiB"), ("1GB", "953.6 MiB")])
@pytest.mark.slow  # a dbt run of its own
def test_duckdb_profile_caps_memory(tmp_path: Path, setting: str | None, expected: str) -> None:
    """The duckdb output sets memory_limit (3 GB unless LEAD_FUNNEL_DUCKDB_MEMORY_LIMIT says
    otherwise), so a large build spills instead of taking DuckDB's default 80% of RAM."""
    env = dbt_env(database=tmp_path / "memory.duckdb")
    env.pop("LEAD_FUNNEL_DUCKDB_MEMORY_LIMIT", None)
    env["LEAD_FUNNEL_TARGET"] = "duckdb"
    if setting is not None:
        env["LEAD_FUNNEL_DUCKDB_MEMORY_LIMIT"] = setting
    env["DBT_TARGET_PATH"], env["DBT_LOG_PATH"] = str(tmp_path / "target"), str(tmp_path / "logs")
    argv = build_command("show", extra_args=[
        "--inline", "select current_setting('memory_limit') as memory_limit", "--output", "json"])
    result = subprocess.run(argv, env=env, capture_output=True, text=True, check=False,
                            cwd=project_dir())
    assert result.returncode == 0, result.stdout[-3000:]
    assert f'"memory_limit": "{expected}"' in result.stdout


def test_benchmark_command_passes_no_score_comparison(monkeypatch: pytest.MonkeyPatch) -> None:
    """`lead-funnel benchmark --no-score-comparison` reaches run_benchmark as
    score_comparison=False; without the flag it is True (no build: run_benchmark is replaced)."""
    calls: list[tuple[object, ...]] = []

    class Report:
        def report(self) -> str:
            return "figures"

    def fake_run(*args: object) -> Report:
        calls.append(args)
        return Report()

    monkeypatch.setattr(duckdb_run, "run_benchmark", fake_run)
    assert main(["benchmark", "--contacts", "10", "--no-score-comparison"]) == 0
    assert main(["benchmark", "--contacts", "10"]) == 0
    assert [call[0] for call in calls] == [10, 10]
    assert [call[-1] for call in calls] == [False, True]


def test_shuffle_figures_sum_the_completed_stages_after_the_mark() -> None:
    """Stages 3-6 after a mark at 2: stage 4 was skipped (its shuffle reused), stage 6 is still
    running; 3 and 5 count. Read 1 MiB + 3 MiB = 4 MiB, written 2 MiB, input 10 MiB, run time
    1.5 s + 2.5 s = 4.0 s, spilled 5 MiB. Stages 3 (1 + 2 MiB) and 5 (3 MiB) shuffled 3 MiB
    each: the tie goes to the lower id, so the top one is stage 3, named by its statement on one
    line cut to 100 characters (97 + "...")."""
    mib = 2**20
    stages = [
        {"stageId": 2, "status": "COMPLETE", "shuffleReadBytes": 99 * mib},
        {"stageId": 3, "status": "COMPLETE", "name": "a", "shuffleReadBytes": mib,
         "shuffleWriteBytes": 2 * mib, "inputBytes": 10 * mib, "executorRunTime": 1500,
         "description": "create table t\n  as select * from " + "x" * 200,
         "diskBytesSpilled": 5 * mib},
        {"stageId": 4, "status": "SKIPPED", "shuffleReadBytes": 50 * mib},
        {"stageId": 5, "status": "COMPLETE", "name": "b", "shuffleReadBytes": 3 * mib,
         "executorRunTime": 2500},
        {"stageId": 6, "status": "ACTIVE", "shuffleReadBytes": 7 * mib}]
    figures = shuffle_figures(stages, after_stage_id=2, top=1)
    assert (figures.stages, figures.shuffle_read_bytes, figures.shuffle_write_bytes,
            figures.input_bytes, figures.spilled_bytes, figures.executor_run_ms) == (
        2, 4 * mib, 2 * mib, 10 * mib, 5 * mib, 4000)
    assert [stage.stage_id for stage in figures.top] == [3]
    assert last_stage_id(stages) == 6 and last_stage_id([]) == -1
    lines = figures.lines("full build")
    assert lines[0].startswith("shuffles, full build: 2 stages, shuffle read 4.0 MB, written 2.0 MB")
    statement = "create table t as select * from " + "x" * 65 + "..."
    assert len(statement) == 100
    assert lines[1] == f"        3.0 MB      1.5 s  stage 3: {statement}"
    assert ", spilled to disk 5.0 MB, executor run time 4.0 s;" in lines[0]


def test_a_stage_dbt_ran_is_named_by_its_node() -> None:
    """dbt opens each statement with its query comment (the same hundred characters for every
    model): the stage is named `<node_id>: <statement>` instead, the comment left out; a comment
    without a node_id, or that is not JSON, only goes."""
    comment = ('/* {"app": "dbt", "dbt_version": "1.11.16", "profile_name": "lead_funnel", '
               '"target_name": "spark_cluster", "node_id": "model.lead_funnel.stg_x"} */\n')
    stages = [
        {"stageId": 1, "status": "COMPLETE", "shuffleReadBytes": 3,
         "description": comment + "create or replace table analytics.stg_x\n  as select 1"},
        {"stageId": 2, "status": "COMPLETE", "shuffleReadBytes": 2,
         "description": '/* {"app": "dbt"} */ select 2'},
        {"stageId": 3, "status": "COMPLETE", "shuffleReadBytes": 1,
         "description": "/* {not json} */ select 3"}]
    names = [stage.name for stage in shuffle_figures(stages, after_stage_id=0, top=3).top]
    assert names == [
        "model.lead_funnel.stg_x: create or replace table analytics.stg_x as select 1",
        "select 2", "select 3"]


def test_shuffles_are_summed_by_the_dbt_node_that_ran_them() -> None:
    """Model x ran stages 1 and 3 (shuffle 1 + 2 and 4 MiB, spilled 1 MiB, run 1.0 + 2.0 s);
    test y ran stage 2 (5 MiB read, 0.5 s); stage 4 has no dbt comment (6 MiB) and stage 5 a
    comment without node_id (1 MiB): both are the statements without a node (7 MiB, 2 stages).
    Most shuffled first: the non-dbt group 7 MiB, x 7 MiB (a tie, by name: "(" sorts before
    "m"), y 5 MiB; with top_nodes=2, y is left out."""
    mib = 2**20

    def comment(node_id: str | None) -> str:
        fields = {"app": "dbt", **({"node_id": node_id} if node_id else {})}
        return "/* " + json.dumps(fields) + " */\n"

    stages = [
        {"stageId": 1, "status": "COMPLETE", "shuffleReadBytes": mib, "shuffleWriteBytes": 2 * mib,
         "executorRunTime": 1000, "description": comment("model.p.x") + "create table x"},
        {"stageId": 2, "status": "COMPLETE", "shuffleReadBytes": 5 * mib, "executorRunTime": 500,
         "description": comment("test.p.y") + "select 1"},
        {"stageId": 3, "status": "COMPLETE", "shuffleWriteBytes": 4 * mib, "diskBytesSpilled": mib,
         "executorRunTime": 2000, "description": comment("model.p.x") + "insert into x"},
        {"stageId": 4, "status": "COMPLETE", "shuffleReadBytes": 6 * mib, "description": "load"},
        {"stageId": 5, "status": "COMPLETE", "shuffleReadBytes": mib,
         "description": comment(None) + "select 2"}]
    figures = shuffle_figures(stages, after_stage_id=0, top=1, top_nodes=2)
    assert [(node.node_id, node.stages, node.shuffle_bytes, node.spilled_bytes,
             node.executor_run_ms) for node in figures.top_nodes] == [
        (NOT_DBT, 2, 7 * mib, 0, 0), ("model.p.x", 2, 7 * mib, mib, 3000)]
    lines = figures.lines("full build")
    assert lines[2].startswith("shuffles, full build, by dbt node")
    assert lines[4] == "        7.0 MB      3.0 s        1.0 MB     2  model.p.x"


def test_spark_stages_client_reads_the_first_application() -> None:
    calls: list[str] = []
    payloads = {"http://ui/api/v1/applications": [{"id": "app-1"}, {"id": "app-0"}],
                "http://ui/api/v1/applications/app-1/stages": [{"stageId": 0}]}

    def fetch(url: str) -> object:
        calls.append(url)
        return payloads[url]

    assert SparkStagesClient("http://ui/api/v1/", fetch).stages() == [{"stageId": 0}]
    assert calls == list(payloads)


def test_engine_report_says_when_the_cluster_shuffles_were_not_measured() -> None:
    result = EngineBenchmarkResult(
        engine="spark_cluster", contacts=10, raw_rows={"contacts": 10}, day_rows={"contacts": 1},
        load_seconds=1.0, append_seconds=1.0, full=_figures("full", 130.0),
        incremental=_figures("refresh", 55.0), as_of="a", next_as_of="b")
    assert ("shuffles: not measured (set LEAD_FUNNEL_SPARK_UI_PORT both for "
            "`scripts/spark_cluster.sh up`") in result.report()
    measured = shuffle_figures([{"stageId": 0, "status": "COMPLETE", "shuffleReadBytes": 2**20}], -1)
    with_shuffles = EngineBenchmarkResult(**{**result.__dict__, "full_shuffles": measured,
                                             "refresh_shuffles": measured})
    report = with_shuffles.report()
    assert "shuffles, full build: 1 stages, shuffle read 1.0 MB" in report
    assert "shuffles, one-day refresh: 1 stages" in report and "not measured" not in report
