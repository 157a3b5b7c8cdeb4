"""A short, readable funnel summary read from the marts (schema ``analytics``) and the
quarantine (``analytics_data_quality.dq_quarantined_rows``): funnel totals and conversion,
product-qualified leads (PQLs, their moments, and their conversion to customer beside the
MQLs'), accounts (MQAs, and their conversion to customer beside the MQLs'), the top campaigns by
attributed customers under two attribution models, current stages, MQL reasons and handoff
outcomes, quarantined rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lead_funnel.marts.access import DATA_QUALITY_SCHEMA, MART_SCHEMA, connect_marts
from lead_funnel.marts.accounts import ACCOUNT_FUNNEL, AccountsView, has_account_marts, read_accounts
from lead_funnel.marts.rates import (WATERFALL, ratio, read_customer_conversions, read_funnel_totals,
                                     read_handoff_verdicts)

REQUIRED_MARTS = ("funnel_conversion", "lead_stages", "lead_handoffs", "funnel_volume_daily")
REQUIRED_DATA_QUALITY = ("dq_quarantined_rows",)
# The summary compares the earliest-credit and the latest-credit view of the campaigns.
SUMMARY_ATTRIBUTION_MODELS = ("first_touch", "last_touch")
TOP_CAMPAIGNS = 5


class SummaryError(RuntimeError):
    """The database or one of the marts is missing."""


def _rate(value: float | None) -> str:
    return "n/a" if value is None else f"{value:6.1%}"


def _ratio(numerator: float, denominator: float) -> str:
    return _rate(ratio(numerator, denominator))


def _fetch(con: Any, sql: str) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in con.execute(sql).fetchall()]


def _of(numerator: int, denominator: int) -> str:
    return f"{_ratio(numerator, denominator)}  ({numerator:,} of {denominator:,})"


def _breakdown(con: Any, title: str, column: str, table: str) -> list[str]:
    """A blank line, the title, then the rows of ``table`` by ``column``: count and share."""
    counts = _fetch(con, f"select {column}, count(*) from {table} group by 1 order by 2 desc, 1")
    total = sum(int(n) for _, n in counts)
    return ["", f"{title} ({table})"] + [
        f"  {str(value):<16}{int(n):>8,}  {_ratio(int(n), total)}" for value, n in counts]


def summarize(database: str | Path, schema: str = MART_SCHEMA,
              data_quality_schema: str = DATA_QUALITY_SCHEMA) -> str:
    required = [f"{schema}.{name}" for name in REQUIRED_MARTS]
    required += [f"{data_quality_schema}.{name}" for name in REQUIRED_DATA_QUALITY]
    con = connect_marts(database, required, SummaryError)
    try:
        return _render(con, schema, data_quality_schema)
    finally:
        con.close()


def _render(con: Any, schema: str, data_quality_schema: str) -> str:
    lines: list[str] = []
    totals = read_funnel_totals(con, schema)
    lines.append(f"Funnel totals ({schema}.funnel_conversion)")
    for name in WATERFALL:
        lines.append(f"  {name:<14}{totals.counts[name]:>10,}")
    lines.append("  conversion (ratio of totals)")
    for earlier, later in zip(WATERFALL, WATERFALL[1:]):
        lines.append(f"    {earlier:>13} -> {later:<14}{_rate(totals.rate(later, earlier))}")
    lines.append(f"    {'leads':>13} -> {'customers':<14}{_rate(totals.rate('customers', 'leads'))}")

    # PQLs: contacts with a pql_at, and contact-level conversion to customer of the PQLs beside
    # that of the MQLs (contacts with both timestamps / contacts with the first one).
    lines.append("")
    lines.append(f"Product-qualified leads ({schema}.lead_stages, {schema}.funnel_volume_daily)")
    conversions = read_customer_conversions(con, schema)
    (moments,), = _fetch(con, "select coalesce(sum(entries), 0) from "
                              f"{schema}.funnel_volume_daily where stage = 'pql'")
    lines.append(f"  {'pqls':<14}{conversions.pql_contacts:>10,}  contacts with a pql_at")
    lines.append(f"  {'pql moments':<14}{int(moments):>10,}  pql entries (one per cycle's PQL)")
    lines.append("  conversion to customer (contacts)")
    lines.append(f"    {'pqls':>13} -> {'customers':<14}"
                 f"{_of(conversions.pql_customers, conversions.pql_contacts)}")
    lines.append(f"    {'mqls':>13} -> {'customers':<14}"
                 f"{_of(conversions.mql_customers, conversions.mql_contacts)}")

    if schema == MART_SCHEMA and has_account_marts(con):
        view = read_accounts(con)
        lines += _accounts_lines(view, conversions.mql_customers, conversions.mql_contacts)
        lines += _campaign_lines(view)

    lines += _breakdown(con, "Current stage", "current_stage", f"{schema}.lead_stages")
    lines += _breakdown(con, "MQL reasons", "mql_reason", f"{schema}.lead_handoffs")

    lines.append("")
    lines.append(f"Handoff outcomes ({schema}.lead_handoffs)")
    verdicts = read_handoff_verdicts(con, schema)
    for outcome, n in verdicts.by_outcome.items():
        judged = verdicts.sla_judged[outcome]
        lines.append(f"  {outcome:<14}{n:>10,}  within SLA "
                     f"{_ratio(verdicts.within_sla[outcome], judged)} of {judged:,} judged")
    lines.append(f"  {'all':<14}{verdicts.handoffs:>10,}  within SLA "
                 f"{_rate(verdicts.sla_compliance_rate)}")

    lines.append("")
    lines.append(f"Quarantined rows ({data_quality_schema}.dq_quarantined_rows)")
    quarantined = _fetch(con, "select source_table, quarantine_reason, count(*) "
                              f"from {data_quality_schema}.dq_quarantined_rows "
                              "group by 1, 2 order by 1, 2")
    if not quarantined:
        lines.append("  none")
    for table, reason, n in quarantined:
        lines.append(f"  {str(table):<20}{str(reason):<24}{int(n):>8,}")
    return "\n".join(lines)



def _accounts_lines(view: AccountsView, mql_customers: int, mqls: int) -> list[str]:
    """Account funnel totals, and MQA -> customer (accounts) beside MQL -> customer (contacts)."""
    lines = ["", f"Accounts ({MART_SCHEMA}.account_funnel_conversion, {MART_SCHEMA}.account_stages)"]
    accounts = view.funnel["accounts"]
    for name in ACCOUNT_FUNNEL:
        share = "" if name == "accounts" else f"  {_ratio(view.funnel[name], accounts)} of accounts"
        lines.append(f"  {name:<14}{view.funnel[name]:>10,}{share}")
    lines.append("  conversion to customer")
    lines.append(f"    {'mqas':>13} -> {'customers':<14}{_of(view.mqa_customers, view.funnel['mqas'])}"
                 "  accounts")
    lines.append(f"    {'mqls':>13} -> {'customers':<14}{_of(mql_customers, mqls)}  contacts")
    return lines


def _campaign_lines(view: AccountsView) -> list[str]:
    """Top campaigns by attributed customers under each of SUMMARY_ATTRIBUTION_MODELS."""
    lines = ["", f"Campaigns ({MART_SCHEMA}.campaign_funnel): top {TOP_CAMPAIGNS} by attributed customers"]
    for model in SUMMARY_ATTRIBUTION_MODELS:
        lines.append(f"  {model:<34}{'mqls':>9}{'sals':>9}{'customers':>11}")
        for credit in view.top_campaigns(model, "customers", TOP_CAMPAIGNS):
            lines.append(f"    {credit.campaign_id:<32}{credit.mqls:>9.1f}{credit.sals:>9.1f}"
                         f"{credit.customers:>11.1f}")
        none = view.no_campaign(model)
        lines.append(f"    {'(none): no campaign touch':<32}{none.mqls:>9.1f}{none.sals:>9.1f}"
                     f"{none.customers:>11.1f}")
    return lines
