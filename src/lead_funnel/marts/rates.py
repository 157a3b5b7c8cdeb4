"""The funnel's headline counts and rates, read from the marts in one place for every reader
(`lead-funnel summary`, the HTML report). Each rate is the ratio of two totals of a mart, with
the definition of the metric of the same name (models/semantic/_semantic__metrics.yml):

- waterfall conversion: sums of funnel_conversion's cohort counts (the *_cohort_rate metrics);
- handoff acceptance: accepted / (accepted + rejected) handoffs of lead_handoffs
  (mql_acceptance_rate);
- SLA compliance: handoffs whose lead_handoffs.within_sla is true / handoffs with a verdict
  (sla_compliance_rate: pending past the SLA is a breach, pending inside it has no verdict yet);
- conversion to customer of contacts: lead_stages contacts with both timestamps / contacts with
  the first (pql_to_customer_rate for PQLs; the same for MQLs).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lead_funnel.marts.access import MART_SCHEMA

WATERFALL = ("leads", "mqls", "sals", "sqls", "opportunities", "customers")
COUNTED = WATERFALL + ("pqls",)


def ratio(numerator: float, denominator: float) -> float | None:
    """numerator / denominator; None when the denominator is 0 (the marts' null rate)."""
    return None if not denominator else numerator / denominator


def _one_row(con: Any, sql: str) -> tuple[Any, ...]:
    row = con.execute(sql).fetchone()
    assert row is not None, sql
    return tuple(row)


@dataclass(frozen=True)
class FunnelTotals:
    """funnel_conversion's counts summed over every cohort row (WATERFALL and pqls)."""
    counts: dict[str, int]

    def rate(self, numerator: str, denominator: str) -> float | None:
        return ratio(self.counts[numerator], self.counts[denominator])


@dataclass(frozen=True)
class HandoffVerdicts:
    """lead_handoffs by outcome, and the SLA verdicts (within_sla true / not null)."""
    by_outcome: dict[str, int]
    within_sla: dict[str, int]  # per outcome: handoffs whose within_sla is true
    sla_judged: dict[str, int]  # per outcome: handoffs whose within_sla is not null

    @property
    def handoffs(self) -> int:
        return sum(self.by_outcome.values())

    @property
    def acceptance_rate(self) -> float | None:
        accepted = self.by_outcome.get("accepted", 0)
        return ratio(accepted, accepted + self.by_outcome.get("rejected", 0))

    @property
    def sla_compliance_rate(self) -> float | None:
        return ratio(sum(self.within_sla.values()), sum(self.sla_judged.values()))


@dataclass(frozen=True)
class CustomerConversions:
    """lead_stages contacts with a pql_at / mql_at, and those of them with a customer_at."""
    pql_contacts: int
    pql_customers: int
    mql_contacts: int
    mql_customers: int


def read_funnel_totals(con: Any, schema: str = MART_SCHEMA) -> FunnelTotals:
    row = _one_row(con, "select " + ", ".join(f"coalesce(sum({c}), 0)" for c in COUNTED)
                   + f" from {schema}.funnel_conversion")
    return FunnelTotals({name: int(value) for name, value in zip(COUNTED, row)})


def read_handoff_verdicts(con: Any, schema: str = MART_SCHEMA) -> HandoffVerdicts:
    rows = con.execute("select outcome, count(*), count(*) filter (where within_sla), "
                       f"count(within_sla) from {schema}.lead_handoffs "
                       "group by 1 order by 2 desc, 1").fetchall()
    return HandoffVerdicts({str(r[0]): int(r[1]) for r in rows},
                           {str(r[0]): int(r[2]) for r in rows},
                           {str(r[0]): int(r[3]) for r in rows})


def read_customer_conversions(con: Any, schema: str = MART_SCHEMA) -> CustomerConversions:
    row = _one_row(con, (
        "select count(pql_at), count(*) filter (where pql_at is not null and customer_at is not "
        "null), count(mql_at), count(*) filter (where mql_at is not null and customer_at is not "
        f"null) from {schema}.lead_stages"))
    return CustomerConversions(*(int(value) for value in row))
