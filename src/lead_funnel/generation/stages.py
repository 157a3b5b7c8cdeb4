"""The generator's stages, one function per step of the story a raw data set tells.

Each stage takes the random stream (``numpy.random.Generator``) and exactly what it needs, and
returns what it made (numeric arrays for the later stages, text tables for the files). The
only contract between stages is their arguments: :func:`generate_chunk` calls them in the one
order that consumes the stream as the generator always has (same seed -> same bytes).

Key numbering is explicit too: a chunk starts from a :class:`KeyCounters` (how many keys of
each kind earlier chunks or days used) and returns the counters after it, so keys never collide
across chunks.

Dirty rows are built so that each fails exactly one docs/funnel_rules.md §3 check (the reason it is expected
to be quarantined with), and so that they never change what else gets staged: they carry
fresh keys (or a blank key), or are extra, malformed versions of contacts that also have a
good version. The counts are derived from the construction and are exactly true of the rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lead_funnel.contract import (
    ACTIVITY_TYPES,
    APPLICABLE_REASONS,
    KNOWN_EVENT_TYPES,
    LEAD_SOURCES,
    REJECTION_REASONS,
    TABLE_COLUMNS,
    TABLES,
)
from lead_funnel.generation.campaigns import campaign_slugs, off_campaign_probability
from lead_funnel.generation.text import (
    ACT_ACCEPTED,
    ACT_CALL,
    ACT_DISQ,
    ACT_EMAIL,
    ACT_MEETING,
    ACT_QUAL,
    ACT_REJECTED,
    BACKGROUND_EVENT_P,
    BAD_TIMESTAMPS,
    CAMPAIGN_EVENTS,
    COMPANY_KINDS,
    COMPANY_LEGAL,
    COMPANY_WORDS,
    COUNTRIES,
    COUNTRY_P,
    DAY,
    EV_CONTACT_SALES,
    EV_DEMO,
    EV_FORM,
    EV_PAGE_VIEW,
    EVENT_TYPES,
    FIRST_NAMES,
    FORM_URLS,
    HOUR,
    INDUSTRIES,
    INDUSTRY_P,
    INTENT_EVENT_KINDS,
    INTENT_EVENT_P,
    JOB_TITLE_P,
    JOB_TITLES,
    LAST_NAMES,
    LEAD_SOURCE_P,
    N_REPS,
    OPEN_STAGES,
    PAGE_URL_P,
    PAGE_URLS,
    PERSONAL_DOMAIN_P,
    PERSONAL_DOMAINS,
    UNKNOWN_ACTIVITY_TYPES,
    UNKNOWN_EVENT_TYPES,
    BoolArray,
    IntArray,
    _amounts,
    _booleans,
    _const,
    _exp,
    _group_cumsum,
    _ids,
    _join,
    _loaded_at,
    _messy_case,
    _n_bad,
    _pick,
    _set,
    _split_counts,
    _table,
    _take,
    _timestamps,
    _uniform_int,
    _where,
    parse_as_of,
)
from lead_funnel.generation.trials import (
    EV_KEY_ACTION,
    EV_TRIAL,
    Trials,
    trials_stage,
    usage_bursts,
)

CAMPAIGN_YEAR_START = parse_as_of("2025-01-01")


@dataclass
class TableCounts:
    """What a table's rows will stage as: distinct keys, folded copies / versions, and the
    quarantined rows per reason."""
    staged: int = 0
    folded: int = 0
    quarantine: dict[str, int] = field(default_factory=dict)

    def add(self, other: TableCounts) -> None:
        self.staged += other.staged
        self.folded += other.folded
        for reason, n in other.quarantine.items():
            self.quarantine[reason] = self.quarantine.get(reason, 0) + n


@dataclass(frozen=True)
class KeyCounters:
    """How many keys of each kind are already taken (the next one is the count + 1)."""
    contacts: int = 0
    events: int = 0
    activities: int = 0
    opportunities: int = 0
    bad_events: int = 0
    bad_activities: int = 0
    bad_opportunities: int = 0
    ghosts: int = 0

    def as_dict(self) -> dict[str, int]:
        return {name: int(getattr(self, name)) for name in self.__dataclass_fields__}

    @classmethod
    def from_dict(cls, values: dict[str, int]) -> KeyCounters:
        return cls(**{k: int(v) for k, v in values.items() if k in cls.__dataclass_fields__})


@dataclass(frozen=True)
class Dirtied:
    """A table with its re-deliveries and dirty rows, and the keys its dirty rows used."""
    table: pa.Table
    counts: TableCounts
    bad_keys: int
    ghosts: int


def ghost_ids(first: int, k: int) -> pa.Array:
    """Contact ids that no staged contact has (orphans), numbered from ``first`` + 1."""
    return _ids("C-GHOST-", np.arange(first + 1, first + k + 1, dtype=np.int64), 6)


# --------------------------------------------------------------------------------------
# Contacts
# --------------------------------------------------------------------------------------
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
    comp_base = _join(_take(COMPANY_WORDS, comp_word), " ", _take(COMPANY_KINDS, comp_kind))
    comp_name = _join(comp_base, _pick(rng, COMPANY_LEGAL, N_COMPANIES))
    comp_domain = _join(pc.utf8_lower(_take(COMPANY_WORDS, comp_word)), "-",
                        pc.utf8_lower(_take(COMPANY_KINDS, comp_kind)), ".com")
    comp_industry = _pick(rng, INDUSTRIES, N_COMPANIES, INDUSTRY_P)
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
    contact_ids = _ids("C-", np.arange(first_number + 1, first_number + n + 1, dtype=np.int64), 7)

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
    local = _join(_take(FIRST_NAMES, first), ".", _take(LAST_NAMES, last))
    personal = rng.random(n) < 0.20
    digits = pc.cast(pa.array(rng.integers(1, 999, n)), pa.string())
    personal_local = _where(rng.random(n) < 0.5, _join(local, digits), local)
    email = _where(personal,
                   _join(personal_local, "@", _pick(rng, PERSONAL_DOMAINS, n, PERSONAL_DOMAIN_P)),
                   _join(local, "@", pc.take(companies.domain, comp_idx)))
    email = _messy_case(rng, email, 0.02, 0.04, 0.02)
    u = rng.random(n)
    invalid = _where(rng.random(n) < 0.5, _const("not-an-email", n), _join(local, "(at)mail"))
    email = _where(u < 0.005, invalid, email)
    email = _where((u >= 0.005) & (u < 0.025), _const("", n), email)

    source_code = rng.choice(len(LEAD_SOURCES), size=n,
                             p=np.asarray(LEAD_SOURCE_P) / np.sum(LEAD_SOURCE_P))
    source = _messy_case(rng, _take(LEAD_SOURCES, source_code), 0.01, 0.02, 0.015)
    blank_source = rng.random(n) < 0.01
    source = _where(blank_source, _const("", n), source)
    source_code = np.where(blank_source, -1, source_code).astype(np.int64)
    title = _pick(rng, JOB_TITLES, n, JOB_TITLE_P)
    title = _where(rng.random(n) < 0.02, _const("", n), title)
    country = _pick(rng, COUNTRIES, n, COUNTRY_P)
    country = _where(rng.random(n) < 0.01, _const("", n), country)
    country = _where(rng.random(n) < 0.005, _join(country, " "), country)
    industry = _messy_case(rng, pc.take(companies.industry, comp_idx), 0.0, 0.05, 0.01)
    industry = _where(rng.random(n) < 0.02, _const("", n), industry)
    company = pc.take(companies.name, comp_idx)
    company = _where(rng.random(n) < 0.01, _const("", n), company)
    size_text = pc.cast(pa.array(companies.size[comp]), pa.string())
    u = rng.random(n)
    malformed = _pick(rng, ["1,000", "n/a", "50+", "unknown"], n)
    employees = _where(u < 0.005, malformed, size_text)
    employees = _where((u >= 0.005) & (u < 0.035), _const("", n), employees)

    # Versions: ~15% get a second, later version; ~1% of contacts end up deleted.
    eligible = np.flatnonzero(created < as_of - 3 * DAY)
    n_multi = min(len(eligible), int(round(0.15 * n)))
    multi = np.sort(rng.choice(eligible, size=n_multi, replace=False))
    n_deleted = min(n_multi, int(round(0.01 * n)))
    deleted_v2 = np.zeros(n_multi, dtype=bool)
    deleted_v2[rng.choice(n_multi, size=n_deleted, replace=False)] = True

    headroom = np.minimum(DAY, as_of - created)
    upd1 = created + _uniform_int(rng, 0, headroom, n)
    blank_upd1 = rng.random(n) < 0.02
    blank_upd1[multi] = False
    load1 = np.maximum(upd1, created) + _uniform_int(rng, 600, 12 * HOUR, n)
    upd2 = upd1[multi] + HOUR + _uniform_int(rng, 0, as_of - upd1[multi] - HOUR, n_multi)
    load2 = np.maximum(upd2, load1[multi] + 60) + _uniform_int(rng, 600, 12 * HOUR, n_multi)

    v1 = {
        "contact_id": contact_ids, "email": email, "job_title": title,
        "company_name": company, "industry": industry, "country_code": country,
        "lead_source": source, "employee_count": employees,
        "created_at": _timestamps(rng, created),
        "updated_at": _where(blank_upd1, _const("", n), _timestamps(rng, upd1)),
        "is_deleted": _booleans(rng, np.zeros(n, dtype=bool), 0.35),
        "_loaded_at": _loaded_at(rng, load1),
    }
    midx = pa.array(multi)
    v2 = {k: pc.take(v, midx) for k, v in v1.items()}
    new_title = _pick(rng, JOB_TITLES, n_multi, JOB_TITLE_P)
    v2["job_title"] = _where(rng.random(n_multi) < 0.6, new_title, v2["job_title"])
    v2["updated_at"] = _timestamps(rng, upd2)
    v2["is_deleted"] = _booleans(rng, deleted_v2, 0.35)
    v2["_loaded_at"] = _loaded_at(rng, load2)

    good = pa.concat_tables([_table(v1, "contacts"), _table(v2, "contacts")])
    counts = TableCounts(staged=n, folded=n_multi)

    # Dirty rows: extra malformed versions of existing contacts, or blank ids.
    latest = np.arange(n, dtype=np.int64)
    latest[multi] = n + np.arange(n_multi)
    latest_upd = upd1.copy()
    latest_upd[multi] = upd2
    latest_load = load1.copy()
    latest_load[multi] = load2
    n_bad = _n_bad(good.num_rows, dirty_rate)
    bad_parts: list[pa.Table] = []
    for reason, k in zip(APPLICABLE_REASONS["contacts"],
                         _split_counts(n_bad, len(APPLICABLE_REASONS["contacts"]))):
        counts.quarantine[reason] = k
        if k == 0:
            continue
        who = rng.choice(n, size=k, replace=k > n)
        rows = good.take(pa.array(latest[who]))
        upd = latest_upd[who] + _uniform_int(rng, HOUR, 30 * DAY, k)
        load = np.maximum(upd, latest_load[who]) + _uniform_int(rng, 600, DAY, k)
        rows = _set(rows, "updated_at", _timestamps(rng, upd))
        if reason == "missing_key":
            rows = _set(rows, "contact_id", _const("", k))
        elif reason == "missing_timestamp":
            rows = _set(rows, "created_at", _const("", k))
        elif reason == "unparseable_timestamp":
            rows = _set(rows, "created_at", _pick(rng, BAD_TIMESTAMPS, k))
        elif reason == "after_as_of":
            future = as_of + _uniform_int(rng, HOUR, 60 * DAY, k)
            rows = _set(rows, "created_at", _timestamps(rng, future))
            rows = _set(rows, "updated_at", _timestamps(rng, future + 60))
            load = future + _uniform_int(rng, 600, DAY, k)
        rows = _set(rows, "_loaded_at", _loaded_at(rng, load))
        bad_parts.append(rows)
    return Contacts(pa.concat_tables([good, *bad_parts]), counts, contact_ids, created,
                    n_deleted, companies, source_code)


# --------------------------------------------------------------------------------------
# Engagement events (numeric) and the sales process
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class EventArrays:
    """Engagement events as numbers: contact index (within the chunk), time, kind code."""
    contact: IntArray
    time: IntArray
    kind: IntArray

    def extended(self, contact: IntArray, time: IntArray, kind: IntArray) -> EventArrays:
        return EventArrays(np.concatenate([self.contact, contact]),
                           np.concatenate([self.time, time]), np.concatenate([self.kind, kind]))


@dataclass(frozen=True)
class BaseEvents:
    events: EventArrays
    per_contact: IntArray   # events of contact i (they are contiguous in ``events``)
    starts: IntArray        # index of contact i's first event
    hand_raisers: IntArray  # contacts that raised a hand once
    hr_time: IntArray       # ... and when


def base_events_stage(rng: np.random.Generator, created: IntArray, as_of: int) -> BaseEvents:
    """Everyday engagement of every contact (a few before its creation, a few of unknown types)
    and one hand-raise by ~3% of the contacts."""
    n = len(created)
    per_contact = rng.negative_binomial(1.5, 1.5 / (1.5 + 15.0), n).astype(np.int64)
    contact = np.repeat(np.arange(n, dtype=np.int64), per_contact)
    m = len(contact)
    created_of = created[contact]
    when = created_of + (rng.beta(1.0, 1.6, m) * (as_of - created_of)).astype(np.int64)
    early = rng.random(m) < 0.003
    when = np.where(early, created_of - _uniform_int(rng, 60, 2 * HOUR, m), when)
    kind = rng.choice(len(KNOWN_EVENT_TYPES), size=m,
                      p=np.asarray(BACKGROUND_EVENT_P) / np.sum(BACKGROUND_EVENT_P))
    unknown = rng.random(m) < 0.005
    kind = np.where(unknown, len(KNOWN_EVENT_TYPES)
                    + rng.integers(0, len(UNKNOWN_EVENT_TYPES), m), kind)
    # Hand-raisers: ~3% of contacts raise a hand once (demo request / contact sales).
    with_events = np.flatnonzero(per_contact > 0)
    n_hr = min(len(with_events), int(round(0.03 * n)))
    hand_raisers = np.sort(rng.choice(with_events, size=n_hr, replace=False))
    starts = np.cumsum(per_contact) - per_contact
    hr_event = starts[hand_raisers] + np.floor(
        rng.random(n_hr) * per_contact[hand_raisers]).astype(np.int64)
    kind[hr_event] = np.where(rng.random(n_hr) < 0.7, EV_DEMO, EV_CONTACT_SALES)
    return BaseEvents(EventArrays(contact, when.astype(np.int64), kind), per_contact, starts,
                      hand_raisers, when[hr_event])


class ActivityArrays:
    """Numeric sales activities accumulated kind by kind, rendered to text once."""

    KEYS = ("contact", "kind", "owner", "reason", "b", "a", "n", "t", "time")

    def __init__(self) -> None:
        self.parts: dict[str, list[IntArray]] = {k: [] for k in self.KEYS}

    def add(self, contact: IntArray, kind: int | IntArray, owner: IntArray, time: IntArray,
            reason: IntArray | None = None, bant: IntArray | None = None) -> None:
        n = len(contact)
        self.parts["contact"].append(contact.astype(np.int64))
        self.parts["kind"].append(np.broadcast_to(np.asarray(kind, dtype=np.int64), (n,)).copy())
        self.parts["owner"].append(owner.astype(np.int64))
        self.parts["time"].append(time.astype(np.int64))
        self.parts["reason"].append(np.full(n, -1, dtype=np.int64) if reason is None
                                    else reason.astype(np.int64))
        for j, key in enumerate(("b", "a", "n", "t")):
            self.parts[key].append(np.full(n, -1, dtype=np.int64) if bant is None
                                   else bant[:, j].astype(np.int64))

    def arrays(self) -> dict[str, IntArray]:
        return {k: (np.concatenate(v) if v else np.zeros(0, dtype=np.int64))
                for k, v in self.parts.items()}


def _accept_path(rng: np.random.Generator, acts: ActivityArrays, contact: IntArray,
                 t_acc: IntArray, owner: IntArray,
                 warm: BoolArray) -> tuple[IntArray, IntArray, BoolArray, BoolArray]:
    """sales_accepted, then touches, qualification (BANT) and some disqualifications.
    ``warm`` contacts (product-qualified trial users) are qualified more often, confirm more
    of BANT and are disqualified less.

    Returns (contacts that reached SQL, their qualification time, whether they are warm,
    disqualified mask over ``contact``)."""
    k = len(contact)
    acts.add(contact, ACT_ACCEPTED, owner, t_acc)
    touches = rng.integers(0, 4, k)
    tc = np.repeat(contact, touches)
    t_touch = np.repeat(t_acc, touches) + _uniform_int(rng, HOUR, 10 * DAY, len(tc))
    kinds = rng.choice([ACT_CALL, ACT_EMAIL, ACT_MEETING], size=len(tc), p=[0.5, 0.35, 0.15])
    acts.add(tc, kinds, np.repeat(owner, touches), t_touch)

    has_q = rng.random(k) < np.where(warm, 0.90, 0.75)
    t_q = t_acc + HOUR + _exp(rng, 4 * DAY, k)
    # Each BANT field: confirmed (1), denied (0) or left blank (-1).
    u = rng.random((k, 4))
    p_yes = np.where(warm, 0.80, 0.68)[:, None]
    p_no = np.where(warm, 0.12, 0.17)[:, None]
    bant = np.where(u < p_yes, 1, np.where(u < p_yes + p_no, 0, -1)).astype(np.int64)
    confirmed = (bant == 1).sum(axis=1)
    acts.add(contact[has_q], ACT_QUAL, owner[has_q], t_q[has_q], bant=bant[has_q])
    sql = has_q & (confirmed >= 3)
    meet = sql & (rng.random(k) < 0.5)
    acts.add(contact[meet], ACT_MEETING, owner[meet],
             t_q[meet] + HOUR + _exp(rng, 2 * DAY, int(meet.sum())))

    disq = rng.random(k) < np.where(warm, 0.05, 0.10)
    t_d = np.where(has_q, t_q, t_acc) + HOUR + _exp(rng, 7 * DAY, k)
    acts.add(contact[disq], ACT_DISQ, owner[disq], t_d[disq],
             reason=rng.integers(0, len(REJECTION_REASONS), int(disq.sum())))
    keep = sql & ~disq
    return contact[keep], t_q[keep], warm[keep], disq


@dataclass(frozen=True)
class Sales:
    events: EventArrays            # base and trial events plus intent bursts and re-engagement
    activities: dict[str, IntArray]
    sql_contact: IntArray          # contacts that reached SQL (not disqualified) ...
    sql_time: IntArray             # ... and when
    sql_warm: BoolArray            # ... and whether they came as product-qualified trial users


def sales_stage(rng: np.random.Generator, created: IntArray, base: BaseEvents, trials: Trials,
                as_of: int) -> Sales:
    """Handoffs of the engaged contacts: intent bursts, acceptance or rejection, recycling
    of a share of the rejected ones. Trial users whose usage crossed the PQL bar are routed
    to sales (90%) right after that moment and are warmer leads. Nothing after ``as_of`` is
    kept."""
    n = len(created)
    # Engaged contacts: the ~25% with most events, plus every hand-raiser and most of the
    # product-qualified trial users.
    jitter = rng.random(n)
    order = np.lexsort((jitter, -base.per_contact))
    engaged_mask = np.zeros(n, dtype=bool)
    engaged_mask[order[: int(round(0.25 * n))]] = True
    engaged_mask[base.per_contact == 0] = False
    engaged_mask[base.hand_raisers] = True
    pql_ref = np.full(n, -1, dtype=np.int64)
    pql_ref[trials.qualified] = trials.qualified_time
    routed = (pql_ref >= 0) & (rng.random(n) < 0.90)
    engaged_mask |= routed
    engaged = np.flatnonzero(engaged_mask)

    # Reference moment: the hand-raise, else the PQL moment of a routed trial user, else the
    # event at ~70% of the contact's history.
    ev = base.events
    ev_order = np.lexsort((ev.time, ev.contact))
    sorted_time = ev.time[ev_order]
    pos = base.starts[engaged] + np.floor(
        0.7 * np.maximum(base.per_contact[engaged] - 1, 0)).astype(np.int64)
    # (A routed trial user may have no base event: its moment is the PQL moment, set below.)
    t_ref = (sorted_time[np.minimum(pos, len(sorted_time) - 1)] if len(sorted_time)
             else np.zeros(len(engaged), dtype=np.int64))
    hr_ref = np.full(n, -1, dtype=np.int64)
    hr_ref[base.hand_raisers] = base.hr_time
    warm = routed[engaged]
    t_ref = np.where(warm, pql_ref[engaged], t_ref)
    t_ref = np.where(hr_ref[engaged] >= 0, hr_ref[engaged], t_ref)
    k = len(engaged)
    t_h = np.maximum(t_ref, created[engaged]) + 300 + _exp(rng, 18 * HOUR, k)
    owner = rng.integers(1, N_REPS + 1, k).astype(np.int64)

    # Buying intent before sales steps in: engaged contacts that did not raise a hand and are
    # not product-qualified show a burst of high-value events (content, webinars) in the two
    # days before the sales touch, so most of them cross the MQL bar before sales acts.
    quiet = (hr_ref[engaged] < 0) & ~warm
    n_burst = np.where(quiet, rng.integers(3, 8, k), 0).astype(np.int64)
    burst_contact = np.repeat(engaged, n_burst)
    burst_time = np.repeat(t_h, n_burst) - _uniform_int(rng, HOUR, 2 * DAY, len(burst_contact))
    burst_kind = rng.choice(np.array(INTENT_EVENT_KINDS), size=len(burst_contact),
                            p=INTENT_EVENT_P)
    keep_burst = burst_time <= as_of
    events = ev.extended(trials.contact, trials.time, trials.kind)
    events = events.extended(burst_contact[keep_burst], burst_time[keep_burst],
                             burst_kind[keep_burst])

    acts = ActivityArrays()
    accepted = rng.random(k) < np.where(warm, 0.85, 0.70)
    sql_c1, t_q1, w_q1, _ = _accept_path(rng, acts, engaged[accepted], t_h[accepted],
                                         owner[accepted], warm[accepted])
    rej = ~accepted
    rc, rt, ro, rw = engaged[rej], t_h[rej], owner[rej], warm[rej]
    acts.add(rc, ACT_REJECTED, ro, rt, reason=rng.integers(0, len(REJECTION_REASONS), len(rc)))

    # Some rejected contacts re-engage: new events after the rejection, then a new handoff.
    again = rng.random(len(rc)) < 0.35
    ac, at = rc[again], rt[again]
    n_new = rng.integers(2, 9, len(ac)).astype(np.int64)
    new_contact = np.repeat(ac, n_new)
    gaps = _exp(rng, 4 * DAY, len(new_contact)) + 600
    new_time = np.repeat(at, n_new) + _group_cumsum(gaps, n_new)
    new_kind = rng.choice(len(KNOWN_EVENT_TYPES), size=len(new_contact),
                          p=np.asarray(BACKGROUND_EVENT_P) / np.sum(BACKGROUND_EVENT_P))
    last = np.cumsum(n_new) - 1
    raise_hand = rng.random(len(ac)) < 0.4
    new_kind[last[raise_hand]] = EV_DEMO
    t_acc2 = new_time[last] + HOUR + _exp(rng, 18 * HOUR, len(ac))
    owner2 = np.where(rng.random(len(ac)) < 0.6, ro[again], rng.integers(1, N_REPS + 1, len(ac)))
    sql_c2, t_q2, w_q2, _ = _accept_path(rng, acts, ac, t_acc2, owner2.astype(np.int64),
                                         rw[again])

    # Rejected trial users that keep using the product: sessions of key actions in the month
    # after the rejection, which can make them product-qualified again in the new cycle.
    keeps = rw & (rng.random(len(rc)) < 0.4)
    kc, kt = rc[keeps], rt[keeps]
    use_contact, use_time = usage_bursts(rng, kc, kt + HOUR,
                                         rng.integers(2, 6, len(kc)).astype(np.int64), 30 * DAY)

    keep_new = new_time <= as_of
    events = events.extended(new_contact[keep_new], new_time[keep_new], new_kind[keep_new])
    keep_use = use_time <= as_of
    events = events.extended(use_contact[keep_use], use_time[keep_use],
                             np.full(int(keep_use.sum()), EV_KEY_ACTION, dtype=np.int64))

    a = acts.arrays()
    keep = a["time"] <= as_of
    sql_c = np.concatenate([sql_c1, sql_c2])
    t_q = np.concatenate([t_q1, t_q2])
    w_q = np.concatenate([w_q1, w_q2])
    ok = t_q <= as_of
    return Sales(events, {key: v[keep] for key, v in a.items()}, sql_c[ok], t_q[ok], w_q[ok])


# --------------------------------------------------------------------------------------
# Text tables: events, activities, opportunities
# --------------------------------------------------------------------------------------
def redeliver_and_dirty(rng: np.random.Generator, name: str, good: pa.Table, eligible: IntArray,
                        loaded: IntArray, dup_rate: float, bad_prefix: str, width: int,
                        as_of: int, dirty_rate: float, first_bad: int = 0,
                        first_ghost: int = 0) -> Dirtied:
    """Append re-delivered exact copies (later _loaded_at) and dirty rows (bad keys numbered
    from ``first_bad`` + 1, orphans' contact ids from ``first_ghost`` + 1)."""
    key = TABLE_COLUMNS[name][0]
    n_dup = min(len(eligible), int(round(dup_rate * good.num_rows)))
    dup_idx = np.sort(rng.choice(eligible, size=n_dup, replace=False))
    dups = good.take(pa.array(dup_idx))
    dups = _set(dups, "_loaded_at",
                _loaded_at(rng, loaded[dup_idx] + _uniform_int(rng, HOUR, 3 * DAY, n_dup)))
    counts = TableCounts(staged=good.num_rows, folded=n_dup)

    reasons = APPLICABLE_REASONS[name]
    n_bad = _n_bad(good.num_rows + n_dup, dirty_rate) if len(eligible) else 0
    parts = [good, dups]
    serial, ghosts = first_bad, first_ghost
    for reason, k in zip(reasons, _split_counts(n_bad, len(reasons))):
        counts.quarantine[reason] = k
        if k == 0:
            continue
        tmpl = rng.choice(eligible, size=k, replace=k > len(eligible))
        rows = good.take(pa.array(tmpl))
        fresh = _ids(bad_prefix, np.arange(serial + 1, serial + k + 1, dtype=np.int64), width)
        serial += k
        rows = _set(rows, key, _const("", k) if reason == "missing_key" else fresh)
        if reason == "missing_timestamp":
            rows = _set(rows, "occurred_at", _const("", k))
        elif reason == "unparseable_timestamp":
            rows = _set(rows, "occurred_at", _pick(rng, BAD_TIMESTAMPS, k))
        elif reason == "after_as_of":
            future = as_of + _uniform_int(rng, HOUR, 60 * DAY, k)
            rows = _set(rows, "occurred_at", _timestamps(rng, future))
            rows = _set(rows, "_loaded_at",
                        _loaded_at(rng, future + _uniform_int(rng, 300, 6 * HOUR, k)))
        elif reason == "orphan_contact_id":
            rows = _set(rows, "contact_id", ghost_ids(ghosts, k))
            ghosts += k
        elif reason == "unknown_activity_type":
            rows = _set(rows, "activity_type", _pick(rng, UNKNOWN_ACTIVITY_TYPES, k))
        parts.append(rows)
    return Dirtied(pa.concat_tables(parts), counts, serial - first_bad, ghosts - first_ghost)


def event_rows(rng: np.random.Generator, events: EventArrays, contact_ids: pa.Array,
               first_number: int = 0) -> tuple[pa.Table, IntArray]:
    """The good engagement_events rows of ``events`` (ids from ``first_number`` + 1) and their
    _loaded_at (epoch seconds)."""
    contact, when, kind = events.contact, events.time, events.kind
    m = len(contact)
    event_ids = _ids("E-", np.arange(first_number + 1, first_number + m + 1, dtype=np.int64), 9)
    known = kind < len(KNOWN_EVENT_TYPES)
    type_text = _take(EVENT_TYPES, kind)
    type_text = _where(known, _messy_case(rng, type_text, 0.01, 0.01, 0.01), type_text)
    url = _where(kind == EV_PAGE_VIEW, _pick(rng, PAGE_URLS, m, PAGE_URL_P), _const("", m))
    url = _where((kind == EV_FORM) | (kind == EV_DEMO), _pick(rng, FORM_URLS, m), url)
    url = _where(rng.random(m) < 0.03, _const("", m), url)
    campaign_kinds = np.array([EVENT_TYPES.index(e) for e in CAMPAIGN_EVENTS])
    in_campaign = np.where(np.isin(kind, campaign_kinds), rng.random(m) < 0.85,
                           rng.random(m) < off_campaign_probability(kind))
    campaign = _join("CMP-", pc.cast(pa.array(2024 + (when >= CAMPAIGN_YEAR_START)), pa.string()),
                     "-", campaign_slugs(kind, rng.integers(1, 60, m)))
    campaign = _where(in_campaign, campaign, _const("", m))
    loaded = when + _uniform_int(rng, 300, 6 * HOUR, m)
    good = _table({
        "event_id": event_ids, "contact_id": pc.take(contact_ids, pa.array(contact)),
        "event_type": type_text, "page_url": url, "campaign_id": campaign,
        "occurred_at": _timestamps(rng, when), "_loaded_at": _loaded_at(rng, loaded),
    }, "engagement_events")
    return good, loaded


def unknown_event_types(kind: IntArray) -> dict[str, int]:
    """How many events of each unknown type (by code) there are."""
    codes, counts = np.unique(kind[kind >= len(KNOWN_EVENT_TYPES)], return_counts=True)
    return {EVENT_TYPES[int(c)]: int(c_n) for c, c_n in zip(codes, counts)}


def product_usage_events(kind: IntArray) -> dict[str, int]:
    """How many trial sign-ups and key product actions there are (every one is staged)."""
    return {KNOWN_EVENT_TYPES[code]: int(np.count_nonzero(kind == code))
            for code in (EV_TRIAL, EV_KEY_ACTION)}


def events_stage(rng: np.random.Generator, events: EventArrays, contact_ids: pa.Array,
                 as_of: int, dirty_rate: float, keys: KeyCounters) -> Dirtied:
    """engagement_events: the good rows, ~3% re-delivered, and dirty rows."""
    good, loaded = event_rows(rng, events, contact_ids, keys.events)
    known = np.flatnonzero(events.kind < len(KNOWN_EVENT_TYPES))
    return redeliver_and_dirty(rng, "engagement_events", good, known, loaded, 0.03, "E-BAD-", 6,
                               as_of, dirty_rate, keys.bad_events, keys.ghosts)


def activity_rows(rng: np.random.Generator, acts: dict[str, IntArray], contact_ids: pa.Array,
                  first_number: int = 0) -> tuple[pa.Table, IntArray]:
    """The good sales_activities rows of ``acts`` (ids from ``first_number`` + 1) and their
    _loaded_at (epoch seconds)."""
    m = len(acts["time"])
    ids = _ids("A-", np.arange(first_number + 1, first_number + m + 1, dtype=np.int64), 8)
    kind_text = _messy_case(rng, _take(ACTIVITY_TYPES, acts["kind"]), 0.02, 0.02, 0.02)
    reason = _where(acts["reason"] >= 0, _take(REJECTION_REASONS, np.maximum(acts["reason"], 0)),
                    _const("", m))
    bant_cols = {}
    for key, col in (("b", "budget_confirmed"), ("a", "authority_confirmed"),
                     ("n", "need_confirmed"), ("t", "timeline_confirmed")):
        code = acts[key]
        text = _booleans(rng, code == 1, 0.0)
        bant_cols[col] = _where(code == -1, _const("", m), text)
    loaded = acts["time"] + _uniform_int(rng, 120, 4 * HOUR, m)
    owner = _ids("rep_", acts["owner"], 2)
    good = _table({
        "activity_id": ids, "contact_id": pc.take(contact_ids, pa.array(acts["contact"])),
        "owner_id": owner, "activity_type": kind_text, "rejection_reason": reason,
        **bant_cols, "occurred_at": _timestamps(rng, acts["time"]),
        "_loaded_at": _loaded_at(rng, loaded),
    }, "sales_activities")
    return good, loaded


def activities_stage(rng: np.random.Generator, acts: dict[str, IntArray], contact_ids: pa.Array,
                     as_of: int, dirty_rate: float, keys: KeyCounters) -> Dirtied:
    """sales_activities: the good rows, ~2% re-delivered, and dirty rows."""
    good, loaded = activity_rows(rng, acts, contact_ids, keys.activities)
    return redeliver_and_dirty(rng, "sales_activities", good, np.arange(good.num_rows), loaded,
                               0.02, "A-BAD-", 6, as_of, dirty_rate, keys.bad_activities,
                               keys.ghosts)


def opportunities_stage(rng: np.random.Generator, sql_contact: IntArray, sql_time: IntArray,
                        sql_warm: BoolArray, contact_ids: pa.Array, as_of: int,
                        dirty_rate: float, keys: KeyCounters) -> Dirtied:
    """Deals of ~85% of the SQL contacts (95% of the warm ones, product-qualified trial users):
    a first (open) version each, a second for the closed ones and half of the open ones that
    moved on, a few closed after ``as_of``; dirty rows. Warm deals are won more often (45%
    against 25%)."""
    cand = rng.random(len(sql_contact)) < np.where(sql_warm, 0.95, 0.85)
    contact, warm = sql_contact[cand], sql_warm[cand]
    t_open = sql_time[cand] + HOUR + _exp(rng, 5 * DAY, len(contact))
    ok = t_open <= as_of
    contact, t_open, warm = contact[ok], t_open[ok], warm[ok]
    k = len(contact)
    u = rng.random(k)
    p_won = np.where(warm, 0.45, 0.25)
    p_lost = np.where(warm, 0.25, 0.35)
    outcome = np.where(u < p_won, 0, np.where(u < p_won + p_lost, 1, 2))  # 0 won, 1 lost, 2 open
    t_close = t_open + DAY + _exp(rng, 30 * DAY, k)
    late = (outcome < 2) & (t_close > as_of)
    stays_closed = late & (rng.random(k) < 0.1)  # a few close after as_of: open at as_of
    outcome = np.where(late & ~stays_closed, 2, outcome)
    closed = outcome < 2
    cents = (np.round(rng.lognormal(np.log(15_000), 0.8, k)).astype(np.int64) * 100
             + np.where(rng.random(k) < 0.1, 50, 0))
    cents = np.maximum(cents, 100)
    tbd = (~closed) & (rng.random(k) < 0.03)

    first = keys.opportunities
    ids = _ids("O-", np.arange(first + 1, first + k + 1, dtype=np.int64), 7)
    contact_text = pc.take(contact_ids, pa.array(contact))
    amount = _where(tbd, _pick(rng, ["tbd", "TBD"], k), _amounts(cents))
    upd1 = t_open + _uniform_int(rng, 0, np.minimum(HOUR, as_of - t_open), k)
    load1 = upd1 + _uniform_int(rng, 600, 6 * HOUR, k)
    created_text = _timestamps(rng, t_open)
    v1 = _table({
        "opportunity_id": ids, "contact_id": contact_text, "created_at": created_text,
        "closed_at": _const("", k), "updated_at": _timestamps(rng, upd1),
        "_loaded_at": _loaded_at(rng, load1),
        "stage_name": _pick(rng, OPEN_STAGES[:3], k), "amount": amount,
        "is_closed": _booleans(rng, np.zeros(k, dtype=bool), 0.2),
        "is_won": _booleans(rng, np.zeros(k, dtype=bool), 0.3),
    }, "opportunities")

    # Second versions: every closed deal, and half of the open ones that moved on.
    moved = (~closed) & (rng.random(k) < 0.5) & (as_of - upd1 > 2 * HOUR)
    has_v2 = closed | moved
    v2_idx = np.flatnonzero(has_v2)
    j = len(v2_idx)
    upd2 = np.where(closed, t_close,
                    upd1 + HOUR + _uniform_int(rng, 0, as_of - upd1 - HOUR, k))[v2_idx]
    load2 = np.maximum(upd2, load1[v2_idx] + 60) + _uniform_int(rng, 600, 6 * HOUR, j)
    won = (outcome == 0)[v2_idx]
    c2 = closed[v2_idx]
    v2 = v1.take(pa.array(v2_idx))
    v2 = _set(v2, "closed_at", _where(c2, _timestamps(rng, t_close[v2_idx]), _const("", j)))
    v2 = _set(v2, "updated_at", _timestamps(rng, upd2))
    v2 = _set(v2, "_loaded_at", _loaded_at(rng, load2))
    v2 = _set(v2, "stage_name", _where(c2, _where(won, _const("Closed Won", j),
                                                  _const("Closed Lost", j)),
                                       _pick(rng, OPEN_STAGES[2:], j)))
    v2 = _set(v2, "is_closed", _booleans(rng, c2, 0.2))
    v2 = _set(v2, "is_won", _booleans(rng, won, 0.3))
    good = pa.concat_tables([v1, v2])
    counts = TableCounts(staged=k, folded=j)

    # Dirty rows, built from an open, numeric-amount state of real opportunities.
    reasons = APPLICABLE_REASONS["opportunities"]
    n_bad = _n_bad(good.num_rows, dirty_rate) if k else 0
    parts = [good]
    serial, ghosts = keys.bad_opportunities, keys.ghosts
    for reason, nb in zip(reasons, _split_counts(n_bad, len(reasons))):
        counts.quarantine[reason] = nb
        if nb == 0:
            continue
        tmpl = rng.choice(k, size=nb, replace=nb > k)
        rows = v1.take(pa.array(tmpl))
        fresh = _ids("O-BAD-", np.arange(serial + 1, serial + nb + 1, dtype=np.int64), 6)
        serial += nb
        rows = _set(rows, "opportunity_id", _const("", nb) if reason == "missing_key" else fresh)
        rows = _set(rows, "amount", _amounts(cents[tmpl]))
        closed_variant = rng.random(nb) < 0.5
        if reason in ("missing_timestamp", "unparseable_timestamp"):
            broken = (_const("", nb) if reason == "missing_timestamp"
                      else _pick(rng, BAD_TIMESTAMPS, nb))
            rows = _set(rows, "created_at", _where(closed_variant, rows["created_at"], broken))
            rows = _set(rows, "closed_at", _where(closed_variant, broken, _const("", nb)))
            rows = _set(rows, "is_closed", _booleans(rng, closed_variant, 0.0))
            rows = _set(rows, "stage_name", _where(closed_variant, _const("Closed Lost", nb),
                                                    rows["stage_name"]))
        elif reason == "after_as_of":
            future = as_of + _uniform_int(rng, HOUR, 60 * DAY, nb)
            rows = _set(rows, "created_at", _timestamps(rng, future))
            rows = _set(rows, "updated_at", _timestamps(rng, future))
            rows = _set(rows, "_loaded_at",
                        _loaded_at(rng, future + _uniform_int(rng, 600, 6 * HOUR, nb)))
        elif reason == "orphan_contact_id":
            rows = _set(rows, "contact_id", ghost_ids(ghosts, nb))
            ghosts += nb
        elif reason == "won_not_closed":
            rows = _set(rows, "is_won", _booleans(rng, np.ones(nb, dtype=bool), 0.0))
            rows = _set(rows, "is_closed", _booleans(rng, np.zeros(nb, dtype=bool), 0.0))
        elif reason == "negative_amount":
            rows = _set(rows, "amount", _amounts(-100 * rng.integers(1, 200, nb)))
        parts.append(rows)
    return Dirtied(pa.concat_tables(parts), counts, serial - keys.bad_opportunities,
                   ghosts - keys.ghosts)


def interleave(rng: np.random.Generator, table: pa.Table, n_good: int) -> pa.Table:
    """Move the rows after the first ``n_good`` (re-deliveries and dirty rows) to random places
    among the good rows, which keep their order: a mostly sequential take, much cheaper than a
    full shuffle on millions of rows."""
    n_extra = table.num_rows - n_good
    position = np.concatenate([np.arange(n_good, dtype=np.float64),
                               rng.random(n_extra) * max(n_good, 1)])
    return table.take(pa.array(np.argsort(position, kind="stable")))


# --------------------------------------------------------------------------------------
# One chunk of contacts, every stage in order
# --------------------------------------------------------------------------------------
@dataclass
class Chunk:
    tables: dict[str, pa.Table]
    counts: dict[str, TableCounts]
    unknown_event_types: dict[str, int]
    deleted_contacts: int
    keys_after: KeyCounters
    companies: Companies
    product_usage_events: dict[str, int]  # staged trial_signup / product_key_action events


def generate_chunk(rng: np.random.Generator, n: int, as_of: int, dirty_rate: float,
                   keys: KeyCounters = KeyCounters(),
                   companies: Companies | None = None) -> Chunk:
    """The four raw tables of ``n`` contacts (and of their events, activities and deals), with
    keys numbered after ``keys``."""
    people = contacts_stage(rng, n, as_of, dirty_rate, keys.contacts, companies)
    base = base_events_stage(rng, people.created, as_of)
    trials = trials_stage(rng, people.created, people.source, as_of)
    sales = sales_stage(rng, people.created, base, trials, as_of)
    events = events_stage(rng, sales.events, people.ids, as_of, dirty_rate, keys)
    keys = replace(keys, bad_events=keys.bad_events + events.bad_keys,
                   ghosts=keys.ghosts + events.ghosts)
    activities = activities_stage(rng, sales.activities, people.ids, as_of, dirty_rate, keys)
    keys = replace(keys, bad_activities=keys.bad_activities + activities.bad_keys,
                   ghosts=keys.ghosts + activities.ghosts)
    deals = opportunities_stage(rng, sales.sql_contact, sales.sql_time, sales.sql_warm,
                                people.ids, as_of, dirty_rate, keys)
    keys = replace(keys, bad_opportunities=keys.bad_opportunities + deals.bad_keys,
                   ghosts=keys.ghosts + deals.ghosts)
    counts = {"contacts": people.counts, "engagement_events": events.counts,
              "sales_activities": activities.counts, "opportunities": deals.counts}
    raw = {"contacts": people.table, "engagement_events": events.table,
           "sales_activities": activities.table, "opportunities": deals.table}
    tables = {}
    for name in TABLES:
        # Good rows come first: contacts' and deals' versions are good rows too.
        n_good = counts[name].staged + (
            counts[name].folded if name in ("contacts", "opportunities") else 0)
        tables[name] = interleave(rng, raw[name], n_good)
    keys = replace(keys, contacts=keys.contacts + n,
                   events=keys.events + counts["engagement_events"].staged,
                   activities=keys.activities + counts["sales_activities"].staged,
                   opportunities=keys.opportunities + counts["opportunities"].staged)
    return Chunk(tables, counts, unknown_event_types(sales.events.kind), people.deleted, keys,
                 people.companies, product_usage_events(sales.events.kind))
