"""Synthetic histories for the calibration tests (tests/python/test_calibrate*.py).

- ``synthetic_tables``: a warehouse whose true weights are known (written directly as the
  relations calibration reads, no dbt), every event in a contact's first 6 days, before the
  default 7-day horizon;
- ``independent_tables``: behaviour independent of the outcome, but positives convert early
  (the shape that fooled the old outcome-dependent prediction moment);
- ``write_raw_cohort``: raw CSVs in the docs/funnel_rules.md §2 contract for a real dbt build,
  the held-out cohort all created at one instant so that one build at as_of = that instant + H
  scores every held-out contact at its horizon.
"""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from conftest import PROJECT_DIR

AS_OF = pd.Timestamp("2025-01-01")
WINDOW = 31.0  # the SQL moment, if any, 30 days after creation
# The true log-odds of reaching SQL: -3 + these weights x counts (attribute: 1 if it holds).
TRUE_WEIGHTS = {"webinar_attended": 1.2, "/integrations": 1.0, "chat_started": 0.7,
                "content_download": 0.3, "Data Analyst": 1.0}
# Mean events per contact (page views split by URL below).
EVENT_MEANS = {"email_open": 3.0, "webinar_attended": 0.5, "chat_started": 0.6,
               "content_download": 0.8, "unsubscribe": 0.1, "page_view": 4.0}
PAGE_URLS = {"https://www.example.com/pricing": 0.3, "https://www.example.com/integrations": 0.2,
             "https://www.example.com/blog/what-is-an-mql": 0.5}
TITLES = ["CEO", "VP Marketing", "Data Analyst", "Marketing Manager", "Software Engineer"]
NO_REJECTIONS = pd.DataFrame({"contact_id": pd.Series([], dtype=str),
                              "occurred_at": pd.Series([], dtype="datetime64[ns]")})


def _contacts(rng: np.random.Generator, n: int) -> pd.DataFrame:
    created = AS_OF - pd.Timedelta(days=WINDOW + 1) - pd.to_timedelta(
        rng.uniform(0, 540, n), unit="D")
    return pd.DataFrame({
        "contact_id": [f"S-{i:05d}" for i in range(n)], "created_at": created,
        "sql_at": pd.NaT, "customer_at": pd.NaT, "job_title": rng.choice(TITLES, n),
        "industry": rng.choice(["software", "retail"], n),
        "country_code": rng.choice(["US", "DE", "IN"], n),
        "lead_source": rng.choice(["organic_search", "referral"], n),
        "employee_count": rng.integers(5, 3000, n),
        "email_domain": rng.choice(["acme.com", "gmail.com", "initech.io"], n)})


def _events(rng: np.random.Generator, contacts: pd.DataFrame, days: float
            ) -> tuple[pd.DataFrame, np.ndarray]:
    """EVENT_MEANS events per contact, uniform over its first `days` days; and the true
    log-odds of each contact (TRUE_WEIGHTS)."""
    n = len(contacts)
    created = contacts["created_at"].to_numpy()
    log_odds = -3.0 + TRUE_WEIGHTS["Data Analyst"] * (contacts["job_title"] == "Data Analyst"
                                                       ).to_numpy()
    rows: list[tuple[str, str, str | None, pd.Timestamp]] = []
    for etype, mean in EVENT_MEANS.items():
        counts = rng.poisson(mean, n)
        for i in np.flatnonzero(counts):
            for _ in range(counts[i]):
                url = (str(rng.choice(list(PAGE_URLS), p=list(PAGE_URLS.values())))
                       if etype == "page_view" else None)
                when = pd.Timestamp(created[i]) + pd.Timedelta(
                    seconds=float(rng.uniform(0, days * 86400)))
                rows.append((contacts["contact_id"].iat[i], etype, url, when))
                if url and url.endswith("/integrations"):
                    log_odds[i] += TRUE_WEIGHTS["/integrations"]
                log_odds[i] += TRUE_WEIGHTS.get(etype, 0.0)
    events = pd.DataFrame(rows, columns=["contact_id", "event_type", "page_url", "occurred_at"])
    events.insert(0, "event_id", [f"SE-{i:07d}" for i in range(len(events))])
    return events, log_odds


def synthetic_tables(n: int = 4000, seed: int = 3) -> dict[str, pd.DataFrame]:
    """Events in the first 6 days; SQL 30 to 30.5 days after creation, with probability
    1 / (1 + exp(-log-odds)) of TRUE_WEIGHTS."""
    rng = np.random.default_rng(seed)
    contacts = _contacts(rng, n)
    events, log_odds = _events(rng, contacts, 6.0)
    positive = rng.random(n) < 1 / (1 + np.exp(-log_odds))
    contacts["sql_at"] = pd.Series(contacts["created_at"] + pd.to_timedelta(
        30 + rng.uniform(0.01, 0.5, n), unit="D")).where(positive)
    return {"contacts": contacts, "events": events, "rejections": NO_REJECTIONS}


def independent_tables(n: int = 4000, seed: int = 11) -> dict[str, pd.DataFrame]:
    """Events uniform over the first 30 days, drawn before and independently of the outcome;
    30% of contacts positive, reaching SQL 1 to 20 days after creation (uniform), so about
    6/19 of them before the 7-day horizon."""
    rng = np.random.default_rng(seed)
    contacts = _contacts(rng, n)
    events, _ = _events(rng, contacts, 30.0)
    positive = rng.random(n) < 0.3
    contacts["sql_at"] = pd.Series(contacts["created_at"] + pd.to_timedelta(
        rng.uniform(1, 20, n), unit="D")).where(positive)
    return {"contacts": contacts, "events": events, "rejections": NO_REJECTIONS}


def write_warehouse(path: Path, tables: dict[str, pd.DataFrame]) -> Path:
    """The relations `load_history` reads, with the project's seeds as the current rules."""
    con = duckdb.connect(str(path))
    for schema in ("analytics", "analytics_staging", "analytics_scoring_rules",
                   "analytics_data_quality"):
        con.execute(f"create schema if not exists {schema}")
    con.register("contacts_df", tables["contacts"])
    con.register("events_df", tables["events"])
    con.register("rejections_df", tables["rejections"])
    con.execute("create or replace table analytics.lead_stages as select contact_id, created_at, "
                "sql_at, customer_at from contacts_df")
    con.execute("create or replace table analytics_staging.stg_crm__contacts as select "
                "contact_id, job_title, industry, country_code, lead_source, "
                "cast(employee_count as bigint) as employee_count, email_domain "
                "from contacts_df")
    con.execute("create or replace table analytics_staging.stg_marketing__engagement_events "
                "as select * from events_df")
    con.execute("create or replace table analytics_staging.stg_crm__sales_activities as select "
                "contact_id, occurred_at, true as is_rejection from rejections_df")
    seeds = PROJECT_DIR / "seeds"
    for name in ("fit_scoring_rules", "behavioral_scoring_rules"):
        con.execute(f"""create or replace table analytics_scoring_rules.{name} as
            select * from read_csv('{seeds / f'{name}.csv'}', header = true,
            all_varchar = true)""")
    con.execute(f"""create or replace table analytics_scoring_rules.personal_email_domains as
        select * from read_csv('{seeds / 'personal_email_domains.csv'}', header = true)""")
    con.execute("create or replace table analytics_data_quality.dq_run_context as "
                f"select timestamp '{AS_OF}' as as_of")
    con.close()
    return path


# --------------------------------------------------------------------------------------
# Raw CSVs for a real dbt build
# --------------------------------------------------------------------------------------
COHORT_WINDOW = 30.0
COHORT_HORIZON = 7.0
HELD_OUT_CREATED = pd.Timestamp("2024-08-01 00:00:00")  # every held-out contact
COHORT_AS_OF = "2024-09-10T00:00:00Z"  # after every window (2024-08-31)
COHORT_EVENTS = {"email_open": 3.0, "page_view": 3.0, "webinar_attended": 0.4,
                 "content_download": 0.5, "chat_started": 0.5, "demo_request": 0.05,
                 "trial_signup": 0.1, "product_key_action": 0.6, "unsubscribe": 0.05}
COHORT_URLS = ["https://www.example.com/pricing", "https://www.example.com/integrations",
               "https://www.example.com/blog/a", "https://www.example.com/docs/start"]
BANT = ("budget_confirmed", "authority_confirmed", "need_confirmed", "timeline_confirmed")


def _iso(moment: pd.Timestamp) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def write_raw_cohort(out: Path, n: int = 1000, held_out: int = 350, seed: int = 5) -> Path:
    """Raw contacts, events and sales activities (no opportunities). The first n - held_out
    contacts are created at whole seconds over the first half of 2024, the last `held_out` all
    at HELD_OUT_CREATED (so they are exactly the newest 30%+ held out). Events: COHORT_EVENTS
    per contact at whole seconds over its first 14 days, never at its 7-day horizon; 10% have
    a sales_rejected in days 1-5 (engagement restarts). SQL (a qualification with all four
    BANT fields) comes 8 to 25 days after creation with log-odds -2.5 + 1.5 chat_started +
    1.0 /integrations views (events before day 7) + 1.0 for a Data Analyst; 4% of contacts
    qualify in days 1-6 instead (left out by calibration)."""
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    trained = n - held_out
    created = [pd.Timestamp("2024-01-01") + pd.Timedelta(seconds=int(s))
               for s in rng.integers(0, 180 * 86400, trained)] + [HELD_OUT_CREATED] * held_out
    titles = rng.choice(TITLES + ["Student", "Head of Growth"], n)
    domains = rng.choice(["acme.com", "gmail.com", "initech.io", "yahoo.com"], n)
    contacts: list[list[str]] = []
    events: list[list[str]] = []
    activities: list[list[str]] = []
    for i in range(n):
        cid, start = f"K-{i:05d}", created[i]
        horizon = start + pd.Timedelta(days=COHORT_HORIZON)
        contacts.append([cid, f"p{i}@{domains[i]}", str(titles[i]), "Co",
                         str(rng.choice(["software", "retail", "education"])),
                         str(rng.choice(["US", "DE", "IN"])),
                         str(rng.choice(["organic_search", "referral", "events"])),
                         str(int(rng.integers(5, 6000))), _iso(start), _iso(start), "false",
                         _iso(start + pd.Timedelta(hours=1))])
        log_odds = -2.5 + (1.0 if titles[i] == "Data Analyst" else 0.0)
        for etype, mean in COHORT_EVENTS.items():
            for _ in range(rng.poisson(mean)):
                offset = int(rng.integers(1, 14 * 86400))
                if offset == int(COHORT_HORIZON * 86400):
                    offset += 1
                when = start + pd.Timedelta(seconds=offset)
                url = str(rng.choice(COHORT_URLS)) if etype == "page_view" else ""
                if when < horizon:
                    log_odds += 1.5 * (etype == "chat_started") + 1.0 * ("integrations" in url)
                events.append([f"KE-{len(events):07d}", cid, etype, url, "", _iso(when),
                               _iso(when + pd.Timedelta(hours=1))])
        if rng.random() < 0.1:
            when = start + pd.Timedelta(seconds=int(rng.integers(86400, 5 * 86400)))
            activities.append([f"KA-{len(activities):06d}", cid, "rep_01", "sales_rejected",
                               "bad_timing", "", "", "", "", _iso(when), _iso(when)])
        if rng.random() < 0.04:
            qualified = start + pd.Timedelta(seconds=int(rng.integers(86400, 6 * 86400)))
        elif rng.random() < 1 / (1 + np.exp(-log_odds)):
            qualified = start + pd.Timedelta(seconds=int(rng.integers(8 * 86400, 25 * 86400)))
        else:
            continue
        activities.append([f"KA-{len(activities):06d}", cid, "rep_01", "qualification", "",
                           "true", "true", "true", "true", _iso(qualified), _iso(qualified)])
    _write(out / "contacts.csv", ["contact_id", "email", "job_title", "company_name",
                                  "industry", "country_code", "lead_source", "employee_count",
                                  "created_at", "updated_at", "is_deleted", "_loaded_at"],
           contacts)
    _write(out / "engagement_events.csv", ["event_id", "contact_id", "event_type", "page_url",
                                           "campaign_id", "occurred_at", "_loaded_at"], events)
    _write(out / "sales_activities.csv", ["activity_id", "contact_id", "owner_id",
                                          "activity_type", "rejection_reason", *BANT,
                                          "occurred_at", "_loaded_at"], activities)
    _write(out / "opportunities.csv", ["opportunity_id", "contact_id", "created_at",
                                       "closed_at", "updated_at", "_loaded_at", "stage_name",
                                       "amount", "is_closed", "is_won"], [])
    return out
