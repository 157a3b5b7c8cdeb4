"""What the scoring rules see, read from a built DuckDB warehouse (read-only).

The rules themselves come from the seeds as loaded (``analytics_scoring_rules``), the contacts
from ``analytics.lead_stages`` (the non-deleted contacts with their stage timestamps) joined to
``stg_crm__contacts`` (the attributes fit rules read), the events from
``stg_marketing__engagement_events`` and the recycle boundaries (``sales_rejected``) from
``stg_crm__sales_activities``: the same relations the dbt models score.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Mapping

import numpy as np
import pandas as pd

from lead_funnel.marts.access import (DATA_QUALITY_SCHEMA, MART_SCHEMA, SCORING_RULES_SCHEMA,
                                      STAGING_SCHEMA, connect_marts)

FIT_COLUMNS = ("rule_id", "attribute", "operator", "value", "points", "description")
BEHAVIORAL_COLUMNS = ("rule_id", "event_type", "url_contains", "points", "max_per_day",
                      "is_hand_raiser", "is_product_usage", "description")

REQUIRED: Final[Mapping[str, list[str]]] = {
    MART_SCHEMA: ["lead_stages"],
    DATA_QUALITY_SCHEMA: ["dq_run_context"],
    STAGING_SCHEMA: ["stg_crm__contacts", "stg_marketing__engagement_events",
                     "stg_crm__sales_activities"],
    SCORING_RULES_SCHEMA: ["fit_scoring_rules", "behavioral_scoring_rules", "personal_email_domains"],
}


class CalibrationError(RuntimeError):
    """The warehouse cannot be calibrated (missing relations, too little history, ...)."""


@dataclass(frozen=True)
class FitRule:
    rule_id: str
    attribute: str
    operator: str
    value: str | None
    points: float
    description: str = ""


@dataclass(frozen=True)
class BehavioralRule:
    rule_id: str
    event_type: str
    url_contains: str | None
    points: float
    max_per_day: int | None = None
    is_hand_raiser: bool = False
    is_product_usage: bool = False
    description: str = ""


@dataclass
class History:
    """contacts: contact_id, created_at, sql_at, customer_at and contract.FIT_ATTRIBUTES (the
    contact's current ones, as the fit score reads them); events: event_id, contact_id,
    event_type, page_url, occurred_at; rejections: contact_id, occurred_at (sales_rejected)."""
    contacts: pd.DataFrame
    events: pd.DataFrame
    rejections: pd.DataFrame
    fit_rules: list[FitRule]
    behavioral_rules: list[BehavioralRule]
    as_of: pd.Timestamp


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    text = str(value).strip()
    return text or None


def _flag(value: Any) -> bool:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return False
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value)


def fit_rules_from_rows(rows: list[dict[str, Any]]) -> list[FitRule]:
    return [FitRule(str(r["rule_id"]).strip(), str(r["attribute"]).strip().lower(),
                    str(r["operator"]).strip().lower(), _text(r.get("value")),
                    float(r["points"]), _text(r.get("description")) or "") for r in rows]


def behavioral_rules_from_rows(rows: list[dict[str, Any]]) -> list[BehavioralRule]:
    rules = []
    for r in rows:
        cap = r.get("max_per_day")
        cap_text = _text(cap)
        rules.append(BehavioralRule(
            str(r["rule_id"]).strip(), str(r["event_type"]).strip().lower(),
            _text(r.get("url_contains")), float(r["points"]),
            None if cap_text is None else int(float(cap_text)), _flag(r.get("is_hand_raiser")),
            _flag(r.get("is_product_usage")), _text(r.get("description")) or ""))
    return rules


def read_seed_csv(path: str | Path) -> list[dict[str, Any]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def write_fit_rules(path: str | Path, rules: list[FitRule]) -> None:
    """The rules in the format of seeds/fit_scoring_rules.csv."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(FIT_COLUMNS)
        for r in rules:
            writer.writerow([r.rule_id, r.attribute, r.operator, r.value or "",
                             _number(r.points), r.description])


def write_behavioral_rules(path: str | Path, rules: list[BehavioralRule]) -> None:
    """The rules in the format of seeds/behavioral_scoring_rules.csv."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(BEHAVIORAL_COLUMNS)
        for r in rules:
            writer.writerow([r.rule_id, r.event_type, r.url_contains or "", _number(r.points),
                             "" if r.max_per_day is None else r.max_per_day,
                             str(r.is_hand_raiser).lower(), str(r.is_product_usage).lower(),
                             r.description])


CONTACTS_SQL = f"""
select
    stages.contact_id,
    stages.created_at,
    stages.sql_at,
    stages.customer_at,
    contacts.job_title,
    contacts.industry,
    contacts.country_code,
    contacts.lead_source,
    contacts.employee_count,
    contacts.email_domain,
    case when personal.domain is not null then 'personal' else 'business' end
        as email_domain_type
from {MART_SCHEMA}.lead_stages as stages
inner join {STAGING_SCHEMA}.stg_crm__contacts as contacts
    on stages.contact_id = contacts.contact_id
left join (
    select distinct lower(trim(domain)) as domain from {SCORING_RULES_SCHEMA}.personal_email_domains
) as personal
    on contacts.email_domain = personal.domain
order by stages.contact_id
"""

EVENTS_SQL = f"""
select events.event_id, events.contact_id, events.event_type, events.page_url,
    events.occurred_at
from {STAGING_SCHEMA}.stg_marketing__engagement_events as events
inner join {MART_SCHEMA}.lead_stages as stages on events.contact_id = stages.contact_id
order by events.contact_id, events.occurred_at, events.event_id
"""

REJECTIONS_SQL = f"""
select activities.contact_id, activities.occurred_at
from {STAGING_SCHEMA}.stg_crm__sales_activities as activities
inner join {MART_SCHEMA}.lead_stages as stages on activities.contact_id = stages.contact_id
where activities.is_rejection
order by activities.contact_id, activities.occurred_at
"""


def load_history(database: str | Path) -> History:
    """Everything calibration reads, from a DuckDB file built by `dbt build`."""
    con = connect_marts(database, REQUIRED, CalibrationError)
    try:
        contacts = con.sql(CONTACTS_SQL).df()
        events = con.sql(EVENTS_SQL).df()
        rejections = con.sql(REJECTIONS_SQL).df()
        # In the seed files' order (a plain scan keeps DuckDB's insertion order).
        fit = con.sql(f"select * from {SCORING_RULES_SCHEMA}.fit_scoring_rules").df()
        bhv = con.sql(f"select * from {SCORING_RULES_SCHEMA}.behavioral_scoring_rules").df()
        as_of_row = con.execute(
            f"select max(as_of) from {DATA_QUALITY_SCHEMA}.dq_run_context").fetchone()
    finally:
        con.close()
    if as_of_row is None or as_of_row[0] is None:
        raise CalibrationError(f"{database}: dq_run_context has no as_of (rebuild it)")
    return History(contacts, events, rejections,
                   fit_rules_from_rows(fit.to_dict("records")),
                   behavioral_rules_from_rows(bhv.to_dict("records")),
                   pd.Timestamp(as_of_row[0]))
