"""Vocabularies and vectorised text helpers of the generator (pyarrow compute kernels).

Every helper that draws takes the random stream (``numpy.random.Generator``) as its first
argument; none keeps state between calls.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Sequence

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from lead_funnel.contract import ACTIVITY_TYPES, KNOWN_EVENT_TYPES, LEAD_SOURCES, TABLE_COLUMNS

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

DAY = 86_400
HOUR = 3_600

DEFAULT_AS_OF = "2025-12-31T00:00:00Z"

# --------------------------------------------------------------------------------------
# Vocabularies (those of the spec, e.g. lead sources and event types, are in
# lead_funnel.contract; these are the generator's own)
# --------------------------------------------------------------------------------------
LEAD_SOURCE_P = (0.26, 0.20, 0.11, 0.09, 0.08, 0.10, 0.07, 0.05, 0.04)
INDUSTRIES = ("software", "financial services", "healthcare", "manufacturing", "retail",
              "education", "government", "media", "telecommunications", "logistics",
              "consulting", "non-profit")
INDUSTRY_P = (0.24, 0.12, 0.10, 0.10, 0.08, 0.07, 0.04, 0.06, 0.05, 0.05, 0.06, 0.03)
JOB_TITLES = ("VP Marketing", "Head of Growth", "Marketing Manager", "CMO", "CTO", "CEO",
              "Founder", "Director of Sales", "Sales Manager", "Demand Generation Manager",
              "Marketing Operations Manager", "Product Manager", "Software Engineer",
              "Data Analyst", "Consultant", "Student", "Intern", "Account Executive",
              "VP Sales", "Director of Marketing")
JOB_TITLE_P = (0.05, 0.05, 0.12, 0.02, 0.03, 0.03, 0.03, 0.04, 0.05, 0.06, 0.05, 0.07,
               0.11, 0.06, 0.04, 0.04, 0.03, 0.04, 0.03, 0.05)
COUNTRIES = ("US", "GB", "DE", "FR", "CA", "AU", "NL", "IN", "BR", "ES", "SE", "JP", "SG",
             "IE", "MX")
COUNTRY_P = (0.38, 0.10, 0.08, 0.06, 0.06, 0.04, 0.04, 0.07, 0.04, 0.03, 0.02, 0.03, 0.02,
             0.02, 0.01)
FIRST_NAMES = ("james", "mary", "john", "patricia", "robert", "jennifer", "michael", "linda",
               "david", "elizabeth", "william", "susan", "richard", "jessica", "thomas",
               "sarah", "daniel", "karen", "matthew", "nancy", "anna", "lukas", "sophie",
               "pierre", "camille", "raj", "priya", "ana", "joao", "emma", "liam", "olivia",
               "noah", "mia", "yuki", "hiro", "lars", "ingrid", "carlos", "lucia")
LAST_NAMES = ("smith", "johnson", "williams", "brown", "jones", "garcia", "miller", "davis",
              "martin", "lee", "walker", "hall", "allen", "young", "king", "wright", "scott",
              "green", "baker", "adams", "mueller", "schmidt", "dubois", "moreau", "sharma",
              "patel", "silva", "santos", "jansen", "devries", "tanaka", "sato", "nilsson",
              "lopez", "murphy", "kelly", "obrien", "rossi", "novak", "cohen")
COMPANY_WORDS = ("Acme", "Globex", "Initech", "Umbrella", "Hooli", "Vandelay", "Stark",
                 "Wayne", "Cyberdyne", "Soylent", "Blue", "North", "Bright", "Quantum",
                 "Silver", "Apex", "Nimbus", "Vertex", "Cobalt", "Harbor", "Summit", "Pine",
                 "Orbit", "Lumen", "Granite")
COMPANY_KINDS = ("Analytics", "Systems", "Labs", "Logistics", "Health", "Bank", "Retail",
                 "Robotics", "Software", "Media", "Cloud", "Energy", "Foods", "Learning",
                 "Networks", "Capital")
COMPANY_LEGAL = ("", " Inc", " Ltd", " GmbH", " LLC", " BV", " SA")
PERSONAL_DOMAINS = ("gmail.com", "yahoo.com", "hotmail.com", "outlook.com")
PERSONAL_DOMAIN_P = (0.55, 0.15, 0.15, 0.15)

# Background mix of everyday events (hand-raisers are placed separately, on few contacts;
# trial sign-ups and key product actions only come with trials: lead_funnel.generation.trials).
BACKGROUND_EVENT_P = (0.32, 0.10, 0.32, 0.05, 0.03, 0.02, 0.03, 0.0, 0.0, 0.0, 0.0,
                      0.03, 0.03, 0.01, 0.01)
UNKNOWN_EVENT_TYPES = ("chat_started", "g2_review_view", "intent_signal", "podcast_listen")
EVENT_TYPES = (*KNOWN_EVENT_TYPES, *UNKNOWN_EVENT_TYPES)
EV_PAGE_VIEW = KNOWN_EVENT_TYPES.index("page_view")
EV_FORM = KNOWN_EVENT_TYPES.index("form_submission")
EV_DEMO = KNOWN_EVENT_TYPES.index("demo_request")
EV_CONTACT_SALES = KNOWN_EVENT_TYPES.index("contact_sales")
# High-intent marketing events engaged contacts show just before sales steps in (product usage
# comes from trials only: lead_funnel.generation.trials).
INTENT_EVENT_KINDS = tuple(KNOWN_EVENT_TYPES.index(e) for e in
                           ("content_download", "webinar_attended", "webinar_registration"))
INTENT_EVENT_P = (0.45, 0.35, 0.20)
CAMPAIGN_EVENTS = ("email_open", "email_click", "content_download", "webinar_registration",
                   "webinar_attended", "newsletter_subscribe", "unsubscribe", "email_bounce")
PAGE_URLS = ("https://www.example.com/pricing", "https://www.example.com/product",
             "https://www.example.com/features", "https://www.example.com/customers",
             "https://www.example.com/blog/b2b-lead-scoring-guide",
             "https://www.example.com/blog/what-is-an-mql",
             "https://www.example.com/blog/revops-metrics",
             "https://www.example.com/docs/getting-started",
             "https://www.example.com/docs/api-reference",
             "https://www.example.com/careers", "https://www.example.com/integrations",
             "https://www.Example.com/Pricing?utm_source=google", "https://www.example.com/")
PAGE_URL_P = (0.12, 0.10, 0.08, 0.05, 0.12, 0.10, 0.08, 0.09, 0.06, 0.04, 0.06, 0.03, 0.07)
FORM_URLS = ("https://www.example.com/contact", "https://www.example.com/demo",
             "https://www.example.com/ebook/state-of-demand-gen",
             "https://www.example.com/webinar/signup")

ACT_ACCEPTED, ACT_REJECTED, ACT_QUAL, ACT_DISQ, ACT_CALL, ACT_MEETING, ACT_EMAIL = (
    ACTIVITY_TYPES.index(t) for t in ("sales_accepted", "sales_rejected", "qualification",
                                      "disqualified", "call", "meeting", "email"))
UNKNOWN_ACTIVITY_TYPES = ("lunch", "linkedin_message", "gift_sent", "Lunch ", "note")
N_REPS = 12

OPEN_STAGES = ("Discovery", "Demo", "Proposal", "Negotiation")
TRUE_SPELLINGS = ("true", "TRUE", "1", "yes", "True", "Yes")
FALSE_SPELLINGS = ("false", "FALSE", "0", "no", "False", "No")
BAD_TIMESTAMPS = ("not a date", "2025-13-45 25:61:00", "2024-02-30 10:00:00", "unknown")

OFFSETS = ("+01:00", "+02:00", "-05:00", "+05:30", "-08:00", "+09:00", "-03:00")
OFFSET_SECONDS = np.array([3600, 7200, -18000, 19800, -28800, 32400, -10800], dtype=np.int64)

def _check_probabilities() -> None:
    """The probability lists follow the vocabularies of lead_funnel.contract position by
    position: a value added there needs its probability here. Checked at import, so that a
    mismatch stops the generator instead of skewing what it draws."""
    for values, probs in ((LEAD_SOURCES, LEAD_SOURCE_P), (KNOWN_EVENT_TYPES, BACKGROUND_EVENT_P)):
        if len(values) != len(probs):
            raise RuntimeError(f"generator: {len(probs)} probabilities for {len(values)} values "
                               f"of lead_funnel.contract ({', '.join(values)})")


_check_probabilities()


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


# --------------------------------------------------------------------------------------
# Small vectorised text helpers (pyarrow compute)
# --------------------------------------------------------------------------------------
def _strs(values: Sequence[str]) -> pa.Array:
    return pa.array(list(values), type=pa.string())


def take_text(values: Sequence[str], idx: npt.NDArray[Any]) -> pa.Array:
    return pc.take(_strs(values), pa.array(np.asarray(idx, dtype=np.int64)))


def pick_text(rng: np.random.Generator, values: Sequence[str], n: int,
              p: Sequence[float] | None = None) -> pa.Array:
    probs = None if p is None else np.asarray(p, dtype=np.float64) / float(np.sum(p))
    return take_text(values, rng.choice(len(values), size=n, p=probs))


def join_text(*parts: Any) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


def if_else(mask: BoolArray, a: Any, b: Any) -> pa.Array:
    return pc.if_else(pa.array(np.asarray(mask, dtype=bool)), a, b)


def id_text(prefix: str, numbers: IntArray, width: int) -> pa.Array:
    digits = pc.utf8_lpad(pc.cast(pa.array(numbers, type=pa.int64()), pa.string()),
                          width=width, padding="0")
    return join_text(prefix, digits)


def constant_text(value: str, n: int) -> pa.Array:
    return pa.array([value] * n, type=pa.string()) if n < 64 else pc.take(
        _strs([value]), pa.array(np.zeros(n, dtype=np.int64)))


def messy_case(rng: np.random.Generator, values: pa.Array, p_upper: float, p_title: float,
               p_pad: float) -> pa.Array:
    """Make a share of values upper-case, Title_Case or padded (still valid after trim/lower)."""
    n = len(values)
    u = rng.random(n)
    out = if_else(u < p_upper, pc.utf8_upper(values), values)
    out = if_else((u >= p_upper) & (u < p_upper + p_title), pc.utf8_title(values), out)
    pad = rng.random(n) < p_pad
    padded = join_text(take_text(["", " "], rng.integers(0, 2, n)), out,
                       take_text([" ", "  "], rng.integers(0, 2, n)))
    return if_else(pad, padded, out)


def boolean_text(rng: np.random.Generator, truth: BoolArray, p_blank_false: float) -> pa.Array:
    """Text booleans with varied spellings; a share of the false ones is left blank."""
    n = len(truth)
    t = take_text(TRUE_SPELLINGS, rng.integers(0, len(TRUE_SPELLINGS), n))
    f = take_text(FALSE_SPELLINGS, rng.integers(0, len(FALSE_SPELLINGS), n))
    f = if_else(rng.random(n) < p_blank_false, constant_text("", n), f)
    return if_else(truth, t, f)


def timestamp_text(rng: np.random.Generator, seconds: IntArray,
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
    text = if_else(form == 1, spaced, pc.replace_substring(spaced, " ", "T", max_replacements=1))
    suffix = take_text(("Z", "", *OFFSETS),
                       np.where(form == 0, 0, np.where(form == 1, 1, 2 + offset_idx)))
    return join_text(text, suffix)


def loaded_at_text(rng: np.random.Generator, seconds: IntArray) -> pa.Array:
    return timestamp_text(rng, seconds, (0.85, 0.15, 0.0))


def amount_text(cents: IntArray) -> pa.Array:
    dollars = pc.cast(pa.array(cents // 100, type=pa.int64()), pa.string())
    rest = pc.utf8_lpad(pc.cast(pa.array(np.abs(cents) % 100, type=pa.int64()), pa.string()),
                        width=2, padding="0")
    return join_text(dollars, ".", rest)


def uniform_int(rng: np.random.Generator, low: Any, high: Any, n: int) -> IntArray:
    """Integer uniformly in [low, high) (arrays allowed); high <= low gives low."""
    lo = np.asarray(low, dtype=np.float64)
    span = np.maximum(np.asarray(high, dtype=np.float64) - lo, 0.0)
    return (lo + np.floor(rng.random(n) * span)).astype(np.int64)


def exponential_int(rng: np.random.Generator, mean: float, n: int) -> IntArray:
    return rng.exponential(mean, n).astype(np.int64)


def group_cumsum(values: IntArray, counts: IntArray) -> IntArray:
    """Cumulative sum of ``values`` restarting at each group of ``counts`` rows."""
    total = np.cumsum(values)
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    base = np.concatenate([np.zeros(1, dtype=np.int64), total])[starts]
    return (total - base).astype(np.int64)


def split_counts(total: int, k: int) -> list[int]:
    """Spread ``total`` over ``k`` buckets as evenly as possible, earlier buckets first."""
    if k == 0:
        return []
    return [total // k + (1 if i < total % k else 0) for i in range(k)]


def dirty_row_count(good_rows: int, dirty_rate: float) -> int:
    if good_rows == 0 or dirty_rate <= 0:
        return 0
    return int(round(good_rows * dirty_rate / (1.0 - dirty_rate)))


def contract_table(columns: dict[str, pa.Array], name: str) -> pa.Table:
    return pa.table({c: columns[c] for c in TABLE_COLUMNS[name]})


def set_column(table: pa.Table, column: str, values: pa.Array) -> pa.Table:
    return table.set_column(table.schema.get_field_index(column), column, values)
