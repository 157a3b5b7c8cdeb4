"""``lead-funnel validate``: the Great Expectations suite of :mod:`.suite` run on the marts of a
built DuckDB file, the run's row counts then recorded in the run history
(:mod:`lead_funnel.warehouse.run_history`).

GX runs on pandas frames (its SQL datasource does not support DuckDB): each mart is read
read-only with DuckDB, handed to an ephemeral GX context as a dataframe asset and validated
against one suite per frame. Scalars derived from several columns (the overall MQL rate, the
quarantine share, the staleness) are put into one-row frames and checked with
``expect_column_max_to_be_between``, which, unlike the per-row expectations, fails on null.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Any

from lead_funnel.marts.access import SCORING_RULES_SCHEMA, connect_marts, relation
from lead_funnel.marts.validation.results import CheckResult, ValidationError, ValidationReport
from lead_funnel.marts.validation.suite import COLUMNS, build_frames, ordered_checks
from lead_funnel.warehouse.run_history import HISTORY, Volumes, read_volumes, record_run

if TYPE_CHECKING:
    import pandas as pd

# The behavioural scoring rules as `dbt seed` loads them (the profile's schema +
# `_scoring_rules`): read, when present, to know whether product_score can be negative.
SCORING_RULES = f"{SCORING_RULES_SCHEMA}.behavioral_scoring_rules"


def _quiet_gx() -> None:
    """No usage reporting and no INFO logs from GX: the run prints its report and nothing else."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    for name in ("great_expectations", "great_expectations.core", "gx"):
        logging.getLogger(name).setLevel(logging.ERROR)


def _negative_product_rules(con: Any) -> list[str] | None:
    """The product-usage rules with negative points (rule_id), or None when the database has no
    scoring-rules seed."""
    schema, name = SCORING_RULES.split(".")
    found = con.execute("select count(*) from information_schema.tables where table_schema = ? "
                        "and table_name = ?", [schema, name]).fetchone()
    if not found or not found[0]:
        return None
    rows = con.execute(f"select rule_id from {SCORING_RULES} where is_product_usage "
                       "and points < 0 order by rule_id").fetchall()
    return [str(row[0]) for row in rows]


def _read(database: str, raw_schema: str = "raw"
          ) -> tuple[dict[str, pd.DataFrame], Volumes, list[str] | None]:
    """The columns the suite reads, the volumes, and the product-usage rules with negative
    points (None without the scoring-rules seed)."""
    import duckdb

    con = connect_marts(database, [relation(name) for name in COLUMNS], ValidationError)
    try:
        frames: dict[str, pd.DataFrame] = {}
        for name, columns in COLUMNS.items():
            sql = f"select {', '.join(columns)} from {relation(name)}"
            try:
                frames[name] = con.sql(sql).df()
            except duckdb.Error as exc:
                first_line = str(exc).splitlines()[0]
                raise ValidationError(f"cannot read {relation(name)}: {first_line}") from exc
        return frames, read_volumes(con, raw_schema), _negative_product_rules(con)
    finally:
        con.close()


def run_validation(database: str, max_quarantine_share: float = 0.05,
                   max_staleness_days: float = 7.0, max_shrink: float = 0.5,
                   raw_schema: str = "raw", record_history: bool = True) -> ValidationReport:
    """Run the suite against the marts in ``database``; raise ValidationError when the
    database, a mart or one of the columns read is missing. Unless ``record_history`` is
    false, the run's row counts are then appended to lead_funnel_meta.run_history."""
    if not 0 <= max_shrink <= 1:
        raise ValidationError(f"--max-shrink must be between 0 and 1, got {max_shrink:g}")
    marts, volumes, negative_product_rules = _read(database, raw_schema)
    _quiet_gx()
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    frames = build_frames(marts, max_quarantine_share, max_staleness_days, volumes, max_shrink,
                          negative_product_rules)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False,
                                                         metric_calculations=False)
    source = context.data_sources.add_pandas(name="lead_funnel_marts")
    outcome: dict[str, CheckResult] = {}
    for frame in frames:
        asset = source.add_dataframe_asset(name=frame.name)
        batch = asset.add_batch_definition_whole_dataframe(name=f"{frame.name}_all").get_batch(
            batch_parameters={"dataframe": frame.df})
        suite = context.suites.add(gx.ExpectationSuite(
            name=f"lead_funnel_{frame.name}", expectations=[c.expectation for c in frame.checks]))
        by_id = {c.expectation.id: c for c in frame.checks}
        for result in batch.validate(suite).results:
            config = result.expectation_config
            if config is None or config.id not in by_id:
                raise ValidationError(f"GX returned a result for an unknown expectation: {config}")
            check = by_id[config.id]
            info = result.exception_info or {}
            if info.get("raised_exception"):
                message = str(info.get("exception_message") or "").splitlines()
                observed = "error: " + (message[0] if message else "expectation raised")
            else:
                observed = check.observe(dict(result.result or {}))
            outcome[check.expectation.id] = CheckResult(
                check.mart, check.description, bool(result.success), observed)
    report = ValidationReport(database=str(database))
    report.results = [outcome[c.expectation.id] for c in ordered_checks(frames)]
    if negative_product_rules:
        report.notes.append("product_score >= 0 not checked: product-usage rule(s) with "
                            "negative points: " + ", ".join(negative_product_rules))
    if volumes.baseline_at is None:
        report.notes.append(f"no earlier validated run in {HISTORY}: the volume check has "
                            "nothing to compare with yet")
    if record_history:
        as_of = marts["dq_run_context"].iloc[0]["as_of"]
        problem = record_run(str(database), as_of, volumes.counts, report.success)
        report.notes.append(problem or f"row counts of {len(volumes.counts)} relations recorded "
                            f"in {HISTORY}")
    return report
