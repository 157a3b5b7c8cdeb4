"""The semantic layer (models/semantic/): `mf query` on the fixture built at as_of 2024-07-01.

Every expected number is worked out by hand from tests/fixtures/raw and docs/funnel_rules.md
(the fixture's facts are spelt out in test_fixture_marts.py). The 13 contacts of lead_stages are
C001-C009, C011, C012, C015, C016 (C010 is deleted, C013 and C014 quarantined). Its handoffs:

    handoff  lead source     mql_at (week of)      outcome   response  within_sla
    C012-1   organic_search  02-01 (01-29)         accepted  5 h       true
    C003-1   organic_search  03-01 (02-26)         rejected  24 h      true
    C015-1   organic_search  04-01 (04-01)         pending             false (past the SLA)
    C001-1   paid_search     05-01 (04-29)         accepted  10 h      true
    C002-1   paid_search     05-01 (04-29)         accepted  24 h      true
    C003-2   organic_search  05-01 (04-29)         pending             false
    C008-1   organic_search  05-01 (04-29)         pending             false
    C016-1   direct          05-10 (05-06)         pending             false
    C005-1   organic_search  06-29 (06-24)         pending             false
    C004-1   organic_search  06-30 (06-24)         pending             null (12 h before as_of)

Contacts that reached MQL (lead_stages.mql_at): the 9 with a handoff plus C006 (referral) and
C007 (events), whose MQL is inferred from a deal; C009 and C011 never reached it.

MetricFlow reads <project root>/target/semantic_manifest.json, whatever DBT_TARGET_PATH says, so
the test gives it a project root of its own (dbt_project.yml, the parsed semantic manifest and a
copy of the fixture database), as `make metrics-validate` does.
"""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Sequence

import pytest

from lead_funnel.dbt_runner import build_command, dbt_env

pytestmark = pytest.mark.slow  # dbt parse and mf queries: make test only

PROJECT_DIR = Path(__file__).resolve().parents[2]


class MetricFlow:
    """`mf` run in a project root of its own, on a copy of the fixture database."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.queries = 0

    def env(self) -> dict[str, str]:
        env = dbt_env(database=self.root / "fixture.duckdb")
        env["DBT_PROFILES_DIR"] = str(PROJECT_DIR / "profiles")
        env["DBT_LOG_PATH"] = str(self.root / "logs")
        env.pop("DBT_PROJECT_DIR", None)
        env.pop("DBT_TARGET_PATH", None)
        return env

    def query(self, metrics: Sequence[str], group_by: Sequence[str] = ()) -> list[dict[str, str]]:
        """Rows of `mf query --metrics ... --group-by ... --csv`, as text, ordered by the group-by."""
        self.queries += 1
        out = self.root / f"query_{self.queries}.csv"
        argv = [str(Path(sys.executable).parent / "mf"), "query", "--metrics", ",".join(metrics),
                "--csv", str(out)]
        if group_by:
            argv += ["--group-by", ",".join(group_by), "--order", ",".join(group_by)]
        completed = subprocess.run(argv, cwd=self.root, env=self.env(), capture_output=True, text=True,
                                   check=False)
        assert completed.returncode == 0 and out.is_file(), completed.stdout + completed.stderr
        with out.open(newline="", encoding="utf-8") as handle:
            return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def mf(fixture_db: Path, tmp_path_factory: pytest.TempPathFactory) -> MetricFlow:
    root = tmp_path_factory.mktemp("metricflow")
    shutil.copy(PROJECT_DIR / "dbt_project.yml", root / "dbt_project.yml")
    # A copy: other tests hold the fixture open read-only, and the dbt adapter opens it read-write.
    shutil.copy(fixture_db, root / "fixture.duckdb")
    env = dbt_env(database=root / "fixture.duckdb")
    env["DBT_TARGET_PATH"] = str(root / "target")
    env["DBT_LOG_PATH"] = str(root / "logs")
    completed = subprocess.run(build_command("parse", project=PROJECT_DIR), env=env,
                               capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert (root / "target" / "semantic_manifest.json").is_file()
    return MetricFlow(root)


def number(text: str) -> float | None:
    return None if text == "" else float(text)


def test_three_mql_counts_and_the_stage_moments(mf: MetricFlow) -> None:
    [row] = mf.query(["leads", "mql_contacts", "mqls", "handoff_contacts", "sals", "sqls",
                      "opportunities", "customers", "pqls", "pql_contacts"])
    assert {name: number(value) for name, value in row.items()} == {
        "leads": 13,             # the 13 contacts of lead_stages
        "mql_contacts": 11,      # 9 contacts with a handoff + C006 and C007 (inferred MQL)
        "mqls": 10,              # the 10 handoffs: C003 MQL'd twice (re-MQL after its rejection)
        "handoff_contacts": 9,   # C001-C005, C008, C012, C015, C016
        "sals": 3,               # accepted handoffs: C001-1, C002-1, C012-1
        "sqls": 2,               # C001-1 (3 of 4 BANT), C012-1 (4 of 4); C002's 2 of 4 is no SQL
        "opportunities": 4,      # deals O001 (C006), O002 (C007), O003 (C008), O004 (C012)
        "customers": 1,          # O004 won on 03-15
        "pqls": 1,               # C016's one PQL moment (handoff C016-1), by product usage
        "pql_contacts": 1,       # C016
    }


def test_mqls_by_lead_source_are_moments_mql_contacts_are_contacts(mf: MetricFlow) -> None:
    got = {r["contact__lead_source"]: (number(r["mqls"]), number(r["mql_contacts"]))
           for r in mf.query(["mqls", "mql_contacts"], ["contact__lead_source"])}
    assert got == {
        "direct": (1, 1),          # C016
        "events": (None, 1),       # C007: MQL inferred from its deal, no handoff
        "organic_search": (7, 6),  # handoffs C003 x2, C004, C005, C008, C012, C015; 6 contacts
        "paid_search": (2, 2),     # C001, C002 (C011 never MQL'd)
        "referral": (None, 1),     # C006: inferred from its deal
    }  # partner (C009, a lead only) has neither: no row


def test_weekly_acceptance_and_sla_are_ratios_of_one_handoff_cohort(mf: MetricFlow) -> None:
    # By the week (Monday) of each handoff's mql_at, from the table of the module docstring:
    # acceptance = accepted / (accepted + rejected), null when no handoff of the week is judged;
    # SLA compliance = within_sla / handoffs with a verdict (C004-1 has none yet).
    got = {r["metric_time__week"][:10]: tuple(number(r[m]) for m in (
        "mqls", "accepted_handoffs", "judged_handoffs", "mql_acceptance_rate", "sla_compliance_rate"))
        for r in mf.query(["mqls", "accepted_handoffs", "judged_handoffs", "mql_acceptance_rate",
                           "sla_compliance_rate"], ["metric_time__week"])}
    assert got == {
        "2024-01-29": (1, 1, 1, 1.0, 1.0),    # C012-1
        "2024-02-26": (1, 0, 1, 0.0, 1.0),    # C003-1 rejected within 24 h
        "2024-04-01": (1, 0, 0, None, 0.0),   # C015-1 pending past the SLA
        "2024-04-29": (4, 2, 2, 1.0, 0.5),    # C001-1, C002-1 accepted; C003-2, C008-1 pending
        "2024-05-06": (1, 0, 0, None, 0.0),   # C016-1
        "2024-06-24": (2, 0, 0, None, 0.0),   # C005-1 past the SLA; C004-1 no verdict yet
    }
    [total] = mf.query(["mql_acceptance_rate", "sla_compliance_rate", "median_mql_to_sal_hours",
                        "p90_mql_to_sal_hours"])
    assert number(total["mql_acceptance_rate"]) == 0.75  # 3 accepted of 4 judged
    assert number(total["sla_compliance_rate"]) == pytest.approx(4 / 9)  # C001-1, C002-1, C003-1, C012-1
    # Hours from MQL to acceptance of C012-1, C001-1, C002-1: 5, 10, 24. Continuous median 10;
    # p90 at rank 0.9 * (3 - 1) = 1.8: 10 + 0.8 * (24 - 10) = 21.2.
    assert number(total["median_mql_to_sal_hours"]) == pytest.approx(10.0)
    assert number(total["p90_mql_to_sal_hours"]) == pytest.approx(21.2)


def test_cohort_rates_and_conversions_within_a_window(mf: MetricFlow) -> None:
    # Contacts reaching each stage (lead_stages, inferred stages included): 13 leads, 11 MQL,
    # 6 SAL (C001, C002, C012 and the inferred C006, C007, C008), 5 SQL (not C002), 4
    # opportunities (C006, C007, C008, C012), 1 customer (C012); 1 PQL (C016, no customer).
    # Conversions within the window, by UTC day: the same except lead -> MQL in 30 days, which C001
    # and C002 (created 04-01, MQL 05-01: 30 days later, not less) miss: 9 / 13. The others
    # convert the same day or within 4 days (C012: SAL 02-01 -> SQL 02-05 -> deal 02-10), and
    # C012's deal 02-10 is won 03-15, 34 days later, inside 90.
    [row] = mf.query(["lead_to_mql_cohort_rate", "mql_to_sal_cohort_rate", "sal_to_sql_cohort_rate",
                      "sql_to_opportunity_cohort_rate", "opportunity_to_customer_cohort_rate",
                      "lead_to_customer_cohort_rate", "pql_to_customer_rate",
                      "lead_to_mql_conversion_rate", "mql_to_sal_conversion_rate",
                      "sal_to_sql_conversion_rate", "sql_to_opportunity_conversion_rate",
                      "opportunity_to_customer_conversion_rate"])
    expected = {
        "lead_to_mql_cohort_rate": 11 / 13, "mql_to_sal_cohort_rate": 6 / 11,
        "sal_to_sql_cohort_rate": 5 / 6, "sql_to_opportunity_cohort_rate": 4 / 5,
        "opportunity_to_customer_cohort_rate": 1 / 4, "lead_to_customer_cohort_rate": 1 / 13,
        "pql_to_customer_rate": 0.0,
        "lead_to_mql_conversion_rate": 9 / 13, "mql_to_sal_conversion_rate": 6 / 11,
        "sal_to_sql_conversion_rate": 5 / 6, "sql_to_opportunity_conversion_rate": 4 / 5,
        "opportunity_to_customer_conversion_rate": 1 / 4,
    }
    assert {name: number(value) for name, value in row.items()} == pytest.approx(expected)
    # By created month: Jan C007 (inferred), C009 (never), C012: 2 / 3, both within 30 days;
    # Feb C003 (29 days, a leap February), C006, C008: 3 / 3; Mar C011 (never), C015: 1 / 2;
    # Apr C001, C002 after 30 days: cohort 2 / 2, in the window 0 / 2; May C016; Jun C004, C005.
    monthly = {(r["metric_time__month"][:10], name): number(r[name])
               for r in mf.query(["lead_to_mql_cohort_rate", "lead_to_mql_conversion_rate"],
                                 ["metric_time__month"])
               for name in ("lead_to_mql_cohort_rate", "lead_to_mql_conversion_rate")}
    by_month = {"2024-01-01": (2 / 3, 2 / 3), "2024-02-01": (1.0, 1.0), "2024-03-01": (0.5, 0.5),
                "2024-04-01": (1.0, 0.0), "2024-05-01": (1.0, 1.0), "2024-06-01": (1.0, 1.0)}
    assert monthly == pytest.approx({
        (month, name): rate for month, rates in by_month.items()
        for name, rate in zip(("lead_to_mql_cohort_rate", "lead_to_mql_conversion_rate"), rates)})


# --- the figures of docs/metrics.md come from these queries ------------------------------------

GENERATED_RE = re.compile(r"<!-- generated by: mf query --metrics (\S+)(?: --group-by (\S+))? -->\n"
                          r"(.*?)<!-- end generated -->", re.S)


def markdown_table(rows: list[dict[str, str]]) -> str:
    header = list(rows[0])
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row[name] for name in header) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def test_the_figures_of_docs_metrics_md_are_what_mf_prints(mf: MetricFlow) -> None:
    # Every block of docs/metrics.md marked `generated by: mf query ...` is exactly the table of
    # that query on the fixture: a figure in the doc that drifts from the code fails here, and
    # the message is the doc's text with every block regenerated.
    path = PROJECT_DIR / "docs" / "metrics.md"
    doc = path.read_text(encoding="utf-8")
    assert len(GENERATED_RE.findall(doc)) == doc.count("<!-- generated by:") >= 2

    def regenerated(match: re.Match[str]) -> str:
        metrics, group_by = match.group(1), match.group(2)
        rows = mf.query(metrics.split(","), group_by.split(",") if group_by else ())
        marker = match.group(0)[:match.start(3) - match.start(0)]
        return marker + markdown_table(rows) + "<!-- end generated -->"

    expected = GENERATED_RE.sub(regenerated, doc)
    assert doc == expected, f"regenerate the blocks of {path}; it should read:\n{expected}"


def test_accounts_and_mqas_by_cohort_month(mf: MetricFlow) -> None:
    # Accounts are the business email domains of the 13 contacts: C001 and C002 share acme.com,
    # every other contact has a domain of its own -> 12 accounts. acme.com is the one MQA: C001 and
    # C002 both MQL'd on 05-01 10:00, two distinct contacts inside [m - 90 days, m]. Cohort by
    # the earliest created_at: Jan zeta (C007), theta (C009), lambda (C012); Feb beta (C003),
    # eps (C006), eta (C008); Mar example (C011), mu (C015); Apr acme (C001, C002); May tinyco
    # (C016); Jun gamma (C004), delta (C005).
    [row] = mf.query(["accounts", "mqas", "account_to_mqa_rate"])
    assert {name: number(value) for name, value in row.items()} == pytest.approx(
        {"accounts": 12, "mqas": 1, "account_to_mqa_rate": 1 / 12})
    monthly = {r["metric_time__month"][:10]: (number(r["accounts"]), number(r["mqas"]))
               for r in mf.query(["accounts", "mqas"], ["metric_time__month"])}
    assert monthly == {"2024-01-01": (3, 0), "2024-02-01": (3, 0), "2024-03-01": (2, 0),
                       "2024-04-01": (1, 1), "2024-05-01": (1, 0), "2024-06-01": (2, 0)}


def test_attributed_mqls_and_customers_by_campaign_and_model(mf: MetricFlow) -> None:
    # Two fixture events carry a campaign: E001 (C001's demo request, CMP1) and E011 (C012's
    # webinar, WEB1), each at its contact's MQL moment t and each its handoff's only touch, so
    # every model gives CMP1 and WEB1 credit 1; the other 8 of the 10 handoffs have no touch ->
    # (none) 8. Customers: C012 (won 03-15) whose latest handoff with mql_at <= customer_at is
    # C012-1 -> WEB1 1, the others 0.
    rows = mf.query(["attributed_mqls", "attributed_customers"],
                    ["campaign_attribution__attribution_model", "campaign_attribution__campaign_id"])
    got = {(r["campaign_attribution__attribution_model"], r["campaign_attribution__campaign_id"]):
           (number(r["attributed_mqls"]), number(r["attributed_customers"])) for r in rows}
    per_model = {"(none)": (8.0, 0.0), "CMP1": (1.0, 0.0), "WEB1": (1.0, 1.0)}
    assert got == {(model, campaign): credits
                   for model in ("first_touch", "last_touch", "linear", "position_based", "tipping_point")
                   for campaign, credits in per_model.items()}
