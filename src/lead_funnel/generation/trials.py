"""Free trials: who starts one, how they use the product, and when usage makes a PQL.

A share of the contacts (about 17% overall: more for search and direct traffic, which come for
the product, fewer for events and partners) start a ``trial_signup``: half of them as the
sign-up that created the contact (a few minutes either side of ``created_at``), the others
weeks later. A trial lasts :data:`TRIAL_DAYS` days. Trial users are of three kinds:

- activated (45%): several usage sessions, front-loaded in the trial, each a burst of
  ``product_key_action`` events minutes apart (1 + Poisson(1.6): often more than the seed's cap
  of 3 earning key actions a day);
- light (35%): one session of one or two key actions, which never reaches the PQL bar (a trial
  and two key actions make at most 60 points, less once decay has run for a second);
- sign-up only (20%).

:func:`pql_moments` replays the default product-usage rules (seed
``behavioral_scoring_rules``: trial 30 points, key action 15 with 3 a day earning, half-life
30 days, ``pql_threshold`` 60) on those events, so that the sales stage can route the
product-qualified users to sales right after the moment the marts will show (fit, which
``pql_min_fit`` also asks for, is left to the marts: a contact with a negative fit score is
routed but is not a PQL).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Mapping

import numpy as np

from lead_funnel.contract import KNOWN_EVENT_TYPES, LEAD_SOURCES
from lead_funnel.generation.text import (
    DAY,
    HOUR,
    IntArray,
    exponential_int,
    group_cumsum,
    uniform_int,
)

EV_TRIAL = KNOWN_EVENT_TYPES.index("trial_signup")
EV_KEY_ACTION = KNOWN_EVENT_TYPES.index("product_key_action")

TRIAL_DAYS = 14
# Chance that a contact starts a trial, by lead source (LEAD_SOURCES order), and for a blank one.
TRIAL_P: Final[Mapping[str, float]] = {"organic_search": 0.22, "paid_search": 0.24, "social": 0.12, "email": 0.12,
           "referral": 0.15, "direct": 0.22, "events": 0.05, "partner": 0.06, "other": 0.10}
TRIAL_P_BLANK_SOURCE = 0.12
# Activated, light and sign-up-only trial users.
TRIAL_LEVEL_P = (0.45, 0.35, 0.20)

# The default product-usage rules (seeds/behavioral_scoring_rules.csv, dbt_project.yml vars);
# tests/python/test_generator.py checks them against the seed and the project.
TRIAL_POINTS = 30.0
KEY_ACTION_POINTS = 15.0
KEY_ACTION_CAP = 3
HALF_LIFE_DAYS = 30.0
PQL_THRESHOLD = 60.0

if tuple(TRIAL_P) != LEAD_SOURCES:
    raise RuntimeError("generator: TRIAL_P must list the lead sources of lead_funnel.contract")


def trial_probability(source: IntArray) -> np.ndarray:
    """The chance of a trial of each contact, from its lead source code (-1: blank)."""
    by_code = np.array([*TRIAL_P.values(), TRIAL_P_BLANK_SOURCE], dtype=np.float64)
    return by_code[np.where(source < 0, len(LEAD_SOURCES), source)]


def usage_bursts(rng: np.random.Generator, contact: IntArray, start: IntArray,
                 sessions: IntArray, window_seconds: IntArray | int,
                 max_per_session: int | None = None,
                 lead_in: int = 10 * HOUR) -> tuple[IntArray, IntArray]:
    """Key actions of ``contact`` (one entry per user): ``sessions`` sessions each in the
    ``window_seconds`` after ``start`` (front-loaded; a session starts 5 minutes to ``lead_in``
    after a point of the window's first ``window_seconds - lead_in``), each a burst of
    1 + Poisson(1.6) actions (at most ``max_per_session``) one to about twenty minutes apart."""
    s_contact = np.repeat(contact, sessions)
    s_start = np.repeat(start, sessions)
    window = np.repeat(np.broadcast_to(np.asarray(window_seconds, dtype=np.int64),
                                       contact.shape), sessions)
    n_s = len(s_contact)
    offset = (rng.beta(1.0, 2.2, n_s) * np.maximum(window - lead_in, 0)).astype(np.int64)
    t_session = s_start + offset + uniform_int(rng, 300, lead_in, n_s)
    per = 1 + rng.poisson(1.6, n_s).astype(np.int64)
    if max_per_session is not None:
        per = np.minimum(per, max_per_session)
    ev_contact = np.repeat(s_contact, per)
    gaps = exponential_int(rng, 15 * 60, len(ev_contact)) + 60
    ev_time = np.repeat(t_session, per) + group_cumsum(gaps, per)
    return ev_contact.astype(np.int64), ev_time.astype(np.int64)


def pql_moments(contact: IntArray, time: IntArray,
                kind: IntArray) -> tuple[IntArray, IntArray]:
    """The first moment each contact's product score (default rules, one cycle) reaches the
    PQL bar: (contacts, moments). Events are the contact's trial sign-ups and key actions;
    ties keep the arrays' order (the order of their event ids), and an event's score counts
    the events before it in that order (the marts also count later ones at the same instant:
    two product events of a contact in the same second are very rare here)."""
    if len(contact) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    order = np.lexsort((time, contact))
    c, t, k = contact[order], time[order], kind[order]
    # Rank of each key action within its contact's UTC day: only the first KEY_ACTION_CAP earn.
    is_key = k == EV_KEY_ACTION
    key_pos = np.flatnonzero(is_key)
    group = np.stack([c[key_pos], t[key_pos] // DAY])
    new_group = np.ones(len(key_pos), dtype=bool)
    new_group[1:] = np.any(group[:, 1:] != group[:, :-1], axis=0)
    starts = np.maximum.accumulate(np.where(new_group, np.arange(len(key_pos)), 0))
    earns = np.zeros(len(c), dtype=bool)
    earns[key_pos] = (np.arange(len(key_pos)) - starts) < KEY_ACTION_CAP
    points = np.where(k == EV_TRIAL, TRIAL_POINTS, np.where(earns, KEY_ACTION_POINTS, 0.0))
    # Decayed running sum per contact, relative to the contact's first event (an anchor).
    first = np.ones(len(c), dtype=bool)
    first[1:] = c[1:] != c[:-1]
    anchor = t[np.maximum.accumulate(np.where(first, np.arange(len(c)), 0))]
    age = (t - anchor) / (HALF_LIFE_DAYS * DAY)
    weighted = points * np.exp2(age)
    counts = np.diff(np.append(np.flatnonzero(first), len(c)))
    running = np.cumsum(weighted)
    base = np.concatenate([[0.0], running])[np.repeat(np.flatnonzero(first), counts)]
    score = (running - base) * np.exp2(-age)
    crossed = score >= PQL_THRESHOLD - 1e-9
    hit = np.flatnonzero(crossed)
    if len(hit) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    keep = np.ones(len(hit), dtype=bool)
    keep[1:] = c[hit[1:]] != c[hit[:-1]]
    hit = hit[keep]
    return c[hit].astype(np.int64), t[hit].astype(np.int64)


@dataclass(frozen=True)
class Trials:
    """The trial events of a chunk (contact index, time, kind) and what they lead to."""
    contact: IntArray
    time: IntArray
    kind: IntArray
    signup: IntArray          # trial start of contact i of the chunk, -1 without a trial
    qualified: IntArray       # contacts whose usage crossed the PQL bar (default rules) ...
    qualified_time: IntArray  # ... and when


def trials_stage(rng: np.random.Generator, created: IntArray, source: IntArray,
                 as_of: int) -> Trials:
    """Trial sign-ups and the product usage that follows them (nothing after ``as_of``)."""
    n = len(created)
    has = rng.random(n) < trial_probability(source)
    at_creation = rng.random(n) < 0.5
    t0 = np.where(at_creation, created + uniform_int(rng, -600, 900, n),
                  created + 600 + exponential_int(rng, 25 * DAY, n))
    has &= t0 <= as_of
    level = rng.choice(3, size=n, p=np.asarray(TRIAL_LEVEL_P))
    trial = np.flatnonzero(has)
    activated = trial[level[trial] == 0]
    light = trial[level[trial] == 1]
    a_contact, a_time = usage_bursts(rng, activated, t0[activated],
                                     rng.integers(3, 10, len(activated)).astype(np.int64),
                                     TRIAL_DAYS * DAY)
    l_contact, l_time = usage_bursts(rng, light, t0[light], np.ones(len(light), dtype=np.int64),
                                     TRIAL_DAYS * DAY, max_per_session=2)
    contact = np.concatenate([trial, a_contact, l_contact]).astype(np.int64)
    time = np.concatenate([t0[trial], a_time, l_time]).astype(np.int64)
    kind = np.concatenate([np.full(len(trial), EV_TRIAL),
                           np.full(len(a_contact) + len(l_contact), EV_KEY_ACTION)]).astype(np.int64)
    keep = time <= as_of
    contact, time, kind = contact[keep], time[keep], kind[keep]
    qualified, qualified_time = pql_moments(contact, time, kind)
    signup = np.where(has, t0, -1).astype(np.int64)
    return Trials(contact, time, kind, signup, qualified, qualified_time)
