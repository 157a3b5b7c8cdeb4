"""Synthetic raw CRM / marketing-automation data in the SPEC §2 source contract.

Everything is vectorised with numpy (one pass per table and per kind of row, never one per
row) and rendered to text with pyarrow compute kernels, so that a million contacts (about
fifteen million events) stay feasible.

The generator is deterministic: one ``numpy.random.Generator(PCG64(seed))`` drives every
random choice in a fixed order, and the CSV writer never depends on the wall clock, hash
randomisation or set iteration order. Same seed and arguments -> byte-identical files.

Dirty rows are built so that each fails exactly one SPEC §3 check (the reason it is expected
to be quarantined with), and so that they never change what else gets staged: they carry
fresh keys (or a blank key), or are extra, malformed versions of contacts that also have a
good version. The counts written to ``manifest.json`` are derived from the construction and
are exactly true of the files.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import numpy.typing as npt
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

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

DAY = 86_400
HOUR = 3_600

DEFAULT_AS_OF = "2025-12-31T00:00:00Z"

# --------------------------------------------------------------------------------------
# Vocabularies (those of the spec, e.g. lead sources and event types, are in
# lead_funnel.contract; these are the generator's own)
# --------------------------------------------------------------------------------------
LEAD_SOURCE_P = [0.26, 0.20, 0.11, 0.09, 0.08, 0.10, 0.07, 0.05, 0.04]
INDUSTRIES = ["software", "financial services", "healthcare", "manufacturing", "retail",
              "education", "government", "media", "telecommunications", "logistics",
              "consulting", "non-profit"]
INDUSTRY_P = [0.24, 0.12, 0.10, 0.10, 0.08, 0.07, 0.04, 0.06, 0.05, 0.05, 0.06, 0.03]
JOB_TITLES = ["VP Marketing", "Head of Growth", "Marketing Manager", "CMO", "CTO", "CEO",
              "Founder", "Director of Sales", "Sales Manager", "Demand Generation Manager",
              "Marketing Operations Manager", "Product Manager", "Software Engineer",
              "Data Analyst", "Consultant", "Student", "Intern", "Account Executive",
              "VP Sales", "Director of Marketing"]
JOB_TITLE_P = [0.05, 0.05, 0.12, 0.02, 0.03, 0.03, 0.03, 0.04, 0.05, 0.06, 0.05, 0.07,
               0.11, 0.06, 0.04, 0.04, 0.03, 0.04, 0.03, 0.05]
COUNTRIES = ["US", "GB", "DE", "FR", "CA", "AU", "NL", "IN", "BR", "ES", "SE", "JP", "SG",
             "IE", "MX"]
COUNTRY_P = [0.38, 0.10, 0.08, 0.06, 0.06, 0.04, 0.04, 0.07, 0.04, 0.03, 0.02, 0.03, 0.02,
             0.02, 0.01]
FIRST_NAMES = ["james", "mary", "john", "patricia", "robert", "jennifer", "michael", "linda",
               "david", "elizabeth", "william", "susan", "richard", "jessica", "thomas",
               "sarah", "daniel", "karen", "matthew", "nancy", "anna", "lukas", "sophie",
               "pierre", "camille", "raj", "priya", "ana", "joao", "emma", "liam", "olivia",
               "noah", "mia", "yuki", "hiro", "lars", "ingrid", "carlos", "lucia"]
LAST_NAMES = ["smith", "johnson", "williams", "brown", "jones", "garcia", "miller", "davis",
              "martin", "lee", "walker", "hall", "allen", "young", "king", "wright", "scott",
              "green", "baker", "adams", "mueller", "schmidt", "dubois", "moreau", "sharma",
              "patel", "silva", "santos", "jansen", "devries", "tanaka", "sato", "nilsson",
              "lopez", "murphy", "kelly", "obrien", "rossi", "novak", "cohen"]
COMPANY_WORDS = ["Acme", "Globex", "Initech", "Umbrella", "Hooli", "Vandelay", "Stark",
                 "Wayne", "Cyberdyne", "Soylent", "Blue", "North", "Bright", "Quantum",
                 "Silver", "Apex", "Nimbus", "Vertex", "Cobalt", "Harbor", "Summit", "Pine",
                 "Orbit", "Lumen", "Granite"]
COMPANY_KINDS = ["Analytics", "Systems", "Labs", "Logistics", "Health", "Bank", "Retail",
                 "Robotics", "Software", "Media", "Cloud", "Energy", "Foods", "Learning",
                 "Networks", "Capital"]
COMPANY_LEGAL = ["", " Inc", " Ltd", " GmbH", " LLC", " BV", " SA"]
PERSONAL_DOMAINS = ["gmail.com", "yahoo.com", "hotmail.com", "outlook.com"]
PERSONAL_DOMAIN_P = [0.55, 0.15, 0.15, 0.15]

# Background mix of everyday events (hand-raisers are placed separately, on few contacts).
BACKGROUND_EVENT_P = [0.30, 0.10, 0.30, 0.05, 0.03, 0.02, 0.03, 0.0, 0.0, 0.01, 0.03,
                      0.03, 0.03, 0.01, 0.01]
UNKNOWN_EVENT_TYPES = ["chat_started", "g2_review_view", "intent_signal", "podcast_listen"]
EVENT_TYPES = [*KNOWN_EVENT_TYPES, *UNKNOWN_EVENT_TYPES]
EV_PAGE_VIEW = KNOWN_EVENT_TYPES.index("page_view")
EV_FORM = KNOWN_EVENT_TYPES.index("form_submission")
EV_DEMO = KNOWN_EVENT_TYPES.index("demo_request")
EV_CONTACT_SALES = KNOWN_EVENT_TYPES.index("contact_sales")
# High-intent events engaged contacts show just before sales steps in.
INTENT_EVENT_KINDS = [KNOWN_EVENT_TYPES.index(e) for e in
                      ("content_download", "webinar_attended", "trial_signup", "product_key_action")]
INTENT_EVENT_P = [0.35, 0.30, 0.15, 0.20]
CAMPAIGN_EVENTS = ["email_open", "email_click", "content_download", "webinar_registration",
                   "webinar_attended", "newsletter_subscribe", "unsubscribe", "email_bounce"]
PAGE_URLS = ["https://www.example.com/pricing", "https://www.example.com/product",
             "https://www.example.com/features", "https://www.example.com/customers",
             "https://www.example.com/blog/b2b-lead-scoring-guide",
             "https://www.example.com/blog/what-is-an-mql",
             "https://www.example.com/blog/revops-metrics",
             "https://www.example.com/docs/getting-started",
             "https://www.example.com/docs/api-reference",
             "https://www.example.com/careers", "https://www.example.com/integrations",
             "https://www.Example.com/Pricing?utm_source=google", "https://www.example.com/"]
PAGE_URL_P = [0.12, 0.10, 0.08, 0.05, 0.12, 0.10, 0.08, 0.09, 0.06, 0.04, 0.06, 0.03, 0.07]
FORM_URLS = ["https://www.example.com/contact", "https://www.example.com/demo",
             "https://www.example.com/ebook/state-of-demand-gen",
             "https://www.example.com/webinar/signup"]

ACT_ACCEPTED, ACT_REJECTED, ACT_QUAL, ACT_DISQ, ACT_CALL, ACT_MEETING, ACT_EMAIL = (
    ACTIVITY_TYPES.index(t) for t in ("sales_accepted", "sales_rejected", "qualification",
                                      "disqualified", "call", "meeting", "email"))
UNKNOWN_ACTIVITY_TYPES = ["lunch", "linkedin_message", "gift_sent", "Lunch ", "note"]
N_REPS = 12

OPEN_STAGES = ["Discovery", "Demo", "Proposal", "Negotiation"]
TRUE_SPELLINGS = ["true", "TRUE", "1", "yes", "True", "Yes"]
FALSE_SPELLINGS = ["false", "FALSE", "0", "no", "False", "No"]
BAD_TIMESTAMPS = ["not a date", "2025-13-45 25:61:00", "2024-02-30 10:00:00", "unknown"]

OFFSETS = ["+01:00", "+02:00", "-05:00", "+05:30", "-08:00", "+09:00", "-03:00"]
OFFSET_SECONDS = np.array([3600, 7200, -18000, 19800, -28800, 32400, -10800], dtype=np.int64)

# The probability lists follow the vocabularies of lead_funnel.contract position by position:
# a value added there needs its probability here.
for _values, _probs in ((LEAD_SOURCES, LEAD_SOURCE_P), (KNOWN_EVENT_TYPES, BACKGROUND_EVENT_P)):
    if len(_values) != len(_probs):
        raise RuntimeError(f"generator: {len(_probs)} probabilities for {len(_values)} values "
                           f"of lead_funnel.contract ({', '.join(_values)})")


# --------------------------------------------------------------------------------------
# Configuration and results
# --------------------------------------------------------------------------------------
def parse_as_of(value: str) -> int:
    """ISO-8601 text -> epoch seconds (UTC). Text without an offset is taken as UTC."""
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"as_of is not an ISO-8601 timestamp: {value!r}") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return int(moment.timestamp())


def format_utc(epoch_seconds: int) -> str:
    """Epoch seconds -> 'YYYY-MM-DDTHH:MM:SSZ'."""
    return datetime.fromtimestamp(epoch_seconds, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def normalise_as_of(value: str) -> str:
    return format_utc(parse_as_of(value))


@dataclass(frozen=True)
class GeneratorConfig:
    contacts: int = 10_000
    seed: int = 42
    dirty_rate: float = 0.02
    as_of: str = DEFAULT_AS_OF

    def __post_init__(self) -> None:
        if self.contacts < 1:
            raise ValueError("contacts must be >= 1")
        if not 0.0 <= self.dirty_rate < 0.5:
            raise ValueError("dirty_rate must be in [0, 0.5)")
        if self.seed < 0:
            raise ValueError("seed must be >= 0")
        parse_as_of(self.as_of)


@dataclass
class GeneratedData:
    tables: dict[str, pa.Table]
    manifest: dict[str, Any]


@dataclass
class _TableCounts:
    staged: int = 0
    folded: int = 0
    quarantine: dict[str, int] = field(default_factory=dict)


# --------------------------------------------------------------------------------------
# Small vectorised text helpers (pyarrow compute)
# --------------------------------------------------------------------------------------
def _strs(values: Sequence[str]) -> pa.Array:
    return pa.array(list(values), type=pa.string())


def _take(values: Sequence[str], idx: npt.NDArray[Any]) -> pa.Array:
    return pc.take(_strs(values), pa.array(np.asarray(idx, dtype=np.int64)))


def _pick(rng: np.random.Generator, values: Sequence[str], n: int,
          p: Sequence[float] | None = None) -> pa.Array:
    probs = None if p is None else np.asarray(p, dtype=np.float64) / float(np.sum(p))
    return _take(values, rng.choice(len(values), size=n, p=probs))


def _join(*parts: Any) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


def _where(mask: BoolArray, a: Any, b: Any) -> pa.Array:
    return pc.if_else(pa.array(np.asarray(mask, dtype=bool)), a, b)


def _ids(prefix: str, numbers: IntArray, width: int) -> pa.Array:
    digits = pc.utf8_lpad(pc.cast(pa.array(numbers, type=pa.int64()), pa.string()),
                          width=width, padding="0")
    return _join(prefix, digits)


def _const(value: str, n: int) -> pa.Array:
    return pa.array([value] * n, type=pa.string()) if n < 64 else pc.take(
        _strs([value]), pa.array(np.zeros(n, dtype=np.int64)))


def _messy_case(rng: np.random.Generator, values: pa.Array, p_upper: float, p_title: float,
                p_pad: float) -> pa.Array:
    """Make a share of values upper-case, Title_Case or padded (still valid after trim/lower)."""
    n = len(values)
    u = rng.random(n)
    out = _where(u < p_upper, pc.utf8_upper(values), values)
    out = _where((u >= p_upper) & (u < p_upper + p_title), pc.utf8_title(values), out)
    pad = rng.random(n) < p_pad
    padded = _join(_take(["", " "], rng.integers(0, 2, n)), out,
                   _take([" ", "  "], rng.integers(0, 2, n)))
    return _where(pad, padded, out)


def _booleans(rng: np.random.Generator, truth: BoolArray, p_blank_false: float) -> pa.Array:
    """Text booleans with varied spellings; a share of the false ones is left blank."""
    n = len(truth)
    t = _take(TRUE_SPELLINGS, rng.integers(0, len(TRUE_SPELLINGS), n))
    f = _take(FALSE_SPELLINGS, rng.integers(0, len(FALSE_SPELLINGS), n))
    f = _where(rng.random(n) < p_blank_false, _const("", n), f)
    return _where(truth, t, f)


def _timestamps(rng: np.random.Generator, seconds: IntArray,
                p_forms: tuple[float, float, float] = (0.6, 0.25, 0.15)) -> pa.Array:
    """Epoch seconds -> ISO-8601 text in mixed forms.

    Forms: ``...T..Z``, ``... ..`` (no zone: UTC), ``...T..+02:00``. With an offset, the
    local clock is shifted so that the UTC instant stays the intended one.
    """
    n = len(seconds)
    form = rng.choice(3, size=n, p=np.asarray(p_forms, dtype=np.float64))
    offset_idx = rng.integers(0, len(OFFSETS), n)
    local = seconds + np.where(form == 2, OFFSET_SECONDS[offset_idx], 0)
    # Casting timestamp[s] to text gives 'YYYY-MM-DD HH:MM:SS' (much faster than strftime).
    spaced = pc.cast(pa.array(local.astype("datetime64[s]")), pa.string())
    text = _where(form == 1, spaced, pc.replace_substring(spaced, " ", "T", max_replacements=1))
    suffix = _take(["Z", ""] + OFFSETS,
                   np.where(form == 0, 0, np.where(form == 1, 1, 2 + offset_idx)))
    return _join(text, suffix)


def _loaded_at(rng: np.random.Generator, seconds: IntArray) -> pa.Array:
    return _timestamps(rng, seconds, (0.85, 0.15, 0.0))


def _amounts(cents: IntArray) -> pa.Array:
    dollars = pc.cast(pa.array(cents // 100, type=pa.int64()), pa.string())
    rest = pc.utf8_lpad(pc.cast(pa.array(np.abs(cents) % 100, type=pa.int64()), pa.string()),
                        width=2, padding="0")
    return _join(dollars, ".", rest)


def _uniform_int(rng: np.random.Generator, low: Any, high: Any, n: int) -> IntArray:
    """Integer uniformly in [low, high) (arrays allowed); high <= low gives low."""
    lo = np.asarray(low, dtype=np.float64)
    span = np.maximum(np.asarray(high, dtype=np.float64) - lo, 0.0)
    return (lo + np.floor(rng.random(n) * span)).astype(np.int64)


def _exp(rng: np.random.Generator, mean: float, n: int) -> IntArray:
    return rng.exponential(mean, n).astype(np.int64)


def _group_cumsum(values: IntArray, counts: IntArray) -> IntArray:
    """Cumulative sum of ``values`` restarting at each group of ``counts`` rows."""
    total = np.cumsum(values)
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    base = np.concatenate([np.zeros(1, dtype=np.int64), total])[starts]
    return (total - base).astype(np.int64)


def _split_counts(total: int, k: int) -> list[int]:
    """Spread ``total`` over ``k`` buckets as evenly as possible, earlier buckets first."""
    if k == 0:
        return []
    return [total // k + (1 if i < total % k else 0) for i in range(k)]


def _n_bad(good_rows: int, dirty_rate: float) -> int:
    if good_rows == 0 or dirty_rate <= 0:
        return 0
    return int(round(good_rows * dirty_rate / (1.0 - dirty_rate)))


def _table(columns: dict[str, pa.Array], name: str) -> pa.Table:
    return pa.table({c: columns[c] for c in TABLE_COLUMNS[name]})


def _set(table: pa.Table, column: str, values: pa.Array) -> pa.Table:
    return table.set_column(table.schema.get_field_index(column), column, values)


# --------------------------------------------------------------------------------------
# The generator
# --------------------------------------------------------------------------------------
class _Activities:
    """Numeric sales activities accumulated kind by kind, rendered to text once."""

    def __init__(self) -> None:
        self.parts: dict[str, list[IntArray]] = {
            k: [] for k in ("contact", "kind", "owner", "reason", "b", "a", "n", "t", "time")
        }

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


class _Generator:
    def __init__(self, config: GeneratorConfig) -> None:
        self.cfg = config
        self.rng = np.random.Generator(np.random.PCG64(config.seed))
        self.as_of = parse_as_of(config.as_of)
        self.counts: dict[str, _TableCounts] = {t: _TableCounts() for t in TABLES}
        self.tables: dict[str, pa.Table] = {}
        self.unknown_event_types: dict[str, int] = {}
        self.deleted_contacts = 0

    # ---------------------------------------------------------------- contacts
    def contacts(self) -> None:
        rng, n, as_of = self.rng, self.cfg.contacts, self.as_of
        age = (730 * DAY * rng.beta(1.0, 1.4, n)).astype(np.int64)
        created = as_of - np.maximum(age, 120)
        self.created = created
        self.contact_ids = _ids("C-", np.arange(1, n + 1, dtype=np.int64), 7)

        # Companies: a Zipf-ish pool with fixed industry and size.
        words, kinds = len(COMPANY_WORDS), len(COMPANY_KINDS)
        n_comp = words * kinds
        comp_word = np.arange(n_comp) // kinds
        comp_kind = np.arange(n_comp) % kinds
        comp_base = _join(_take(COMPANY_WORDS, comp_word), " ", _take(COMPANY_KINDS, comp_kind))
        comp_name = _join(comp_base, _pick(rng, COMPANY_LEGAL, n_comp))
        comp_domain = _join(pc.utf8_lower(_take(COMPANY_WORDS, comp_word)), "-",
                            pc.utf8_lower(_take(COMPANY_KINDS, comp_kind)), ".com")
        comp_industry = _pick(rng, INDUSTRIES, n_comp, INDUSTRY_P)
        comp_size = np.exp(rng.random(n_comp) ** 1.3 * np.log(50_000)).astype(np.int64)
        comp_size = np.clip(comp_size, 1, 50_000)
        weights = 1.0 / (np.arange(n_comp) + 8.0)
        comp = rng.choice(n_comp, size=n, p=weights / weights.sum())
        comp = rng.permutation(n_comp)[comp]
        comp_idx = pa.array(comp)

        first = rng.integers(0, len(FIRST_NAMES), n)
        last = rng.integers(0, len(LAST_NAMES), n)
        local = _join(_take(FIRST_NAMES, first), ".", _take(LAST_NAMES, last))
        personal = rng.random(n) < 0.20
        digits = pc.cast(pa.array(rng.integers(1, 999, n)), pa.string())
        personal_local = _where(rng.random(n) < 0.5, _join(local, digits), local)
        email = _where(personal,
                       _join(personal_local, "@", _pick(rng, PERSONAL_DOMAINS, n,
                                                        PERSONAL_DOMAIN_P)),
                       _join(local, "@", pc.take(comp_domain, comp_idx)))
        email = _messy_case(rng, email, 0.02, 0.04, 0.02)
        u = rng.random(n)
        invalid = _where(rng.random(n) < 0.5, _const("not-an-email", n), _join(local, "(at)mail"))
        email = _where(u < 0.005, invalid, email)
        email = _where((u >= 0.005) & (u < 0.025), _const("", n), email)

        source = _messy_case(rng, _pick(rng, LEAD_SOURCES, n, LEAD_SOURCE_P), 0.01, 0.02, 0.015)
        source = _where(rng.random(n) < 0.01, _const("", n), source)
        title = _pick(rng, JOB_TITLES, n, JOB_TITLE_P)
        title = _where(rng.random(n) < 0.02, _const("", n), title)
        country = _pick(rng, COUNTRIES, n, COUNTRY_P)
        country = _where(rng.random(n) < 0.01, _const("", n), country)
        country = _where(rng.random(n) < 0.005, _join(country, " "), country)
        industry = _messy_case(rng, pc.take(comp_industry, comp_idx), 0.0, 0.05, 0.01)
        industry = _where(rng.random(n) < 0.02, _const("", n), industry)
        company = pc.take(comp_name, comp_idx)
        company = _where(rng.random(n) < 0.01, _const("", n), company)
        size_text = pc.cast(pa.array(comp_size[comp]), pa.string())
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
            "contact_id": self.contact_ids, "email": email, "job_title": title,
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
        self.deleted_contacts = n_deleted
        counts = self.counts["contacts"]
        counts.staged, counts.folded = n, n_multi

        # Dirty rows: extra malformed versions of existing contacts, or blank ids.
        latest = np.arange(n, dtype=np.int64)
        latest[multi] = n + np.arange(n_multi)
        latest_upd = upd1.copy()
        latest_upd[multi] = upd2
        latest_load = load1.copy()
        latest_load[multi] = load2
        n_bad = _n_bad(good.num_rows, self.cfg.dirty_rate)
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
        self.tables["contacts"] = pa.concat_tables([good, *bad_parts])

    # ---------------------------------------------------------------- events (numeric)
    def base_events(self) -> None:
        rng, n, as_of = self.rng, self.cfg.contacts, self.as_of
        per_contact = rng.negative_binomial(1.5, 1.5 / (1.5 + 15.0), n).astype(np.int64)
        contact = np.repeat(np.arange(n, dtype=np.int64), per_contact)
        m = len(contact)
        created = self.created[contact]
        when = created + (rng.beta(1.0, 1.6, m) * (as_of - created)).astype(np.int64)
        early = rng.random(m) < 0.003
        when = np.where(early, created - _uniform_int(rng, 60, 2 * HOUR, m), when)
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
        self.ev_contact, self.ev_time, self.ev_kind = contact, when.astype(np.int64), kind
        self.per_contact, self.hand_raisers = per_contact, hand_raisers
        self.hr_time = when[hr_event]
        self.ev_starts = starts

    # ---------------------------------------------------------------- sales process
    def _accept_path(self, acts: _Activities, contact: IntArray, t_acc: IntArray,
                     owner: IntArray) -> tuple[IntArray, IntArray, BoolArray]:
        """sales_accepted, then touches, qualification (BANT) and some disqualifications.

        Returns (contacts that reached SQL, their qualification time, disqualified mask
        over ``contact``)."""
        rng = self.rng
        k = len(contact)
        acts.add(contact, ACT_ACCEPTED, owner, t_acc)
        touches = rng.integers(0, 4, k)
        tc = np.repeat(contact, touches)
        t_touch = np.repeat(t_acc, touches) + _uniform_int(rng, HOUR, 10 * DAY, len(tc))
        kinds = rng.choice([ACT_CALL, ACT_EMAIL, ACT_MEETING], size=len(tc), p=[0.5, 0.35, 0.15])
        acts.add(tc, kinds, np.repeat(owner, touches), t_touch)

        has_q = rng.random(k) < 0.75
        t_q = t_acc + HOUR + _exp(rng, 4 * DAY, k)
        bant = rng.choice(np.array([1, 0, -1], dtype=np.int64), size=(k, 4), p=[0.68, 0.17, 0.15])
        confirmed = (bant == 1).sum(axis=1)
        acts.add(contact[has_q], ACT_QUAL, owner[has_q], t_q[has_q], bant=bant[has_q])
        sql = has_q & (confirmed >= 3)
        meet = sql & (rng.random(k) < 0.5)
        acts.add(contact[meet], ACT_MEETING, owner[meet],
                 t_q[meet] + HOUR + _exp(rng, 2 * DAY, int(meet.sum())))

        disq = rng.random(k) < 0.10
        t_d = np.where(has_q, t_q, t_acc) + HOUR + _exp(rng, 7 * DAY, k)
        acts.add(contact[disq], ACT_DISQ, owner[disq], t_d[disq],
                 reason=rng.integers(0, len(REJECTION_REASONS), int(disq.sum())))
        keep = sql & ~disq
        return contact[keep], t_q[keep], disq

    def sales(self) -> None:
        rng, n, as_of = self.rng, self.cfg.contacts, self.as_of
        # Engaged contacts: the ~25% with most events, plus every hand-raiser.
        jitter = rng.random(n)
        order = np.lexsort((jitter, -self.per_contact))
        engaged_mask = np.zeros(n, dtype=bool)
        engaged_mask[order[: int(round(0.25 * n))]] = True
        engaged_mask[self.per_contact == 0] = False
        engaged_mask[self.hand_raisers] = True
        engaged = np.flatnonzero(engaged_mask)

        # Reference moment: the hand-raise, else the event at ~70% of the contact's history.
        ev_order = np.lexsort((self.ev_time, self.ev_contact))
        sorted_time = self.ev_time[ev_order]
        pos = self.ev_starts[engaged] + np.floor(
            0.7 * (self.per_contact[engaged] - 1)).astype(np.int64)
        t_ref = sorted_time[pos]
        hr_ref = np.full(n, -1, dtype=np.int64)
        hr_ref[self.hand_raisers] = self.hr_time
        t_ref = np.where(hr_ref[engaged] >= 0, hr_ref[engaged], t_ref)
        k = len(engaged)
        t_h = np.maximum(t_ref, self.created[engaged]) + 300 + _exp(rng, 18 * HOUR, k)
        owner = rng.integers(1, N_REPS + 1, k).astype(np.int64)

        # Buying intent before sales steps in: engaged contacts that did not raise a hand show a
        # burst of high-value events (content, webinars, trials, key product actions) in the two
        # days before the sales touch, so most of them cross the MQL bar before sales acts.
        quiet = hr_ref[engaged] < 0
        n_burst = np.where(quiet, rng.integers(3, 8, k), 0).astype(np.int64)
        burst_contact = np.repeat(engaged, n_burst)
        burst_time = np.repeat(t_h, n_burst) - _uniform_int(rng, HOUR, 2 * DAY, len(burst_contact))
        burst_kind = rng.choice(np.array(INTENT_EVENT_KINDS), size=len(burst_contact), p=INTENT_EVENT_P)
        keep_burst = burst_time <= as_of
        self.ev_contact = np.concatenate([self.ev_contact, burst_contact[keep_burst]])
        self.ev_time = np.concatenate([self.ev_time, burst_time[keep_burst]])
        self.ev_kind = np.concatenate([self.ev_kind, burst_kind[keep_burst]])

        acts = _Activities()
        accepted = rng.random(k) < 0.70
        sql_c1, t_q1, _ = self._accept_path(acts, engaged[accepted], t_h[accepted],
                                            owner[accepted])
        rej = ~accepted
        rc, rt, ro = engaged[rej], t_h[rej], owner[rej]
        acts.add(rc, ACT_REJECTED, ro, rt,
                 reason=rng.integers(0, len(REJECTION_REASONS), len(rc)))

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
        owner2 = np.where(rng.random(len(ac)) < 0.6, ro[again],
                          rng.integers(1, N_REPS + 1, len(ac)))
        sql_c2, t_q2, _ = self._accept_path(acts, ac, t_acc2, owner2.astype(np.int64))

        keep_new = new_time <= as_of
        self.ev_contact = np.concatenate([self.ev_contact, new_contact[keep_new]])
        self.ev_time = np.concatenate([self.ev_time, new_time[keep_new]])
        self.ev_kind = np.concatenate([self.ev_kind, new_kind[keep_new]])

        a = acts.arrays()
        keep = a["time"] <= as_of
        self.acts = {key: v[keep] for key, v in a.items()}
        sql_c = np.concatenate([sql_c1, sql_c2])
        t_q = np.concatenate([t_q1, t_q2])
        ok = t_q <= as_of
        self.sql_contact, self.sql_time = sql_c[ok], t_q[ok]

    # ---------------------------------------------------------------- events (text)
    def events(self) -> None:
        rng, as_of = self.rng, self.as_of
        contact, when, kind = self.ev_contact, self.ev_time, self.ev_kind
        m = len(contact)
        event_ids = _ids("E-", np.arange(1, m + 1, dtype=np.int64), 9)
        n_known = len(KNOWN_EVENT_TYPES)
        known = kind < n_known
        type_text = _take(EVENT_TYPES, kind)
        type_text = _where(known, _messy_case(rng, type_text, 0.01, 0.01, 0.01), type_text)
        url = _where(kind == EV_PAGE_VIEW, _pick(rng, PAGE_URLS, m, PAGE_URL_P), _const("", m))
        url = _where((kind == EV_FORM) | (kind == EV_DEMO), _pick(rng, FORM_URLS, m), url)
        url = _where(rng.random(m) < 0.03, _const("", m), url)
        campaign_kinds = np.array([EVENT_TYPES.index(e) for e in CAMPAIGN_EVENTS])
        in_campaign = np.where(np.isin(kind, campaign_kinds), rng.random(m) < 0.85,
                               rng.random(m) < 0.10)
        campaign = _join("CMP-", pc.cast(pa.array(2024 + (when >= parse_as_of("2025-01-01"))),
                                         pa.string()),
                         "-", pc.utf8_lpad(pc.cast(pa.array(rng.integers(1, 60, m)), pa.string()),
                                           width=3, padding="0"))
        campaign = _where(in_campaign, campaign, _const("", m))
        loaded = when + _uniform_int(rng, 300, 6 * HOUR, m)
        good = _table({
            "event_id": event_ids, "contact_id": pc.take(self.contact_ids, pa.array(contact)),
            "event_type": type_text, "page_url": url, "campaign_id": campaign,
            "occurred_at": _timestamps(rng, when), "_loaded_at": _loaded_at(rng, loaded),
        }, "engagement_events")
        unknown_codes, unknown_n = np.unique(kind[~known], return_counts=True)
        self.unknown_event_types = {EVENT_TYPES[int(c)]: int(c_n)
                                    for c, c_n in zip(unknown_codes, unknown_n)}
        self.tables["engagement_events"] = self._redeliver_and_dirty(
            "engagement_events", good, np.flatnonzero(known), loaded, 0.03, "E-BAD-", 6)

    # ---------------------------------------------------------------- activities (text)
    def activities(self) -> None:
        rng = self.rng
        a = self.acts
        m = len(a["time"])
        ids = _ids("A-", np.arange(1, m + 1, dtype=np.int64), 8)
        kind_text = _messy_case(rng, _take(ACTIVITY_TYPES, a["kind"]), 0.02, 0.02, 0.02)
        reason = _where(a["reason"] >= 0, _take(REJECTION_REASONS, np.maximum(a["reason"], 0)),
                        _const("", m))
        bant_cols = {}
        for key, col in (("b", "budget_confirmed"), ("a", "authority_confirmed"),
                         ("n", "need_confirmed"), ("t", "timeline_confirmed")):
            code = a[key]
            text = _booleans(rng, code == 1, 0.0)
            bant_cols[col] = _where(code == -1, _const("", m), text)
        loaded = a["time"] + _uniform_int(rng, 120, 4 * HOUR, m)
        owner = _ids("rep_", a["owner"], 2)
        good = _table({
            "activity_id": ids, "contact_id": pc.take(self.contact_ids, pa.array(a["contact"])),
            "owner_id": owner, "activity_type": kind_text, "rejection_reason": reason,
            **bant_cols, "occurred_at": _timestamps(rng, a["time"]),
            "_loaded_at": _loaded_at(rng, loaded),
        }, "sales_activities")
        self.tables["sales_activities"] = self._redeliver_and_dirty(
            "sales_activities", good, np.arange(m), loaded, 0.02, "A-BAD-", 6)

    def _redeliver_and_dirty(self, name: str, good: pa.Table, eligible: IntArray,
                             loaded: IntArray, dup_rate: float, bad_prefix: str,
                             width: int) -> pa.Table:
        """Append re-delivered exact copies (later _loaded_at) and dirty rows."""
        rng, as_of = self.rng, self.as_of
        key = TABLE_COLUMNS[name][0]
        n_dup = min(len(eligible), int(round(dup_rate * good.num_rows)))
        dup_idx = np.sort(rng.choice(eligible, size=n_dup, replace=False))
        dups = good.take(pa.array(dup_idx))
        dups = _set(dups, "_loaded_at",
                    _loaded_at(rng, loaded[dup_idx] + _uniform_int(rng, HOUR, 3 * DAY, n_dup)))
        counts = self.counts[name]
        counts.staged, counts.folded = good.num_rows, n_dup

        reasons = APPLICABLE_REASONS[name]
        n_bad = _n_bad(good.num_rows + n_dup, self.cfg.dirty_rate) if len(eligible) else 0
        parts = [good, dups]
        serial = 0
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
                rows = _set(rows, "contact_id", self._ghosts(k))
            elif reason == "unknown_activity_type":
                rows = _set(rows, "activity_type", _pick(rng, UNKNOWN_ACTIVITY_TYPES, k))
            parts.append(rows)
        return pa.concat_tables(parts)

    def _ghosts(self, k: int) -> pa.Array:
        start = getattr(self, "_ghost_serial", 0)
        self._ghost_serial = start + k
        return _ids("C-GHOST-", np.arange(start + 1, start + k + 1, dtype=np.int64), 6)

    # ---------------------------------------------------------------- opportunities
    def opportunities(self) -> None:
        rng, as_of = self.rng, self.as_of
        cand = self.rng.random(len(self.sql_contact)) < 0.85
        contact = self.sql_contact[cand]
        t_open = self.sql_time[cand] + HOUR + _exp(rng, 5 * DAY, len(contact))
        ok = t_open <= as_of
        contact, t_open = contact[ok], t_open[ok]
        k = len(contact)
        outcome = rng.choice(3, size=k, p=[0.25, 0.35, 0.40])  # 0 won, 1 lost, 2 open
        t_close = t_open + DAY + _exp(rng, 30 * DAY, k)
        late = (outcome < 2) & (t_close > as_of)
        stays_closed = late & (rng.random(k) < 0.1)  # a few close after as_of: open at as_of
        outcome = np.where(late & ~stays_closed, 2, outcome)
        closed = outcome < 2
        cents = (np.round(rng.lognormal(np.log(15_000), 0.8, k)).astype(np.int64) * 100
                 + np.where(rng.random(k) < 0.1, 50, 0))
        cents = np.maximum(cents, 100)
        tbd = (~closed) & (rng.random(k) < 0.03)

        ids = _ids("O-", np.arange(1, k + 1, dtype=np.int64), 7)
        contact_text = pc.take(self.contact_ids, pa.array(contact))
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
        counts = self.counts["opportunities"]
        counts.staged, counts.folded = k, j
        self.closed_after_as_of = int(stays_closed.sum())

        # Dirty rows, built from an open, numeric-amount state of real opportunities.
        reasons = APPLICABLE_REASONS["opportunities"]
        n_bad = _n_bad(good.num_rows, self.cfg.dirty_rate) if k else 0
        parts = [good]
        serial = 0
        for reason, nb in zip(reasons, _split_counts(n_bad, len(reasons))):
            counts.quarantine[reason] = nb
            if nb == 0:
                continue
            tmpl = rng.choice(k, size=nb, replace=nb > k)
            rows = v1.take(pa.array(tmpl))
            fresh = _ids("O-BAD-", np.arange(serial + 1, serial + nb + 1, dtype=np.int64), 6)
            serial += nb
            rows = _set(rows, "opportunity_id", _const("", nb) if reason == "missing_key"
                        else fresh)
            rows = _set(rows, "amount", _amounts(cents[tmpl]))
            closed_variant = rng.random(nb) < 0.5
            if reason in ("missing_timestamp", "unparseable_timestamp"):
                broken = (_const("", nb) if reason == "missing_timestamp"
                          else _pick(rng, BAD_TIMESTAMPS, nb))
                rows = _set(rows, "created_at", _where(closed_variant, rows["created_at"],
                                                        broken))
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
                rows = _set(rows, "contact_id", self._ghosts(nb))
            elif reason == "won_not_closed":
                rows = _set(rows, "is_won", _booleans(rng, np.ones(nb, dtype=bool), 0.0))
                rows = _set(rows, "is_closed", _booleans(rng, np.zeros(nb, dtype=bool), 0.0))
            elif reason == "negative_amount":
                rows = _set(rows, "amount", _amounts(-100 * rng.integers(1, 200, nb)))
            parts.append(rows)
        self.tables["opportunities"] = pa.concat_tables(parts)

    # ---------------------------------------------------------------- assembly
    def run(self) -> GeneratedData:
        self.contacts()
        self.base_events()
        self.sales()
        self.events()
        self.activities()
        self.opportunities()
        # Interleave the re-delivered and dirty rows (appended after the good rows) at random
        # places among the good rows, which keep their order: a mostly sequential take,
        # much cheaper than a full shuffle on millions of rows.
        for name in TABLES:
            table = self.tables[name]
            n_good = self.counts[name].staged + (
                self.counts[name].folded if name in ("contacts", "opportunities") else 0)
            n_extra = table.num_rows - n_good
            position = np.concatenate([
                np.arange(n_good, dtype=np.float64),
                self.rng.random(n_extra) * max(n_good, 1),
            ])
            order = np.argsort(position, kind="stable")
            self.tables[name] = table.take(pa.array(order))
        return GeneratedData(tables=self.tables, manifest=self.manifest())

    def manifest(self) -> dict[str, Any]:
        raw_rows = {t: int(self.tables[t].num_rows) for t in TABLES}
        expected_quarantine = {t: {r: int(n) for r, n in self.counts[t].quarantine.items()}
                               for t in TABLES}
        for t in TABLES:
            total = (self.counts[t].staged + self.counts[t].folded
                     + sum(expected_quarantine[t].values()))
            if total != raw_rows[t]:  # construction invariant; never expected to trigger
                raise AssertionError(f"{t}: {raw_rows[t]} raw rows but {total} accounted for")
        return {
            "seed": self.cfg.seed,
            "contacts": self.cfg.contacts,
            "dirty_rate": self.cfg.dirty_rate,
            "as_of": format_utc(self.as_of),
            "raw_rows": raw_rows,
            "expected_quarantine": expected_quarantine,
            "expected_folded_duplicates": {t: int(self.counts[t].folded) for t in TABLES},
            "expected_staged": {t: int(self.counts[t].staged) for t in TABLES},
            "unknown_event_types": dict(sorted(self.unknown_event_types.items())),
            "deleted_contacts": int(self.deleted_contacts),
        }


def generate(config: GeneratorConfig) -> GeneratedData:
    """Generate the four raw tables (as all-text pyarrow tables) and their manifest."""
    return _Generator(config).run()


# --------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------
_BATCH_ROWS = 500_000


def _csv_field(values: pa.Array) -> pa.Array:
    """Quote the values that contain a delimiter, a quote or a line break."""
    needs = pc.match_substring_regex(values, '[",\r\n]')
    if not pc.any(needs).as_py():
        return values
    quoted = _join('"', pc.replace_substring(values, '"', '""'), '"')
    return pc.if_else(needs, quoted, values)


def _string_bytes(values: pa.Array) -> bytes:
    """The concatenated UTF-8 bytes of a (null-free) string array."""
    values = values.cast(pa.large_string())
    offsets = np.frombuffer(values.buffers()[1], dtype=np.int64)[
        values.offset: values.offset + len(values) + 1]
    data = values.buffers()[2]
    if data is None or len(values) == 0:
        return b""
    return data.to_pybytes()[int(offsets[0]): int(offsets[-1])]


def write_csv(table: pa.Table, path: Path) -> None:
    """Plain RFC-4180 CSV: header row, '\\n' line ends, quotes only where needed, blank
    values as empty fields. Deterministic, streamed in batches."""
    with open(path, "wb") as fh:
        fh.write((",".join(table.column_names) + "\n").encode("utf-8"))
        for start in range(0, table.num_rows, _BATCH_ROWS):
            chunk = table.slice(start, _BATCH_ROWS)
            cols = [_csv_field(pc.fill_null(chunk.column(c).combine_chunks(), ""))
                    for c in table.column_names]
            lines = pc.binary_join_element_wise(*cols, ",")
            fh.write(_string_bytes(_join(lines, "\n")))


def write_dataset(data: GeneratedData, out_dir: Path) -> dict[str, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for name in TABLES:
        path = out_dir / f"{name}.csv"
        write_csv(data.tables[name], path)
        paths[name] = path
    manifest_path = out_dir / "manifest.json"
    manifest_path.write_text(json.dumps(data.manifest, sort_keys=True, indent=2) + "\n",
                             encoding="utf-8")
    paths["manifest"] = manifest_path
    return paths


def generate_to_dir(out_dir: Path | str, config: GeneratorConfig) -> dict[str, Any]:
    """Generate and write the four CSVs plus manifest.json; return the manifest."""
    data = generate(config)
    write_dataset(data, Path(out_dir))
    return data.manifest
