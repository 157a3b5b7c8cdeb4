"""The numbers of the funnel report, read from the marts (read-only) before anything is drawn,
so that they can be tested on their own."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from lead_funnel.dbt_runner import project_dir, project_vars
from lead_funnel.marts.access import connect_marts, relation
from lead_funnel.marts.accounts import AccountsView, has_account_marts, read_accounts
from lead_funnel.marts.rates import (WATERFALL, CustomerConversions, HandoffVerdicts, ratio,
                                     read_customer_conversions, read_funnel_totals,
                                     read_handoff_verdicts)
REQUIRED = ("funnel_conversion", "lead_stages", "lead_handoffs", "dq_quarantined_rows",
            "dq_run_context")


class ReportError(RuntimeError):
    """The database or a mart the report reads is missing."""


@dataclass
class SourceRow:
    lead_source: str
    counts: dict[str, int]

    def rate(self, numerator: str, denominator: str) -> float | None:
        return ratio(self.counts[numerator], self.counts[denominator])


@dataclass
class MqlWeek:
    week: date  # the Monday of the ISO week of mql_at (UTC)
    mqls: int
    accepted: int
    rejected: int
    pending: int

    @property
    def acceptance_rate(self) -> float | None:
        return ratio(self.accepted, self.accepted + self.rejected)


@dataclass
class ReportData:
    database: str
    as_of: datetime
    created_from: datetime | None
    created_to: datetime | None
    totals: dict[str, int]  # WATERFALL counts + pqls, summed over funnel_conversion
    sources: list[SourceRow]
    weeks: list[MqlWeek]
    response_hours: list[tuple[float, bool]]  # responded handoffs: (hours, within_sla)
    pending_inside_sla: int
    pending_past_sla: int
    sla_hours: float
    scores: list[tuple[float, float, bool]]  # contact: (fit, engagement at as_of, ever MQL)
    mql_threshold: float
    pql_months: list[tuple[date, int]]
    conversions: CustomerConversions  # contacts with a pql_at / mql_at, and customers of them
    verdicts: HandoffVerdicts  # lead_handoffs by outcome and SLA verdict
    quarantine: list[tuple[str, str, int]]  # (source_table, reason, rows)
    raw_rows: int
    accounts: AccountsView | None = None  # None when the account marts are not built

    def rate(self, numerator: str, denominator: str) -> float | None:
        return ratio(self.totals[numerator], self.totals[denominator])

    @property
    def handoffs(self) -> int:
        return self.verdicts.handoffs

    @property
    def acceptance_rate(self) -> float | None:
        return self.verdicts.acceptance_rate

    @property
    def within_sla_rate(self) -> float | None:
        """Share of judged handoffs (responded, or pending past the SLA) answered in time."""
        return self.verdicts.sla_compliance_rate

    @property
    def quarantined_rows(self) -> int:
        return sum(n for _, _, n in self.quarantine)


def _var_default(name: str, fallback: float) -> float:
    """A var's default from dbt_project.yml (what a build without --vars used)."""
    found = project_vars() if (project_dir() / "dbt_project.yml").is_file() else {}
    value = found.get(name)
    return fallback if value is None else float(value)


def collect(database: str | Path, sla_hours: float | None = None,
            mql_threshold: float | None = None) -> ReportData:
    """Read every number of the report from the marts of `database` (read-only)."""
    con = connect_marts(database, [relation(name) for name in REQUIRED], ReportError)
    try:
        return _collect(con, str(database),
                        _var_default("handoff_sla_hours", 24) if sla_hours is None else sla_hours,
                        _var_default("mql_threshold", 100) if mql_threshold is None
                        else mql_threshold)
    finally:
        con.close()


def _collect(con: Any, database: str, sla_hours: float, mql_threshold: float) -> ReportData:
    def rows(sql: str) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in con.execute(sql).fetchall()]

    conversion = relation("funnel_conversion")
    stages = relation("lead_stages")
    handoffs = relation("lead_handoffs")
    totals = read_funnel_totals(con).counts
    sources = [SourceRow(str(r[0]), {c: int(v) for c, v in zip(WATERFALL, r[1:])})
               for r in rows(f"select lead_source, {', '.join(f'sum({c})' for c in WATERFALL)} "
                             f"from {conversion} group by 1 order by 2 desc, 1")]
    weeks = [MqlWeek(r[0], int(r[1]), int(r[2]), int(r[3]), int(r[4])) for r in rows(
        "select cast(date_trunc('week', mql_at) as date), count(*), "
        "count(*) filter (where outcome = 'accepted'), "
        "count(*) filter (where outcome = 'rejected'), "
        "count(*) filter (where outcome = 'pending') "
        f"from {handoffs} group by 1 order by 1")]
    responded = [(float(r[0]), bool(r[1])) for r in rows(
        f"select response_hours, within_sla from {handoffs} "
        "where outcome <> 'pending' and response_hours is not null order by 1")]
    pending = rows("select count(*) filter (where within_sla is null), "
                   "count(*) filter (where within_sla = false) "
                   f"from {handoffs} where outcome = 'pending'")[0]
    context = rows(f"select as_of, raw_rows from {relation('dq_run_context')}")
    if not context:
        raise ReportError(f"{relation('dq_run_context')} is empty in {database}")
    created = rows(f"select min(created_at), max(created_at) from {stages}")[0]
    return ReportData(
        database=database, as_of=context[0][0], created_from=created[0], created_to=created[1],
        totals=totals, sources=sources, weeks=weeks, response_hours=responded,
        pending_inside_sla=int(pending[0]), pending_past_sla=int(pending[1]),
        sla_hours=sla_hours,
        scores=[(float(r[0]), float(r[1]), bool(r[2])) for r in rows(
            "select fit_score, coalesce(engagement_score, 0), mql_at is not null "
            f"from {stages} order by contact_id")],
        mql_threshold=mql_threshold,
        pql_months=[(r[0], int(r[1])) for r in rows(
            "select cast(date_trunc('month', pql_at) as date), count(*) "
            f"from {stages} where pql_at is not null group by 1 order by 1")],
        conversions=read_customer_conversions(con),
        verdicts=read_handoff_verdicts(con),
        quarantine=[(str(r[0]), str(r[1]), int(r[2])) for r in rows(
            "select source_table, quarantine_reason, count(*) "
            f"from {relation('dq_quarantined_rows')} group by 1, 2 order by 3 desc, 1, 2")],
        raw_rows=int(context[0][1] or 0),
        accounts=read_accounts(con) if has_account_marts(con) else None,
    )
