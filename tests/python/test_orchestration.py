"""The Dagster job of orchestration/ run in-process on the hand-made fixture (tests/fixtures/raw),
in a DuckDB file of its own: freshness, dbt build with the tick's as_of, the Great Expectations
check (blocking) and the publication of the marts.

Hand-worked facts of the fixture used below (tests/python/test_fixture_marts.py derives them):
14 staged contacts of which C010 is deleted -> 13 rows in lead_stages; contacts C001-C008, C012,
C012's webinar (15) and demo request (40) at 02-01 10:00 on fit 55 cross the threshold together
(110 >= 100) -> its handoff C012-1 with reason score_threshold and score_at_mql 110; 17 of the 65 raw rows are
quarantined (contacts 4 of 19, events 6 of 25, activities 4 of 12, deals 3 of 9) -> a share of
26.2%, over validate's default ceiling of 5%; every raw row was loaded in 2024, so against
today's clock every source is stale (error after 74 h).
"""

import importlib
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import ModuleType
from typing import Any

import duckdb
import pytest

from conftest import FIXTURE_DIR, PROJECT_DIR
from lead_funnel.warehouse.loading import load_directory

pytestmark = pytest.mark.slow  # the Dagster job, three dbt builds: make test only

# orchestration/ is read from the checkout (as `dagster dev` does from the repository root).
if str(PROJECT_DIR) not in sys.path:
    sys.path.insert(0, str(PROJECT_DIR))


@dataclass
class Orchestration:
    module: ModuleType
    working: Path
    published: Path


@pytest.fixture(scope="module")
def orchestration(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Orchestration]:
    root = tmp_path_factory.mktemp("orchestration")
    working, published = root / "work.duckdb", root / "published.duckdb"
    load_directory(FIXTURE_DIR, str(working), "raw")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("LEAD_FUNNEL_DUCKDB", str(working))
        env.setenv("LEAD_FUNNEL_PUBLISHED_DUCKDB", str(published))
        env.setenv("DBT_TARGET_PATH", str(root / "target"))
        env.setenv("DBT_LOG_PATH", str(root / "target"))
        env.setenv("DO_NOT_TRACK", "1")
        env.delenv("LEAD_FUNNEL_MAX_QUARANTINE_SHARE", raising=False)
        yield Orchestration(importlib.import_module("orchestration.definitions"), working,
                            published)


def _run(orch: Orchestration, run_config: dict[str, Any]) -> Any:
    from dagster import DagsterInstance

    job = orch.module.defs.resolve_job_def(orch.module.JOB_NAME)
    return job.execute_in_process(run_config=run_config, instance=DagsterInstance.ephemeral(),
                                  raise_on_error=False)


def _config(orch: Orchestration, as_of: str) -> dict[str, Any]:
    return {"ops": {orch.module.DBT_OP: {"config": {"as_of": as_of}}}}


def _one(path: Path, sql: str) -> tuple[Any, ...]:
    with duckdb.connect(str(path), read_only=True) as con:
        row = con.execute(sql).fetchone()
    assert row is not None
    return tuple(row)


def _run_dir(orch: Orchestration, result: Any) -> Path:
    """Where the job put this run's dbt artefacts (TARGET_ROOT/run-<run id>)."""
    return Path(orch.module.TARGET_ROOT) / f"run-{result.run_id[:8]}"


def _check(result: Any, name: str) -> Any:
    found = [e for e in result.get_asset_check_evaluations() if e.check_name == name]
    assert len(found) == 1, [e.check_name for e in result.get_asset_check_evaluations()]
    return found[0]


def test_freshness_gates_only_a_current_run() -> None:
    from orchestration.definitions import freshness_gates

    now = datetime(2025, 3, 10, 6, tzinfo=timezone.utc)
    assert freshness_gates(now - timedelta(hours=1), "auto", now)  # tonight's tick
    assert freshness_gates(now - timedelta(hours=26), "auto", now)  # 26 h: still current
    assert not freshness_gates(now - timedelta(hours=27), "auto", now)  # a backfill
    assert freshness_gates(now - timedelta(days=30), "fail", now)
    assert not freshness_gates(now, "warn", now)
    with pytest.raises(ValueError, match="auto, fail or warn"):
        freshness_gates(now, "sometimes", now)


def test_job_builds_the_marts_and_a_failed_suite_blocks_publishing(
        orchestration: Orchestration) -> None:
    # A backfill of the fixture's own day: stale sources only warn, the build runs with that
    # as_of, the marts are there, and the suite fails on the quarantine share alone (26.2% >
    # 5%), which as a blocking check keeps the marts from being published.
    result = _run(orchestration, _config(orchestration, "2024-07-01T00:00:00Z"))
    assert not result.success  # the blocking check failed the run
    assert _one(orchestration.working, "select count(*) from analytics.lead_stages") == (13,)
    assert _one(orchestration.working, "select mql_reason, mql_at, score_at_mql from "
                "analytics.lead_handoffs where handoff_id = 'C012-1'") == (
        "score_threshold", datetime(2024, 2, 1, 10), 110.0)
    assert _one(orchestration.working, "select as_of from analytics_data_quality.dq_run_context"
                ) == (datetime(2024, 7, 1),)
    check = _check(result, "great_expectations")
    assert not check.passed
    failures = check.metadata["failures"].value
    assert "quarantined_rows / raw_rows <= 0.05" in failures and "17 of 65 rows" in failures
    assert len(failures.splitlines()) == 1  # nothing else failed
    # the dbt tests ran as asset checks of the same run, and passed
    dbt_checks = [e for e in result.get_asset_check_evaluations()
                  if e.check_name != "great_expectations"]
    assert len(dbt_checks) > 50 and all(e.passed for e in dbt_checks)
    assert not orchestration.published.exists()
    # freshness ran first and found the 2024 rows stale (error), which only warned
    freshness = _run_dir(orchestration, result) / "freshness" / "sources.json"
    statuses = {r["unique_id"].split(".")[-1]: r["status"]
                for r in json.loads(freshness.read_text())["results"]}
    assert set(statuses.values()) == {"error"}, statuses


def test_schedule_tick_of_a_past_day_builds_with_that_as_of(
        orchestration: Orchestration, monkeypatch: pytest.MonkeyPatch) -> None:
    from dagster import build_schedule_context

    module = orchestration.module
    tick = datetime(2024, 7, 2, 6, 0, tzinfo=timezone.utc)
    evaluation = module.daily_schedule.evaluate_tick(
        build_schedule_context(scheduled_execution_time=tick))
    [request] = evaluation.run_requests
    assert request.run_config == _config(orchestration, "2024-07-02T06:00:00Z")
    # The fixture's quarantine share (26.2%) is accepted here, so the suite passes and publishes.
    monkeypatch.setenv("LEAD_FUNNEL_MAX_QUARANTINE_SHARE", "0.3")
    result = _run(orchestration, request.run_config)
    assert result.success
    assert _check(result, "great_expectations").passed
    # the as_of the build received is the tick, in the working file and in the published copy
    for path in (orchestration.working, orchestration.published):
        assert _one(path, "select as_of from analytics_data_quality.dq_run_context") == (
            datetime(2024, 7, 2, 6),)
    assert _one(orchestration.published, "select count(*) from analytics.lead_stages") == (13,)
    assert _one(orchestration.published, "select as_of from lead_funnel_meta.publication") == (
        datetime(2024, 7, 2, 6),)


def test_current_tick_with_stale_sources_builds_nothing(orchestration: Orchestration) -> None:
    # Tonight's tick (as_of = now) on rows loaded in 2024: freshness errors and gates the run.
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    result = _run(orchestration, _config(orchestration, now))
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert "a raw table is stale" in str(failure.event_specific_data)
    assert "nothing is built" in str(failure.event_specific_data)
    assert (_run_dir(orchestration, result) / "freshness" / "sources.json").is_file()
    assert not (_run_dir(orchestration, result) / "build").exists()  # dbt build never started
