"""Accounts and campaigns read from the marts (docs/funnel_rules.md §8, §9), shared by
`lead-funnel summary` and `lead-funnel report`: the account funnel of
``account_funnel_conversion``, the accounts of ``account_stages`` that reached both MQA and
customer, and the attributed credit of every campaign and model of ``campaign_funnel``, summed
over months. Nothing here applies a rule: the marts did; this only adds their rows up."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lead_funnel.marts.access import relation

ACCOUNT_MARTS = ("account_funnel_conversion", "account_stages", "campaign_funnel")
ACCOUNT_FUNNEL = ("accounts", "mqas", "opportunities", "customers")
ACCOUNT_FUNNEL_LABELS = ("Account", "MQA", "Opportunity", "Customer")
NO_CAMPAIGN = "(none)"


@dataclass(frozen=True)
class CampaignCredit:
    """A campaign's attributed credit under one model, summed over the months of mql_at."""
    campaign_id: str
    attribution_model: str
    mqls: float
    sals: float
    customers: float


@dataclass(frozen=True)
class AccountsView:
    funnel: dict[str, int]       # ACCOUNT_FUNNEL counts, summed over the cohorts
    mqa_customers: int           # accounts with both mqa_at and customer_at
    campaigns: list[CampaignCredit]

    def models(self) -> list[str]:
        return sorted({c.attribution_model for c in self.campaigns})

    def top_campaigns(self, model: str, by: str = "customers", limit: int = 5) -> list[CampaignCredit]:
        """The model's campaigns (not `(none)`) by `by` (customers or mqls), then MQLs, then id."""
        rows = [c for c in self.campaigns if c.attribution_model == model and c.campaign_id != NO_CAMPAIGN]
        rows.sort(key=lambda c: (-float(getattr(c, by)), -c.mqls, c.campaign_id))
        return rows[:limit]

    def no_campaign(self, model: str) -> CampaignCredit:
        """The credit of the handoffs the model found no campaign touch for."""
        for credit in self.campaigns:
            if credit.attribution_model == model and credit.campaign_id == NO_CAMPAIGN:
                return credit
        return CampaignCredit(NO_CAMPAIGN, model, 0.0, 0.0, 0.0)


def has_account_marts(con: Any) -> bool:
    """Whether the database holds the account and campaign marts (an older build may not)."""
    found = con.execute(
        "select count(*) from information_schema.tables where table_schema || '.' || table_name in ("
        + ", ".join(f"'{relation(name)}'" for name in ACCOUNT_MARTS) + ")").fetchone()
    return bool(found) and int(found[0]) == len(ACCOUNT_MARTS)


def read_accounts(con: Any) -> AccountsView:
    totals = con.execute("select " + ", ".join(f"coalesce(sum({c}), 0)" for c in ACCOUNT_FUNNEL)
                         + f" from {relation('account_funnel_conversion')}").fetchone()
    mqa_customers = con.execute(
        f"select count(*) from {relation('account_stages')} "
        "where mqa_at is not null and customer_at is not null").fetchone()
    campaigns = [CampaignCredit(str(r[0]), str(r[1]), float(r[2]), float(r[3]), float(r[4]))
                 for r in con.execute(
                     "select campaign_id, attribution_model, sum(attributed_mqls), "
                     "sum(attributed_sals), sum(attributed_customers) "
                     f"from {relation('campaign_funnel')} group by 1, 2 order by 2, 1").fetchall()]
    return AccountsView(funnel={c: int(v) for c, v in zip(ACCOUNT_FUNNEL, totals)},
                        mqa_customers=int(mqa_customers[0]), campaigns=campaigns)
