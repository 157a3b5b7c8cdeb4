"""The Dagster definitions of the nightly lead_funnel run.

One job, ``lead_funnel_daily``, run by a daily schedule (06:00 UTC):

1. ``dbt source freshness`` (warn after 26 h without new rows, error after 74 h: the sources'
   YAML). Freshness is measured against the wall clock, so it gates only a run whose as_of is
   current (within 26 h of now): stale sources then fail the run before anything is built. For
   an older as_of (a backfill) the result is logged as a warning and the build goes on, since
   re-deriving a past day must not depend on today's deliveries. Config ``freshness`` =
   ``fail`` / ``warn`` overrides that.
2. ``dbt build --exclude-resource-type unit_test`` of every model, seed and data test as Dagster assets (``@dbt_assets``; the dbt tests
   are asset checks) with ``--vars '{as_of: <the schedule tick>}'``: a backfill of a past day
   passes that day's tick and rebuilds the same marts (the project's builds are reproducible
   for a given as_of).
3. The Great Expectations suite (``lead_funnel.marts.validation``, what ``lead-funnel validate``
   runs) as a blocking asset check on ``lead_stages``: a failed suite stops the run before
4. ``published_marts``: the marts copied to the published DuckDB file and swapped in atomically
   (``lead_funnel.marts.publish``), the only file BI tools open, so they never block the build.

Environment: ``LEAD_FUNNEL_DUCKDB`` (the working file dbt builds; relative paths are taken from
the project directory, as dbt does), ``LEAD_FUNNEL_PUBLISHED_DUCKDB`` (default
``<working>_published.duckdb``), ``LEAD_FUNNEL_PUBLISHED_PARQUET`` (a folder: also publish Parquet
files), the validate thresholds ``LEAD_FUNNEL_MAX_QUARANTINE_SHARE`` / ``_MAX_STALENESS_DAYS`` /
``_MAX_SHRINK``, ``DBT_TARGET_PATH`` (dbt's artefacts; default ``<project>/target/dagster``) and
``LEAD_FUNNEL_PROJECT_DIR`` (default: this repository).
"""

# No `from __future__ import annotations`: Dagster reads the config annotations at run time.
import json
import os
import subprocess
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from dagster import (
    AssetCheckResult,
    AssetExecutionContext,
    AssetKey,
    AssetSelection,
    Config,
    Definitions,
    Failure,
    MaterializeResult,
    MetadataValue,
    ScheduleDefinition,
    ScheduleEvaluationContext,
    asset,
    asset_check,
    define_asset_job,
)
from dagster_dbt import DbtCliResource, DbtProject, dbt_assets, get_asset_key_for_model

from lead_funnel.dbt_runner import DAILY_BUILD_ARGS, build_command, dbt_env, dbt_executable
from lead_funnel.marts.publish import default_published, publish
from lead_funnel.marts.validation.run import run_validation

PROJECT_DIR = Path(os.environ.get("LEAD_FUNNEL_PROJECT_DIR")
                   or Path(__file__).resolve().parents[1]).resolve()
TARGET_ROOT = Path(os.environ.get("DBT_TARGET_PATH")
                   or PROJECT_DIR / "target" / "dagster").resolve()
MANIFEST_DIR = TARGET_ROOT / "manifest"
MARTS = ("lead_stages", "lead_handoffs", "lead_stage_transitions", "funnel_conversion",
         "funnel_volume_daily", "dq_quarantined_rows", "dq_source_reconciliation",
         "dq_unknown_event_types", "dq_run_context")
# A run whose as_of is this close to now is "current": stale sources fail it (freshness warns
# after 26 h, see the sources' YAML).
CURRENT_WITHIN = timedelta(hours=26)
JOB_NAME = "lead_funnel_daily"
DBT_OP = "lead_funnel_dbt"
_INPUTS = ("models", "macros", "seeds", "tests", "snapshots", "analyses", "dbt_project.yml")


def working_database() -> Path:
    """The DuckDB file dbt builds (the profile reads LEAD_FUNNEL_DUCKDB; dbt runs in the
    project directory, so a relative path is relative to it)."""
    path = Path(os.environ.get("LEAD_FUNNEL_DUCKDB") or "lead_funnel.duckdb")
    return path if path.is_absolute() else PROJECT_DIR / path


def published_database() -> Path:
    return default_published(working_database())


def _newest_input() -> float:
    newest = 0.0
    for name in _INPUTS:
        root = PROJECT_DIR / name
        paths = [root] if root.is_file() else root.rglob("*") if root.is_dir() else []
        newest = max([newest, *(p.stat().st_mtime for p in paths if p.is_file())])
    return newest


def ensure_manifest() -> Path:
    """`dbt parse` into MANIFEST_DIR when the manifest is missing or older than the project's
    files, with this environment's dbt (no activated venv needed)."""
    manifest = MANIFEST_DIR / "manifest.json"
    if manifest.is_file() and manifest.stat().st_mtime >= _newest_input():
        return manifest
    env = dbt_env()
    env.update(DBT_TARGET_PATH=str(MANIFEST_DIR), DBT_LOG_PATH=str(MANIFEST_DIR))
    completed = subprocess.run(build_command("parse", project=PROJECT_DIR, extra_args=["--quiet"]),
                               env=env, cwd=PROJECT_DIR, check=False, capture_output=True,
                               text=True)
    if completed.returncode != 0 or not manifest.is_file():
        raise RuntimeError(f"dbt parse failed (exit {completed.returncode}):\n"
                           f"{completed.stdout[-4000:]}{completed.stderr[-2000:]}")
    return manifest


dbt_project = DbtProject(project_dir=PROJECT_DIR, profiles_dir=PROJECT_DIR / "profiles",
                         target_path=MANIFEST_DIR)
MANIFEST = ensure_manifest()


def utc_iso(moment: datetime) -> str:
    """An instant as dbt's as_of text: ISO-8601 in UTC with a Z (naive = UTC)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return aware.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_as_of(text: str) -> datetime:
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def freshness_gates(as_of: datetime, policy: str, now: datetime | None = None) -> bool:
    """Whether stale sources fail the run: `fail` always, `warn` never, `auto` when as_of is
    current (within CURRENT_WITHIN of now), not for a backfill of a past day."""
    if policy not in ("auto", "fail", "warn"):
        raise ValueError(f"freshness must be auto, fail or warn, got {policy!r}")
    if policy != "auto":
        return policy == "fail"
    return (now or datetime.now(timezone.utc)) - as_of <= CURRENT_WITHIN


class DailyBuildConfig(Config):
    as_of: str = ""  # ISO-8601 instant; empty = the run's start (UTC). The schedule sets its tick.
    freshness: str = "auto"  # auto | fail | warn (see freshness_gates)


@dbt_assets(manifest=MANIFEST, project=dbt_project, name=DBT_OP)
def lead_funnel_dbt(context: AssetExecutionContext, dbt: DbtCliResource,
                    config: DailyBuildConfig) -> Iterator[Any]:
    as_of = parse_as_of(config.as_of) if config.as_of else datetime.now(timezone.utc)
    dbt_vars = json.dumps({"as_of": utc_iso(as_of)})
    run_dir = TARGET_ROOT / f"run-{context.run.run_id[:8]}"
    freshness = dbt.cli(["source", "freshness", "--vars", dbt_vars], raise_on_error=False,
                        manifest=MANIFEST, target_path=run_dir / "freshness").wait()
    if not freshness.is_successful():
        message = ("dbt source freshness: a raw table is stale (no new rows for longer than "
                   "its error_after); see " + str(run_dir / "freshness"))
        if freshness_gates(as_of, config.freshness):
            raise Failure(message + f"; as_of {utc_iso(as_of)} is current, so nothing is built")
        context.log.warning(message + f"; as_of {utc_iso(as_of)} is a backfill: building anyway")
    context.log.info(f"dbt build with as_of {utc_iso(as_of)}")
    # unit tests check the code, not the day's data: CI runs them (`make dbt-test`)
    yield from dbt.cli(["build", "--vars", dbt_vars, *DAILY_BUILD_ARGS], context=context,
                       target_path=run_dir / "build").stream()


MART_KEYS = [get_asset_key_for_model([lead_funnel_dbt], name) for name in MARTS]
LEAD_STAGES: AssetKey = MART_KEYS[0]


def validation_thresholds() -> dict[str, float]:
    """lead-funnel validate's thresholds, from LEAD_FUNNEL_MAX_QUARANTINE_SHARE (0.05),
    LEAD_FUNNEL_MAX_STALENESS_DAYS (7) and LEAD_FUNNEL_MAX_SHRINK (0.5)."""
    defaults = {"max_quarantine_share": 0.05, "max_staleness_days": 7.0, "max_shrink": 0.5}
    return {name: float(os.environ.get(f"LEAD_FUNNEL_{name.upper()}") or value)
            for name, value in defaults.items()}


@asset_check(asset=LEAD_STAGES, name="great_expectations", blocking=True,
             description="The Great Expectations suite of lead-funnel validate on the marts "
                         "(rates, as_of, quarantine share, staleness, volume). Blocking: a "
                         "failure stops the run before the marts are published.")
def great_expectations() -> AssetCheckResult:
    limits = validation_thresholds()
    report = run_validation(str(working_database()),
                            max_quarantine_share=limits["max_quarantine_share"],
                            max_staleness_days=limits["max_staleness_days"],
                            max_shrink=limits["max_shrink"])
    failures = [f"{r.mart}: {r.expectation} -> {r.observed}" for r in report.results
                if not r.success]
    return AssetCheckResult(passed=report.success, metadata={
        "passed": report.passed, "failed": report.failed,
        "failures": MetadataValue.text("\n".join(failures) or "none"),
        "report": MetadataValue.text(report.render()),
    })


@asset(deps=MART_KEYS, description="The marts copied to the published DuckDB file (swapped in "
       "atomically; the file BI tools read) and, with LEAD_FUNNEL_PUBLISHED_PARQUET, to Parquet.")
def published_marts() -> MaterializeResult:
    parquet = os.environ.get("LEAD_FUNNEL_PUBLISHED_PARQUET") or None
    result = publish(working_database(), published_database(), parquet)
    return MaterializeResult(metadata={
        "path": MetadataValue.path(str(result.published)),
        "as_of": utc_iso(result.as_of) if result.as_of else "unknown",
        "tables": len(result.tables), "rows": sum(result.tables.values()),
    })


daily_job = define_asset_job(JOB_NAME, selection=AssetSelection.assets(lead_funnel_dbt,
                                                                       published_marts))


def tick_run_config(context: ScheduleEvaluationContext) -> dict[str, Any]:
    """The run config of one tick: as_of = the tick's scheduled time, in UTC."""
    tick = context.scheduled_execution_time or datetime.now(timezone.utc)
    return {"ops": {DBT_OP: {"config": {"as_of": utc_iso(tick)}}}}


daily_schedule = ScheduleDefinition(
    name=f"{JOB_NAME}_schedule", job=daily_job, cron_schedule="0 6 * * *",
    execution_timezone="UTC", run_config_fn=tick_run_config,
    description="Every day at 06:00 UTC, once the EL tool has appended the day's rows: "
                "freshness, dbt build with as_of = the tick, Great Expectations, publish.")

defs = Definitions(
    assets=[lead_funnel_dbt, published_marts],
    asset_checks=[great_expectations],
    jobs=[daily_job],
    schedules=[daily_schedule],
    resources={"dbt": DbtCliResource(project_dir=dbt_project, dbt_executable=dbt_executable(),
                                     profiles_dir=str(PROJECT_DIR / "profiles"))},
)
