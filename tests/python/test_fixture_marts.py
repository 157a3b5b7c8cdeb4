"""Worked examples: the marts built on tests/fixtures/raw at as_of 2024-07-01T00:00:00Z.

Every expected value below was worked out by hand from docs/funnel_rules.md with the default vars
(mql_threshold 100, hand_raiser_min_fit 0, half-life 30 days, SLA 24 h, sql_min_bant 3) and the
default seeds. The fixture's contacts all have the "analyst" profile unless noted:
job_title 'Marketing Analyst' (no title rule), industry retail, country ES, 100 employees,
business e-mail (+5), so fit_score = 5 (+5 more for lead_source referral/partner/events).
demo_request is a hand-raiser worth 40 points, so a lone demo request MQLs with score 45.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import pytest

from lead_funnel.marts.access import DATA_QUALITY_SCHEMA

from conftest import Marts, engine_param

AS_OF = datetime(2024, 7, 1)


@pytest.fixture(scope="module", params=[engine_param("duckdb"), engine_param("postgres"),
                                        engine_param("spark"),
                                        engine_param("spark_cluster", pytest.mark.slow)])
def marts(request: pytest.FixtureRequest) -> Marts:
    """Every expectation holds on the three engines: the DuckDB default, PostgreSQL, Spark in a
    local session and Spark as a cluster behind a Thrift server (dbt-spark `thrift`)."""
    fixture_name = {"duckdb": "marts_duckdb", "postgres": "postgres_marts", "spark": "spark_marts",
                    "spark_cluster": "spark_cluster_marts"}
    connection: Marts = request.getfixturevalue(fixture_name[request.param])
    return connection


def decayed(points: float, occurred_at: datetime, half_life_days: float = 30.0) -> float:
    """docs/funnel_rules.md §4: a point earned at e counts 0.5 ** ((t - e) / H) at t."""
    age_days = (AS_OF - occurred_at).total_seconds() / 86400
    return points * 0.5 ** (age_days / half_life_days)


def rows(marts: Marts, sql: str) -> list[dict[str, Any]]:
    result = marts.execute(sql)
    names = [column[0] for column in result.description]
    return [dict(zip(names, row)) for row in result.fetchall()]


def one(marts: Marts, sql: str) -> dict[str, Any]:
    found = rows(marts, sql)
    assert len(found) == 1, f"expected one row, got {len(found)}: {sql}"
    return found[0]


def stage_row(marts: Marts, contact_id: str) -> dict[str, Any]:
    return one(marts, f"select * from analytics.lead_stages where contact_id = '{contact_id}'")


def handoff(marts: Marts, handoff_id: str) -> dict[str, Any]:
    return one(marts, f"select * from analytics.lead_handoffs where handoff_id = '{handoff_id}'")


# --- staging -------------------------------------------------------------------------------

def test_quarantine_has_every_bad_row_with_its_first_reason(marts: Marts) -> None:
    found = {
        (r["source_table"], r["record_key"], r["quarantine_reason"])
        for r in rows(marts, f"select * from {DATA_QUALITY_SCHEMA}.dq_quarantined_rows")
    }
    assert found == {
        ("contacts", None, "missing_key"),
        ("contacts", "C013", "missing_timestamp"),
        ("contacts", "C011", "unparseable_timestamp"),  # newer version with created_at 'garbage'
        ("contacts", "C014", "after_as_of"),
        ("engagement_events", None, "missing_key"),
        ("engagement_events", "E901", "missing_timestamp"),
        ("engagement_events", "E902", "unparseable_timestamp"),
        ("engagement_events", "E903", "after_as_of"),
        ("engagement_events", "E904", "orphan_contact_id"),  # C-GHOST exists nowhere
        ("engagement_events", "E905", "orphan_contact_id"),  # C014 was itself quarantined
        ("sales_activities", None, "missing_key"),
        ("sales_activities", "A901", "unknown_activity_type"),
        ("sales_activities", "A902", "orphan_contact_id"),
        ("sales_activities", "A903", "after_as_of"),
        ("opportunities", "O901", "missing_timestamp"),  # closed without closed_at
        ("opportunities", "O902", "won_not_closed"),
        ("opportunities", "O903", "negative_amount"),
    }


def test_quarantine_keeps_no_email_local_part(marts: Marts) -> None:
    # raw_record shows a quarantined row as the source sent it, except the e-mail: only its
    # domain is kept ('***@domain'), so the quarantine holds no address of a person.
    found = rows(marts, "select source_table, record_key, quarantine_reason, raw_record "
                        f"from {DATA_QUALITY_SCHEMA}.dq_quarantined_rows")
    c011 = [r["raw_record"] for r in found
            if (r["source_table"], r["record_key"]) == ("contacts", "C011")]
    assert len(c011) == 1  # its newer version, jane.doe@example.com with created_at 'garbage'
    assert "email=***@example.com" in c011[0]
    assert "jane" not in c011[0].lower()
    address = re.compile(r"[A-Za-z0-9._%+-]+@")  # a local part before an '@' ('***@' has none)
    leaked = [(r["source_table"], r["record_key"], r["raw_record"]) for r in found
              if r["raw_record"] is not None and address.search(r["raw_record"])]
    assert leaked == []
    assert sum("***@" in (r["raw_record"] or "") for r in found) == 4  # every quarantined contact


def test_data_quality_models_have_their_own_schema(marts_duckdb: Marts) -> None:
    # BI tools read `analytics`; the dq_* models (raw rows included) are only in their schema.
    found = rows(marts_duckdb, "select table_schema, table_name from information_schema.tables "
                               "where table_name like 'dq\\_%' escape '\\'")
    assert sorted((r["table_schema"], r["table_name"]) for r in found) == [
        (DATA_QUALITY_SCHEMA, name) for name in ("dq_connector_unmapped_values",
                                                 "dq_crm_mql_differences", "dq_quarantined_rows",
                                                 "dq_run_context", "dq_source_reconciliation",
                                                 "dq_unknown_event_types")]


def test_reconciliation_counts(marts: Marts) -> None:
    # raw = staged + folded + quarantined, counted row by row from the fixture CSVs.
    got = {
        r["source_table"]: (r["raw_rows"], r["staged_rows"], r["folded_duplicate_rows"], r["quarantined_rows"])
        for r in rows(marts, f"select * from {DATA_QUALITY_SCHEMA}.dq_source_reconciliation")
    }
    assert got == {
        "contacts": (19, 14, 1, 4),  # C010 has two good versions
        "engagement_events": (25, 18, 1, 6),  # E001 delivered twice
        "sales_activities": (12, 7, 1, 4),  # A005 delivered twice
        "opportunities": (9, 4, 2, 3),  # O003 and O004 have two versions each
    }


def test_latest_good_version_offset_and_cleaning(marts: Marts) -> None:
    # C011's newer version is malformed, so the older one stays; its created_at
    # '2024-03-10T10:00:00+02:00' is 08:00 UTC; e-mail and source are trimmed and lower-cased.
    row = stage_row(marts, "C011")
    assert row["created_at"] == datetime(2024, 3, 10, 8, 0)
    assert row["email_domain"] == "example.com"
    assert row["lead_source"] == "paid_search"
    assert row["industry"] == "retail"
    assert row["fit_score"] == 5.0  # not the VP/software version's score
    # Its pricing page view at '2024-06-30T02:00:00+02:00' (= 00:00 UTC, one day before as_of)
    # matches bhv_page_view (1) and bhv_pricing_view (10): 11 * 0.5 ** (1 / 30).
    assert row["engagement_score"] == pytest.approx(11 * 0.5 ** (1 / 30), rel=1e-9)


def test_deleted_contact_leaves_the_marts(marts: Marts) -> None:
    for mart in ("lead_stages", "lead_handoffs", "lead_stage_transitions"):
        assert rows(marts, f"select * from analytics.{mart} where contact_id = 'C010'") == []
    assert one(marts, "select count(*) as n from analytics.lead_stages")["n"] == 13  # 14 staged, C010 deleted


def test_unknown_event_types_are_counted(marts: Marts) -> None:
    assert rows(marts, "select event_type, event_count, contact_count "
                       f"from {DATA_QUALITY_SCHEMA}.dq_unknown_event_types") == [
        {"event_type": "chat_started", "event_count": 1, "contact_count": 1}
    ]


# --- handoffs ------------------------------------------------------------------------------

def test_acceptance_through_qualification_with_three_of_four_bant(marts: Marts) -> None:
    # C001: demo request 05-01 10:00 -> MQL (5 + 40 = 45 < 100: hand_raiser);
    # qualification 05-01 20:00 with budget, authority, need = 3 of 4 -> accepted and SQL at once.
    row = handoff(marts, "C001-1")
    assert row["mql_at"] == datetime(2024, 5, 1, 10)
    assert row["mql_reason"] == "hand_raiser"
    assert row["score_at_mql"] == 45.0
    assert row["outcome"] == "accepted"
    assert row["sal_at"] == row["responded_at"] == datetime(2024, 5, 1, 20)
    assert row["response_hours"] == 10.0
    assert row["within_sla"] is True
    assert row["sql_at"] == datetime(2024, 5, 1, 20)
    assert row["owner_id"] == "rep_02"
    assert stage_row(marts, "C001")["current_stage"] == "sql"


def test_two_of_four_bant_is_not_sql(marts: Marts) -> None:
    # C002: accepted after exactly 24 h (within the SLA, <=); qualification with 2 of 4 BANT.
    row = handoff(marts, "C002-1")
    assert row["outcome"] == "accepted"
    assert row["response_hours"] == 24.0
    assert row["within_sla"] is True
    assert row["sql_at"] is None
    stages = stage_row(marts, "C002")
    assert stages["current_stage"] == "sal"
    assert stages["current_stage_entered_at"] == datetime(2024, 5, 2, 10)
    assert stages["sql_at"] is None


def test_rejection_recycles_and_re_mql_is_a_second_handoff(marts: Marts) -> None:
    # C003: MQL 03-01 10:00, rejected 03-02 10:00 (bad_timing) -> cycle 2; demo request 05-01
    # 10:00 re-MQLs with engagement reset (score 5 + 40 = 45), still pending at as_of.
    first, second = handoff(marts, "C003-1"), handoff(marts, "C003-2")
    assert (first["outcome"], first["rejected_at"], first["rejection_reason"]) == (
        "rejected", datetime(2024, 3, 2, 10), "bad_timing")
    assert first["response_hours"] == 24.0 and first["within_sla"] is True
    assert first["sal_at"] is None and first["owner_id"] == "rep_01"
    assert (second["cycle_number"], second["mql_at"], second["score_at_mql"]) == (2, datetime(2024, 5, 1, 10), 45.0)
    assert second["outcome"] == "pending" and second["owner_id"] is None
    assert second["within_sla"] is False  # as_of - mql_at = 1454 h > 24 h
    stages = stage_row(marts, "C003")
    assert stages["current_stage"] == "mql"
    assert stages["current_stage_entered_at"] == datetime(2024, 5, 1, 10)
    assert stages["mql_at"] == datetime(2024, 3, 1, 10)  # first time
    assert (stages["mql_count"], stages["last_mql_at"], stages["first_mql_reason"]) == (
        2, datetime(2024, 5, 1, 10), "hand_raiser")
    assert stages["engagement_score"] == pytest.approx(decayed(40, datetime(2024, 5, 1, 10)), rel=1e-9)


def test_re_mql_counts_twice_in_daily_volume(marts: Marts) -> None:
    # organic_search MQL entries: C003 on 03-01 and 05-01, C008 on 05-01, C015 on 04-01,
    # C012 on 02-01, C005 on 06-29, C004 on 06-30.
    got = {
        (str(r["day"]), r["entries"], r["contacts"])
        for r in rows(marts, "select * from analytics.funnel_volume_daily "
                             "where stage = 'mql' and lead_source = 'organic_search'")
    }
    assert got == {("2024-02-01", 1, 1), ("2024-03-01", 1, 1), ("2024-04-01", 1, 1),
                   ("2024-05-01", 2, 2), ("2024-06-29", 1, 1), ("2024-06-30", 1, 1)}


def test_pending_handoffs_inside_and_past_the_sla(marts: Marts) -> None:
    inside, past = handoff(marts, "C004-1"), handoff(marts, "C005-1")
    assert inside["outcome"] == past["outcome"] == "pending"
    assert inside["within_sla"] is None  # MQL 12 h before as_of
    assert past["within_sla"] is False  # MQL 48 h before as_of
    assert inside["response_hours"] is None and past["responded_at"] is None


def test_score_threshold_crossed_by_two_events_at_one_instant(marts: Marts) -> None:
    # C012: fit = VP (+20) + software (+10) + US (+5) + 500 employees (+15) + business (+5) = 55;
    # webinar_attended (15) and demo_request (40) both at 02-01 10:00: 55 + 55 = 110 >= 100,
    # where either alone falls short (70, 95). The demo request is a hand-raiser too, but the
    # score crossing comes first among the reasons: score_threshold.
    row = handoff(marts, "C012-1")
    assert (row["mql_reason"], row["score_at_mql"]) == ("score_threshold", 110.0)
    assert (row["outcome"], row["response_hours"], row["sql_at"]) == ("accepted", 5.0, datetime(2024, 2, 5, 10))
    stages = stage_row(marts, "C012")
    assert (stages["fit_score"], stages["fit_grade"]) == (55.0, "A")
    assert stages["current_stage"] == "customer"
    assert stages["current_stage_entered_at"] == stages["customer_at"] == datetime(2024, 3, 15)
    assert stages["opportunity_at"] == datetime(2024, 2, 10)
    assert stages["has_inferred_stage"] is False
    # Events 151 days - 10 h before as_of (2024 is a leap year).
    assert stages["engagement_score"] == pytest.approx(decayed(55, datetime(2024, 2, 1, 10)), rel=1e-9)
    assert (stages["product_score"], stages["pql_at"]) == (0.0, None)


def test_product_usage_alone_makes_a_pql_handed_over_as_an_mql(marts: Marts) -> None:
    # C016, created 05-10 00:00: fit = software (+10) + US (+5) + 30 employees (-5) + business
    # address (+5) = 15, no engagement. Product usage before created_at, on 05-08: trial_signup
    # (30) at 10:00, product_key_action (15, 3 a day earn) at 11:00, 12:00 and 13:00.
    # product_score(12:00) = 30 * 2^(-2/720) + 15 * 2^(-1/720) + 15 = 29.942 + 14.986 + 15
    # = 59.928 < 60 (decay keeps it under the bar); product_score(13:00) = 29.913 + 14.971 +
    # 14.986 + 15 = 74.870 >= 60 with fit 15 >= 0: the PQL moment is 05-08 13:00, and so the MQL
    # moment (15 + 0 < 100, no hand-raiser): reason product_usage, score_at_mql = fit + engagement
    # = 15. Both are clamped to created_at: pql_at = mql_at = 05-10 00:00.
    row = handoff(marts, "C016-1")
    assert (row["mql_reason"], row["score_at_mql"], row["mql_at"]) == ("product_usage", 15.0, datetime(2024, 5, 10))
    assert (row["outcome"], row["within_sla"]) == ("pending", False)
    stages = stage_row(marts, "C016")
    assert (stages["fit_score"], stages["fit_grade"], stages["engagement_score"]) == (15.0, "C", 0.0)
    assert stages["pql_at"] == stages["mql_at"] == datetime(2024, 5, 10)
    assert (stages["current_stage"], stages["first_mql_reason"]) == ("mql", "product_usage")
    expected_product_score = (decayed(30, datetime(2024, 5, 8, 10)) + decayed(15, datetime(2024, 5, 8, 11))
                              + decayed(15, datetime(2024, 5, 8, 12)) + decayed(15, datetime(2024, 5, 8, 13)))
    assert stages["product_score"] == pytest.approx(expected_product_score, rel=1e-9)
    assert stages["total_score"] == 15.0  # product points never count in engagement
    cohort = one(marts, "select * from analytics.funnel_conversion "
                        "where cohort_month = date '2024-05-01' and lead_source = 'direct'")
    assert (cohort["leads"], cohort["mqls"], cohort["pqls"], cohort["customers"]) == (1, 1, 1, 0)
    assert (cohort["pql_to_customer_rate"], cohort["mql_to_sal_rate"]) == (0.0, 0.0)
    volume = {(r["stage"], r["entries"]) for r in rows(
        marts, "select stage, entries from analytics.funnel_volume_daily "
               "where day = date '2024-05-10' and lead_source = 'direct'")}
    assert volume == {("lead", 1), ("mql", 1), ("pql", 1)}
    transitions = [r["to_stage"] for r in rows(
        marts, "select to_stage from analytics.lead_stage_transitions "
               "where contact_id = 'C016' order by transition_number")]
    assert transitions == ["lead", "mql"]  # the PQL is no stage of the waterfall


# --- stages --------------------------------------------------------------------------------

def test_skipped_stages_are_inferred(marts: Marts) -> None:
    # C006: an open deal on 03-01 and nothing else: mql, sal and sql take the deal's time.
    stages = stage_row(marts, "C006")
    assert stages["current_stage"] == "opportunity"
    assert stages["current_stage_entered_at"] == datetime(2024, 3, 1)
    assert stages["mql_at"] == stages["sal_at"] == stages["sql_at"] == stages["opportunity_at"] == datetime(2024, 3, 1)
    assert stages["has_inferred_stage"] is True
    assert (stages["mql_count"], stages["first_mql_reason"], stages["fit_score"]) == (0, None, 10.0)


def test_all_lost_contact_is_recycled(marts: Marts) -> None:
    stages = stage_row(marts, "C007")
    assert stages["current_stage"] == "recycled"
    assert stages["current_stage_entered_at"] == datetime(2024, 4, 1)  # the lost deal's close
    assert stages["customer_at"] is None


def test_open_opportunity_wins_over_a_newer_mql(marts: Marts) -> None:
    # C008: deal opened 03-01 whose newest version closes 08-01 (after as_of: still open);
    # demo request 05-01 is a newer MQL, but rule 3 comes first.
    stages = stage_row(marts, "C008")
    assert stages["current_stage"] == "opportunity"
    assert stages["current_stage_entered_at"] == datetime(2024, 3, 1)
    assert stages["mql_at"] == datetime(2024, 3, 1)  # least(actual MQL 05-01, inferred 03-01)
    assert stages["has_inferred_stage"] is True
    assert handoff(marts, "C008-1")["mql_at"] == datetime(2024, 5, 1, 10)


def test_disqualified_is_terminal(marts: Marts) -> None:
    stages = stage_row(marts, "C015")
    assert stages["current_stage"] == "disqualified"
    assert stages["current_stage_entered_at"] == datetime(2024, 4, 2, 10)
    assert stages["mql_count"] == 1  # the second demo request (05-01) is in the same cycle
    assert stages["owner_id"] == "rep_04"


def test_transitions_of_a_recycled_contact(marts: Marts) -> None:
    got = rows(marts, "select from_stage, to_stage, transitioned_at, cycle_number, hours_in_from_stage "
                      "from analytics.lead_stage_transitions where contact_id = 'C003' order by transition_number")
    assert got == [
        {"from_stage": None, "to_stage": "lead", "transitioned_at": datetime(2024, 2, 1),
         "cycle_number": 1, "hours_in_from_stage": None},
        {"from_stage": "lead", "to_stage": "mql", "transitioned_at": datetime(2024, 3, 1, 10),
         "cycle_number": 1, "hours_in_from_stage": 29 * 24 + 10.0},
        {"from_stage": "mql", "to_stage": "recycled", "transitioned_at": datetime(2024, 3, 2, 10),
         "cycle_number": 1, "hours_in_from_stage": 24.0},
        {"from_stage": "recycled", "to_stage": "mql", "transitioned_at": datetime(2024, 5, 1, 10),
         "cycle_number": 2, "hours_in_from_stage": 60 * 24.0},
    ]


# --- conversion ----------------------------------------------------------------------------

def test_cohort_with_zero_mqls_has_null_mql_to_sal_rate(marts: Marts) -> None:
    row = one(marts, "select * from analytics.funnel_conversion "
                     "where cohort_month = date '2024-01-01' and lead_source = 'partner'")
    assert (row["leads"], row["mqls"], row["lead_to_mql_rate"], row["mql_to_sal_rate"]) == (1, 0, 0.0, None)
    assert row["median_days_lead_to_mql"] is None


def test_cohort_rates_and_medians(marts: Marts) -> None:
    # April paid_search: C001 and C002, both created 04-01 00:00, MQL 05-01 10:00 (30 d 10 h);
    # SAL after 10 h and 24 h (median 17 h); one SQL; no deal.
    row = one(marts, "select * from analytics.funnel_conversion "
                     "where cohort_month = date '2024-04-01' and lead_source = 'paid_search'")
    assert [row[k] for k in ("leads", "mqls", "sals", "sqls", "opportunities", "customers")] == [2, 2, 2, 1, 0, 0]
    assert [row[k] for k in ("lead_to_mql_rate", "mql_to_sal_rate", "sal_to_sql_rate",
                             "sql_to_opportunity_rate", "opportunity_to_customer_rate",
                             "lead_to_customer_rate")] == [1.0, 1.0, 0.5, 0.0, None, 0.0]
    assert row["median_days_lead_to_mql"] == pytest.approx(30 + 10 / 24)
    assert row["median_hours_mql_to_sal"] == pytest.approx(17.0)
    assert row["median_days_mql_to_customer"] is None
    # February organic_search: C003 (MQL after 29 d 10 h) and C008 (created 02-10, inferred MQL
    # at its deal 03-01: 20 d in a leap February):
    # continuous median = (29 + 10/24 + 19) / 2.
    february = one(marts, "select * from analytics.funnel_conversion "
                          "where cohort_month = date '2024-02-01' and lead_source = 'organic_search'")
    assert february["median_days_lead_to_mql"] == pytest.approx((29 + 10 / 24 + 20) / 2)
    assert february["mql_to_sal_rate"] == 0.5
