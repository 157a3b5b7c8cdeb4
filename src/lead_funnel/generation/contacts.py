"""The contacts stage: a company pool, contacts with their versions, deletions and dirty
rows (the raw ``contacts`` table of docs/funnel_rules.md §2)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lead_funnel.contract import APPLICABLE_REASONS, LEAD_SOURCES
from lead_funnel.generation.counts import TableCounts
from lead_funnel.generation.text import (
    BAD_TIMESTAMPS,
    COMPANY_KINDS,
    COMPANY_LEGAL,
    COMPANY_WORDS,
    COUNTRIES,
    COUNTRY_P,
    DAY,
    FIRST_NAMES,
    HOUR,
    INDUSTRIES,
    INDUSTRY_P,
    JOB_TITLES,
    JOB_TITLE_P,
    LAST_NAMES,
    LEAD_SOURCE_P,
    PERSONAL_DOMAINS,
    PERSONAL_DOMAIN_P,
    IntArray,
    boolean_text,
    constant_text,
    contract_table,
    dirty_row_count,
    id_text,
    if_else,
    join_text,
    loaded_at_text,
    messy_case,
    pick_text,
    set_column,
    split_counts,
    take_text,
    timestamp_text,
    uniform_int,
)


@dataclass(frozen=True)
class Companies:
    """The company pool (drawn once, by the first chunk) and the Zipf-ish order of picks."""
    name: pa.Array
    domain: pa.Array
    industry: pa.Array
    size: IntArray
    order: IntArray


@dataclass(frozen=True)
class Contacts:
    table: pa.Table
    counts: TableCounts
    ids: pa.Array          # contact_id text of contact i of the chunk
    created: IntArray      # created_at (epoch seconds) of contact i
    deleted: int
    companies: Companies
    source: IntArray       # lead source of contact i: index in LEAD_SOURCES, -1 when blank


N_COMPANIES = len(COMPANY_WORDS) * len(COMPANY_KINDS)


def _draw_company_pool(rng: np.random.Generator) -> tuple[pa.Array, pa.Array, pa.Array, IntArray]:
    """Name, domain, industry and size of every company of the pool."""
    kinds = len(COMPANY_KINDS)
    comp_word = np.arange(N_COMPANIES) // kinds
    comp_kind = np.arange(N_COMPANIES) % kinds
    comp_base = join_text(take_text(COMPANY_WORDS, comp_word), " ",
                          take_text(COMPANY_KINDS, comp_kind))
    comp_name = join_text(comp_base, pick_text(rng, COMPANY_LEGAL, N_COMPANIES))
    comp_domain = join_text(pc.utf8_lower(take_text(COMPANY_WORDS, comp_word)), "-",
                            pc.utf8_lower(take_text(COMPANY_KINDS, comp_kind)), ".com")
    comp_industry = pick_text(rng, INDUSTRIES, N_COMPANIES, INDUSTRY_P)
    comp_size = np.exp(rng.random(N_COMPANIES) ** 1.3 * np.log(50_000)).astype(np.int64)
    return comp_name, comp_domain, comp_industry, np.clip(comp_size, 1, 50_000)


def _pick_companies(rng: np.random.Generator, n: int) -> IntArray:
    weights = 1.0 / (np.arange(N_COMPANIES) + 8.0)
    return rng.choice(N_COMPANIES, size=n, p=weights / weights.sum())


def replay_companies(seed: int, first_chunk_contacts: int) -> Companies:
    """The company pool chunk 0 of a set drew (stream ``PCG64(seed)``, ``first_chunk_contacts``
    contacts), replayed without generating the contacts: later days use the same companies."""
    rng = np.random.Generator(np.random.PCG64(seed))
    rng.beta(1.0, 1.4, first_chunk_contacts)  # the contacts' ages, drawn first
    pool = _draw_company_pool(rng)
    _pick_companies(rng, first_chunk_contacts)
    return Companies(*pool, order=rng.permutation(N_COMPANIES))


def contacts_stage(rng: np.random.Generator, n: int, as_of: int, dirty_rate: float,
                   first_number: int = 0, companies: Companies | None = None) -> Contacts:
    """``n`` contacts numbered from ``first_number`` + 1: a first version each, a second one
    for ~15%, ~1% ending deleted, and malformed extra versions / blank ids at ``dirty_rate``.
    Without ``companies`` the company pool is drawn here (the first chunk)."""
    age = (730 * DAY * rng.beta(1.0, 1.4, n)).astype(np.int64)
    created = as_of - np.maximum(age, 120)
    contact_ids = id_text("C-", np.arange(first_number + 1, first_number + n + 1, dtype=np.int64),
                          7)

    # Companies: a Zipf-ish pool with fixed industry and size.
    if companies is None:
        pool = _draw_company_pool(rng)
        comp = _pick_companies(rng, n)
        companies = Companies(*pool, order=rng.permutation(N_COMPANIES))
    else:
        comp = _pick_companies(rng, n)
    comp = companies.order[comp]
    comp_idx = pa.array(comp)

    first = rng.integers(0, len(FIRST_NAMES), n)
    last = rng.integers(0, len(LAST_NAMES), n)
    local = join_text(take_text(FIRST_NAMES, first), ".", take_text(LAST_NAMES, last))
    personal = rng.random(n) < 0.20
    digits = pc.cast(pa.array(rng.integers(1, 999, n)), pa.string())
    personal_local = if_else(rng.random(n) < 0.5, join_text(local, digits), local)
    email = if_else(personal,
                    join_text(personal_local, "@",
                              pick_text(rng, PERSONAL_DOMAINS, n, PERSONAL_DOMAIN_P)),
                    join_text(local, "@", pc.take(companies.domain, comp_idx)))
    email = messy_case(rng, email, 0.02, 0.04, 0.02)
    u = rng.random(n)
    invalid = if_else(rng.random(n) < 0.5, constant_text("not-an-email", n),
                      join_text(local, "(at)mail"))
    email = if_else(u < 0.005, invalid, email)
    email = if_else((u >= 0.005) & (u < 0.025), constant_text("", n), email)

    source_code = rng.choice(len(LEAD_SOURCES), size=n,
                             p=np.asarray(LEAD_SOURCE_P) / np.sum(LEAD_SOURCE_P))
    source = messy_case(rng, take_text(LEAD_SOURCES, source_code), 0.01, 0.02, 0.015)
    blank_source = rng.random(n) < 0.01
    source = if_else(blank_source, constant_text("", n), source)
    source_code = np.where(blank_source, -1, source_code).astype(np.int64)
    title = pick_text(rng, JOB_TITLES, n, JOB_TITLE_P)
    title = if_else(rng.random(n) < 0.02, constant_text("", n), title)
    country = pick_text(rng, COUNTRIES, n, COUNTRY_P)
    country = if_else(rng.random(n) < 0.01, constant_text("", n), country)
    country = if_else(rng.random(n) < 0.005, join_text(country, " "), country)
    industry = messy_case(rng, pc.take(companies.industry, comp_idx), 0.0, 0.05, 0.01)
    industry = if_else(rng.random(n) < 0.02, constant_text("", n), industry)
    company = pc.take(companies.name, comp_idx)
    company = if_else(rng.random(n) < 0.01, constant_text("", n), company)
    size_text = pc.cast(pa.array(companies.size[comp]), pa.string())
    u = rng.random(n)
    malformed = pick_text(rng, ["1,000", "n/a", "50+", "unknown"], n)
    employees = if_else(u < 0.005, malformed, size_text)
    employees = if_else((u >= 0.005) & (u < 0.035), constant_text("", n), employees)

    # Versions: ~15% get a second, later version; ~1% of contacts end up deleted.
    eligible = np.flatnonzero(created < as_of - 3 * DAY)
    n_multi = min(len(eligible), int(round(0.15 * n)))
    multi = np.sort(rng.choice(eligible, size=n_multi, replace=False))
    n_deleted = min(n_multi, int(round(0.01 * n)))
    deleted_v2 = np.zeros(n_multi, dtype=bool)
    deleted_v2[rng.choice(n_multi, size=n_deleted, replace=False)] = True

    headroom = np.minimum(DAY, as_of - created)
    upd1 = created + uniform_int(rng, 0, headroom, n)
    blank_upd1 = rng.random(n) < 0.02
    blank_upd1[multi] = False
    load1 = np.maximum(upd1, created) + uniform_int(rng, 600, 12 * HOUR, n)
    upd2 = upd1[multi] + HOUR + uniform_int(rng, 0, as_of - upd1[multi] - HOUR, n_multi)
    load2 = np.maximum(upd2, load1[multi] + 60) + uniform_int(rng, 600, 12 * HOUR, n_multi)

    v1 = {
        "contact_id": contact_ids, "email": email, "job_title": title,
        "company_name": company, "industry": industry, "country_code": country,
        "lead_source": source, "employee_count": employees,
        "created_at": timestamp_text(rng, created),
        "updated_at": if_else(blank_upd1, constant_text("", n), timestamp_text(rng, upd1)),
        "is_deleted": boolean_text(rng, np.zeros(n, dtype=bool), 0.35),
        "_loaded_at": loaded_at_text(rng, load1),
    }
    midx = pa.array(multi)
    v2 = {k: pc.take(v, midx) for k, v in v1.items()}
    new_title = pick_text(rng, JOB_TITLES, n_multi, JOB_TITLE_P)
    v2["job_title"] = if_else(rng.random(n_multi) < 0.6, new_title, v2["job_title"])
    v2["updated_at"] = timestamp_text(rng, upd2)
    v2["is_deleted"] = boolean_text(rng, deleted_v2, 0.35)
    v2["_loaded_at"] = loaded_at_text(rng, load2)

    good = pa.concat_tables([contract_table(v1, "contacts"), contract_table(v2, "contacts")])
    counts = TableCounts(staged=n, folded=n_multi)

    # Dirty rows: extra malformed versions of existing contacts, or blank ids.
    latest = np.arange(n, dtype=np.int64)
    latest[multi] = n + np.arange(n_multi)
    latest_upd = upd1.copy()
    latest_upd[multi] = upd2
    latest_load = load1.copy()
    latest_load[multi] = load2
    n_bad = dirty_row_count(good.num_rows, dirty_rate)
    bad_parts: list[pa.Table] = []
    for reason, k in zip(APPLICABLE_REASONS["contacts"],
                         split_counts(n_bad, len(APPLICABLE_REASONS["contacts"]))):
        counts.quarantine[reason] = k
        if k == 0:
            continue
        who = rng.choice(n, size=k, replace=k > n)
        rows = good.take(pa.array(latest[who]))
        upd = latest_upd[who] + uniform_int(rng, HOUR, 30 * DAY, k)
        load = np.maximum(upd, latest_load[who]) + uniform_int(rng, 600, DAY, k)
        rows = set_column(rows, "updated_at", timestamp_text(rng, upd))
        if reason == "missing_key":
            rows = set_column(rows, "contact_id", constant_text("", k))
        elif reason == "missing_timestamp":
            rows = set_column(rows, "created_at", constant_text("", k))
        elif reason == "unparseable_timestamp":
            rows = set_column(rows, "created_at", pick_text(rng, BAD_TIMESTAMPS, k))
        elif reason == "after_as_of":
            future = as_of + uniform_int(rng, HOUR, 60 * DAY, k)
            rows = set_column(rows, "created_at", timestamp_text(rng, future))
            rows = set_column(rows, "updated_at", timestamp_text(rng, future + 60))
            load = future + uniform_int(rng, 600, DAY, k)
        rows = set_column(rows, "_loaded_at", loaded_at_text(rng, load))
        bad_parts.append(rows)
    return Contacts(pa.concat_tables([good, *bad_parts]), counts, contact_ids, created,
                    n_deleted, companies, source_code)
