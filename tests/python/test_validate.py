"""`lead-funnel validate`: the Great Expectations suite over the marts.

Most tests build a tiny DuckDB file with only the analytics columns the validator reads (no
dbt needed), then break exactly one thing and check that exactly that expectation fails.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pytest

from lead_funnel.cli import main
from lead_funnel.dbt_runner import run_dbt
from lead_funnel.marts.access import DATA_QUALITY_SCHEMA
from lead_funnel.marts.validation.results import CheckResult, ValidationError, ValidationReport
from lead_funnel.marts.validation.run import run_validation

from conftest import FIXTURE_AS_OF

HEALTHY_SQL = f"""
create schema analytics;
create schema {DATA_QUALITY_SCHEMA};

create table {DATA_QUALITY_SCHEMA}.dq_run_context as select
    timestamp '2024-07-01 00:00:00' as as_of,
    timestamp '2024-07-01 00:05:00' as run_started_at,
    timestamp '2024-06-30 12:00:00' as newest_event_at,
    4::bigint as staged_contacts,
    3::bigint as active_contacts,
    100::bigint as raw_rows,
    2::bigint as quarantined_rows;

-- c3 is the one PQL: MQL'd by product usage at its PQL moment (mql_at = pql_at); c2 used the
-- product a little (product_score 12.5) without reaching the PQL bar.
create table analytics.lead_stages (
    contact_id varchar, current_stage varchar, created_at timestamp, mql_at timestamp,
    sal_at timestamp, sql_at timestamp, opportunity_at timestamp, customer_at timestamp,
    current_stage_entered_at timestamp, last_mql_at timestamp, product_score double,
    pql_at timestamp);
insert into analytics.lead_stages values
    ('c1', 'lead', '2024-06-01 09:00', null, null, null, null, null, '2024-06-01 09:00', null,
     0.0, null),
    ('c2', 'sal', '2024-06-02 09:00', '2024-06-10 10:00', '2024-06-11 10:00', null, null, null,
     '2024-06-11 10:00', '2024-06-10 10:00', 12.5, null),
    ('c3', 'customer', '2024-05-01 09:00', '2024-05-05 10:00', '2024-05-06 10:00',
     '2024-05-07 10:00', '2024-05-08 10:00', '2024-06-20 10:00', '2024-06-20 10:00',
     '2024-05-05 10:00', 40.25, '2024-05-05 10:00');

create table analytics.lead_handoffs (
    handoff_id varchar, mql_at timestamp, responded_at timestamp, sal_at timestamp,
    rejected_at timestamp, sql_at timestamp, response_hours double);
insert into analytics.lead_handoffs values
    ('h2', '2024-06-10 10:00', '2024-06-11 10:00', '2024-06-11 10:00', null, null, 24.0),
    ('h3', '2024-05-05 10:00', '2024-05-06 10:00', '2024-05-06 10:00', null,
     '2024-05-07 10:00', 24.0);

create table analytics.funnel_conversion (
    cohort_month date, lead_source varchar, leads bigint, mqls bigint, lead_to_mql_rate double,
    pqls bigint);
insert into analytics.funnel_conversion values
    ('2024-05-01', 'referral', 1, 1, 1.0, 1),
    ('2024-06-01', 'paid_search', 2, 1, 0.5, 0);

create table analytics.funnel_volume_daily (
    day date, stage varchar, lead_source varchar, entries bigint, contacts bigint);
insert into analytics.funnel_volume_daily values
    ('2024-06-10', 'mql', 'paid_search', 1, 1),
    ('2024-06-30', 'lead', 'paid_search', 2, 2),
    ('2024-05-05', 'pql', 'referral', 1, 1);
"""

# 24 checks before PQLs, plus 7: pql_at not after as_of, pql_at >= created_at,
# product_score >= 0, every PQL an MQL at or before it, sum(pqls) = PQLs, pql entries >= PQLs,
# funnel_volume_daily stages.
CHECKS = 31


def _make_db(path: Path, *breakage: str) -> str:
    con = duckdb.connect(str(path))
    try:
        con.execute(HEALTHY_SQL)
        for sql in breakage:
            con.execute(sql)
    finally:
        con.close()
    return str(path)


def _failures(report: ValidationReport) -> list[CheckResult]:
    return [r for r in report.results if not r.success]


def test_healthy_database_passes(tmp_path: Path) -> None:
    report = run_validation(_make_db(tmp_path / "ok.duckdb"))
    assert _failures(report) == []
    assert report.success and report.passed == CHECKS and report.failed == 0
    marts = {r.mart for r in report.results}
    assert marts == {"funnel_conversion", "lead_stages", "lead_handoffs", "dq_run_context",
                     "funnel_volume_daily", "volume"}
    assert report.render().splitlines()[-1] == f"validate: {CHECKS} passed, 0 failed"


@pytest.mark.parametrize(
    ("breakage", "mart", "expectation", "observed"),
    [
        pytest.param(
            "update analytics.lead_stages set mql_at = '2024-07-02 08:00' where contact_id = 'c2'",
            "lead_stages", "mql_at not after as_of", ["1 of 3 rows", "2024-07-02 08:00:00"],
            id="stage-timestamp-after-as-of"),
        # The PQL checks. c3 (created 05-01 09:00, mql_at 05-05 10:00) is the only PQL.
        pytest.param(
            "update analytics.lead_stages set pql_at = '2024-07-01 00:00:01' "
            "where contact_id = 'c3'",
            "lead_stages", "pql_at not after as_of", ["1 of 3 rows", "2024-07-01 00:00:01"],
            id="pql-after-as-of"),
        pytest.param(  # mql_at moves with it, so only the created_at check can see it
            "update analytics.lead_stages set pql_at = '2024-04-30 10:00', "
            "mql_at = '2024-04-30 10:00' where contact_id = 'c3'",
            "lead_stages", "pql_at >= created_at",  # GX counts every row, the nulls too
            ["1 of 3 rows", "(2024-04-30T10:00:00", "as (pql_at, created_at)"],
            id="pql-before-created-at"),
        pytest.param(
            "update analytics.lead_stages set pql_at = '2024-05-05 09:59' "
            "where contact_id = 'c3'",
            "lead_stages", "every PQL has an mql_at at or before its pql_at",
            ["1 of 1 rows", "c3", "of the PQLs"],
            id="pql-before-its-mql"),
        pytest.param(  # c1 becomes a PQL without any mql_at; pqls and pql entries follow
            "update analytics.lead_stages set pql_at = '2024-06-20 10:00' where contact_id = 'c1'; "
            "update analytics.funnel_conversion set pqls = 1 where lead_source = 'paid_search'; "
            "insert into analytics.funnel_volume_daily values "
            "('2024-06-20', 'pql', 'paid_search', 1, 1)",
            "lead_stages", "every PQL has an mql_at at or before its pql_at",
            ["1 of 2 rows", "c1"],
            id="pql-without-mql"),
        pytest.param(
            "update analytics.lead_stages set product_score = -0.5 where contact_id = 'c1'",
            "lead_stages", "product_score >= 0", ["1 of 3 rows", "-0.5"],
            id="negative-product-score"),
        pytest.param(
            "update analytics.funnel_conversion set pqls = 2 where lead_source = 'referral'",
            "funnel_conversion", "sum(pqls) = lead_stages rows with a pql_at",
            ["2 pqls in funnel_conversion, 1 in lead_stages"],
            id="pqls-do-not-add-up"),
        pytest.param(
            "delete from analytics.funnel_volume_daily where stage = 'pql'",
            "funnel_volume_daily", "pql entries >= lead_stages rows with a pql_at",
            ["0 pql entries for 1 PQLs"],
            id="pql-without-volume-entry"),
        pytest.param(  # recycles are stage entries of the transitions, not of the volume view
            "insert into analytics.funnel_volume_daily values "
            "('2024-06-12', 'recycled', 'paid_search', 1, 1)",
            "funnel_volume_daily", "stage in the 7 volume stages", ["1 of 4 rows", "recycled"],
            id="unknown-volume-stage"),
        pytest.param(
            "update analytics.lead_handoffs set responded_at = '2024-07-03 00:00' "
            "where handoff_id = 'h2'",
            "lead_handoffs", "responded_at not after as_of", ["1 of 2 rows", "2024-07-03"],
            id="handoff-timestamp-after-as-of"),
        pytest.param(
            f"update {DATA_QUALITY_SCHEMA}.dq_run_context set active_contacts = 5",
            "lead_stages", "row count = dq_run_context.active_contacts (5)", ["3"],
            id="row-count-mismatch"),
        pytest.param(
            "update analytics.funnel_conversion set lead_to_mql_rate = null",
            "funnel_conversion", "mean(lead_to_mql_rate)", ["null"],
            id="all-null-mql-rates"),
        pytest.param(
            "update analytics.funnel_conversion set mqls = leads",
            "funnel_conversion", "overall MQL rate", ["1", "3 mqls / 3 leads"],
            id="overall-mql-rate-one"),
        pytest.param(
            f"update {DATA_QUALITY_SCHEMA}.dq_run_context set quarantined_rows = 10",
            "dq_run_context", "quarantined_rows / raw_rows <= 0.05", ["0.1", "10 of 100"],
            id="quarantine-share-over-ceiling"),
        pytest.param(
            f"update {DATA_QUALITY_SCHEMA}.dq_run_context set newest_event_at = '2024-06-01 00:00'",
            "dq_run_context", "as_of - newest_event_at <= 7 days",
            ["30 days", "2024-06-01 00:00:00"],
            id="stale-events"),
        pytest.param(
            "update analytics.lead_handoffs set response_hours = -3 where handoff_id = 'h3'",
            "lead_handoffs", "response_hours >= 0", ["1 of 2 rows", "-3"],
            id="negative-response-hours"),
        pytest.param(
            "update analytics.lead_stages set current_stage = 'zombie' where contact_id = 'c1'",
            "lead_stages", "current_stage in the 8 funnel stages", ["zombie"],
            id="unknown-stage"),
        pytest.param(
            "insert into analytics.funnel_volume_daily values "
            "('2024-07-02', 'lead', 'referral', 1, 1)",
            "funnel_volume_daily", "day not after as_of's date (2024-07-01)", ["2024-07-02"],
            id="volume-day-after-as-of"),
        pytest.param(
            "update analytics.funnel_volume_daily set contacts = 5 where day = '2024-06-30'",
            "funnel_volume_daily", "entries >= contacts", ["1 of 3 rows", "(2, 5)"],
            id="contacts-over-entries"),
    ],
)
def test_each_breakage_fails_exactly_its_check(
        tmp_path: Path, breakage: str, mart: str, expectation: str, observed: list[str]) -> None:
    report = run_validation(_make_db(tmp_path / "broken.duckdb", breakage))
    failures = _failures(report)
    assert len(failures) == 1, [f"{f.mart}: {f.expectation}: {f.observed}" for f in failures]
    (failure,) = failures
    assert failure.mart == mart
    assert failure.expectation.startswith(expectation), failure.expectation
    for part in observed:
        assert part in failure.observed, failure.observed
    assert report.passed == CHECKS - 1 and not report.success
    line = next(line for line in report.render().splitlines() if line.startswith("FAIL"))
    assert mart in line and failure.observed in line


SEED_SQL = """
create schema analytics_scoring_rules;
create table analytics_scoring_rules.behavioral_scoring_rules (
    rule_id varchar, event_type varchar, points double, is_product_usage boolean);
insert into analytics_scoring_rules.behavioral_scoring_rules values
    ('bhv_unsubscribe', 'unsubscribe', -25, false),
    ('bhv_trial_signup', 'trial_signup', 30, true),
    ('bhv_blank_flag', 'social_follow', -2, null);
"""


def test_product_score_check_follows_the_scoring_rules(tmp_path: Path) -> None:
    """product_score >= 0 is checked while no product-usage rule has negative points: a
    negative non-product rule (unsubscribe) or one whose flag is blank (= false) does not
    count; a negative product-usage rule turns the check into a note."""
    def product_check(report: ValidationReport) -> list[CheckResult]:
        return [r for r in report.results if r.expectation.startswith("product_score")]

    no_seed = run_validation(_make_db(tmp_path / "no_seed.duckdb"), record_history=False)
    assert [r.expectation for r in product_check(no_seed)] == [
        "product_score >= 0 (no product-usage rule has negative points (no scoring-rules "
        "seed: assumed))"]

    negative = "update analytics.lead_stages set product_score = -0.5 where contact_id = 'c1'"
    seeded = run_validation(_make_db(tmp_path / "seeded.duckdb", SEED_SQL, negative),
                            record_history=False)
    (check,) = product_check(seeded)
    assert check.expectation == "product_score >= 0 (no product-usage rule has negative points)"
    assert not check.success and [f.expectation for f in _failures(seeded)] == [check.expectation]

    penalty = ("insert into analytics_scoring_rules.behavioral_scoring_rules values "
               "('bhv_trial_expired', 'trial_expired', -10, true)")
    allowed = run_validation(_make_db(tmp_path / "penalty.duckdb", SEED_SQL, penalty, negative),
                             record_history=False)
    assert product_check(allowed) == [] and allowed.success
    assert len(allowed.results) == CHECKS - 1
    assert ("product_score >= 0 not checked: product-usage rule(s) with negative points: "
            "bhv_trial_expired") in allowed.notes


def test_thresholds_are_parameters(tmp_path: Path) -> None:
    database = _make_db(tmp_path / "db.duckdb",
                        f"update {DATA_QUALITY_SCHEMA}.dq_run_context set quarantined_rows = 10, "
                        "newest_event_at = '2024-06-01 00:00'")
    assert run_validation(database).failed == 2
    assert run_validation(database, max_quarantine_share=0.1, max_staleness_days=30).success


def test_missing_database_and_mart(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="database not found"):
        run_validation(str(tmp_path / "nope.duckdb"))
    database = _make_db(tmp_path / "db.duckdb", "drop table analytics.funnel_volume_daily")
    with pytest.raises(ValidationError, match=r"analytics\.funnel_volume_daily"):
        run_validation(database)
    database = _make_db(tmp_path / "db2.duckdb",
                        "alter table analytics.lead_handoffs drop column response_hours")
    with pytest.raises(ValidationError, match=r"cannot read analytics\.lead_handoffs"):
        run_validation(database)


def test_run_context_is_read_from_the_data_quality_schema(tmp_path: Path) -> None:
    """A dq_run_context left in `analytics` by a build from before the data-quality schema is
    not read: validate names the relation it needs."""
    database = _make_db(tmp_path / "old_layout.duckdb",
                        "create table analytics.dq_run_context as "
                        f"select * from {DATA_QUALITY_SCHEMA}.dq_run_context",
                        f"drop table {DATA_QUALITY_SCHEMA}.dq_run_context")
    with pytest.raises(ValidationError,
                       match=rf"missing from .*: {DATA_QUALITY_SCHEMA}\.dq_run_context \(run"):
        run_validation(database)


def test_cli_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    healthy = _make_db(tmp_path / "ok.duckdb")
    assert main(["validate", "--database", healthy]) == 0
    out = capsys.readouterr().out
    assert out.count("PASS") == CHECKS and "FAIL" not in out
    assert out.rstrip().endswith(f"validate: {CHECKS} passed, 0 failed")

    stale = _make_db(tmp_path / "stale.duckdb", f"update {DATA_QUALITY_SCHEMA}.dq_run_context "
                     "set newest_event_at = '2024-06-01 00:00'")
    assert main(["validate", "--database", stale]) == 1
    out = capsys.readouterr().out
    assert "FAIL  dq_run_context" in out and "observed: 30 days" in out
    assert out.rstrip().endswith(f"validate: {CHECKS - 1} passed, 1 failed")
    assert main(["validate", "--database", stale, "--max-staleness-days", "31"]) == 0
    capsys.readouterr()

    assert main(["validate", "--database", str(tmp_path / "missing.duckdb")]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.strip().splitlines() == [
        f"lead-funnel validate: error: database not found: {tmp_path / 'missing.duckdb'}"]


def test_cli_subprocess_is_quiet(tmp_path: Path) -> None:
    """The real entry point: no GX progress bars, warnings or tracebacks on stderr."""
    healthy = _make_db(tmp_path / "ok.duckdb")
    env = {k: v for k, v in os.environ.items() if k != "GX_ANALYTICS_ENABLED"}
    ok = subprocess.run([sys.executable, "-m", "lead_funnel.cli", "validate", "--database",
                         healthy], capture_output=True, text=True, env=env, check=False)
    assert ok.returncode == 0, ok.stderr
    assert ok.stderr == ""
    missing = subprocess.run([sys.executable, "-m", "lead_funnel.cli", "validate", "--database",
                              str(tmp_path / "missing.duckdb")],
                             capture_output=True, text=True, env=env, check=False)
    assert missing.returncode == 1
    assert len(missing.stderr.strip().splitlines()) == 1
    assert "Traceback" not in missing.stderr


def test_fixture_marts_pass(fixture_db: Path, marts: duckdb.DuckDBPyConnection) -> None:
    # The hand-made fixture is deliberately dirty: 17 of its 60 raw rows are quarantined
    # (0.28), far over the 0.05 production ceiling, so the ceiling here is 0.5. Its newest
    # event (2024-06-30 12:00) is half a day before as_of (2024-07-01), so 7 days is ample.
    # The shared fixture is only read: this run is not recorded in its run history.
    report = run_validation(str(fixture_db), max_quarantine_share=0.5, max_staleness_days=7,
                            record_history=False)
    assert _failures(report) == [], report.render()
    assert report.passed == CHECKS
    # Opened beside the session's read-only connection; both see the same lead_stages.
    row = marts.execute("select count(*) from analytics.lead_stages").fetchone()
    assert row is not None
    count = next(r for r in report.results if r.expectation.startswith("row count"))
    assert count.observed == str(row[0])


# ---------------------------------------------------------------------------------------------
# Volume check: row counts against the last validated run (lead_funnel_meta.run_history).
# ---------------------------------------------------------------------------------------------
def _history(database: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(database, read_only=True) as con:
        return con.execute("select relation, row_count, passed from lead_funnel_meta.run_history "
                           "order by validated_at, relation").fetchall()


def _volume(report: ValidationReport) -> CheckResult:
    return next(r for r in report.results if r.mart == "volume")


def test_volume_check_compares_with_the_last_validated_run(tmp_path: Path) -> None:
    database = _make_db(tmp_path / "db.duckdb")
    first = run_validation(database)
    assert first.success
    assert first.notes == [
        "no earlier validated run in lead_funnel_meta.run_history: the volume check has nothing "
        "to compare with yet",
        "row counts of 4 relations recorded in lead_funnel_meta.run_history"]
    assert _history(database) == [("analytics.funnel_conversion", 2, True),
                                  ("analytics.funnel_volume_daily", 3, True),
                                  ("analytics.lead_handoffs", 2, True),
                                  ("analytics.lead_stages", 3, True)]

    with duckdb.connect(database) as con:  # the next build lost two of three volume rows
        con.execute("delete from analytics.funnel_volume_daily where stage <> 'pql'")
    second = run_validation(database)
    assert [f.mart for f in _failures(second)] == ["volume"]
    observed = _volume(second).observed
    assert observed.startswith("analytics.funnel_volume_daily 3 -> 1 rows (-67%) since the run "
                               "validated at ")
    assert observed.endswith(" UTC (as_of 2024-07-01 00:00:00)")
    assert "FAIL  volume  " in second.render().replace("volume               ", "volume  ")

    # A failed run never becomes the baseline: the drop keeps failing until it is accepted.
    assert not run_validation(database).success
    assert run_validation(database, max_shrink=0.7).success  # accepts a 67% drop
    assert run_validation(database).success  # ... which is now the baseline
    passed = [row[2] for row in _history(database) if row[0] == "analytics.funnel_volume_daily"]
    assert passed == [True, False, False, True, True]


def test_volume_check_threshold_and_vanished_relation(tmp_path: Path) -> None:
    database = _make_db(tmp_path / "db.duckdb")
    assert run_validation(database).success
    with duckdb.connect(database) as con:  # exactly half the handoffs: allowed by 0.5
        con.execute("delete from analytics.lead_handoffs where handoff_id = 'h2'")
    assert run_validation(database, record_history=False).success
    with duckdb.connect(database) as con:
        con.execute("drop table analytics.funnel_conversion")
        con.execute("create table analytics.funnel_conversion (cohort_month date, "
                    "lead_source varchar, leads bigint, mqls bigint, lead_to_mql_rate double, "
                    "pqls bigint)")
        con.execute("insert into analytics.funnel_conversion values "
                    "('2024-06-01', 'paid_search', 2, 1, 0.5, 0)")
    report = run_validation(database, max_shrink=0.4, record_history=False)
    assert _volume(report).observed.startswith(
        "analytics.funnel_conversion 2 -> 1 rows (-50%), analytics.lead_handoffs 2 -> 1 rows "
        "(-50%) since")
    with pytest.raises(ValidationError, match="--max-shrink must be between 0 and 1, got 1.5"):
        run_validation(database, max_shrink=1.5)


def test_history_not_writable_is_a_note_not_a_failure(tmp_path: Path) -> None:
    database = _make_db(tmp_path / "db.duckdb")
    holder = duckdb.connect(database, read_only=True)  # e.g. a BI tool holding the file
    try:
        report = run_validation(database)
    finally:
        holder.close()
    assert report.success
    assert report.notes[-1].startswith(f"run history not recorded: cannot open {database} for "
                                       "writing: ")
    with duckdb.connect(database, read_only=True) as con:
        assert con.execute("select count(*) from information_schema.tables "
                           "where table_schema = 'lead_funnel_meta'").fetchone() == (0,)


def test_cli_max_shrink_and_no_history(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    database = _make_db(tmp_path / "db.duckdb")
    assert main(["validate", "--database", database, "--no-history"]) == 0
    out = capsys.readouterr().out
    assert "note: no earlier validated run" in out and "recorded" not in out
    assert main(["validate", "--database", database]) == 0
    capsys.readouterr()
    with duckdb.connect(database) as con:
        con.execute("delete from analytics.lead_stages where contact_id = 'c1'")
        con.execute(f"update {DATA_QUALITY_SCHEMA}.dq_run_context set active_contacts = 2")
    assert main(["validate", "--database", database, "--max-shrink", "0.2"]) == 1
    out = capsys.readouterr().out
    assert "-> observed: analytics.lead_stages 3 -> 2 rows (-33%) since the run validated" in out
    assert main(["validate", "--database", database, "--max-shrink", "0.5"]) == 0


@pytest.mark.slow  # a dbt run of its own
def test_wiped_extract_fails_the_volume_check(fixture_db: Path, tmp_path: Path) -> None:
    """The brief's case end to end: a validated build, then raw.opportunities arrives empty
    (a wiped extract), the project is rebuilt (dbt build passes) and validate fails."""
    database = tmp_path / "wiped.duckdb"
    shutil.copy(fixture_db, database)
    first = run_validation(str(database), max_quarantine_share=0.5)
    assert first.success, first.render()
    recorded = dict((r, n) for r, n, _ in _history(str(database)))
    assert recorded["raw.opportunities"] == 9 and len(recorded) == 9

    with duckdb.connect(str(database)) as con:
        con.execute("create or replace table raw.opportunities as "
                    "select * from raw.opportunities where false")
    run_dbt("build", as_of=FIXTURE_AS_OF, database=database,
            extra_args=["--exclude-resource-type", "unit_test"])
    second = run_validation(str(database), max_quarantine_share=0.5)
    failures = _failures(second)
    assert [f.mart for f in failures] == ["volume"], second.render()
    assert failures[0].observed.startswith("raw.opportunities 9 -> 0 rows (-100%) since the run "
                                           "validated at ")
