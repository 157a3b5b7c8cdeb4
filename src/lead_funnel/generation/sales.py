"""The sales process: handoffs of the engaged contacts, acceptance or rejection, qualification,
recycling (:func:`sales_stage`, numbers), and the text rows of the raw ``sales_activities``
table with re-deliveries and dirty rows (:func:`activities_stage`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lead_funnel.contract import ACTIVITY_TYPES, KNOWN_EVENT_TYPES, REJECTION_REASONS
from lead_funnel.generation.counts import KeyCounters
from lead_funnel.generation.dirty import Dirtied, redeliver_and_dirty
from lead_funnel.generation.engagement import BaseEvents, EventArrays
from lead_funnel.generation.text import (
    ACT_ACCEPTED,
    ACT_CALL,
    ACT_DISQ,
    ACT_EMAIL,
    ACT_MEETING,
    ACT_QUAL,
    ACT_REJECTED,
    BACKGROUND_EVENT_P,
    DAY,
    EV_DEMO,
    HOUR,
    INTENT_EVENT_KINDS,
    INTENT_EVENT_P,
    N_REPS,
    BoolArray,
    IntArray,
    boolean_text,
    constant_text,
    contract_table,
    exponential_int,
    group_cumsum,
    id_text,
    if_else,
    loaded_at_text,
    messy_case,
    take_text,
    timestamp_text,
    uniform_int,
)
from lead_funnel.generation.trials import EV_KEY_ACTION, Trials, usage_bursts


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
    t_touch = np.repeat(t_acc, touches) + uniform_int(rng, HOUR, 10 * DAY, len(tc))
    kinds = rng.choice([ACT_CALL, ACT_EMAIL, ACT_MEETING], size=len(tc), p=[0.5, 0.35, 0.15])
    acts.add(tc, kinds, np.repeat(owner, touches), t_touch)

    has_q = rng.random(k) < np.where(warm, 0.90, 0.75)
    t_q = t_acc + HOUR + exponential_int(rng, 4 * DAY, k)
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
             t_q[meet] + HOUR + exponential_int(rng, 2 * DAY, int(meet.sum())))

    disq = rng.random(k) < np.where(warm, 0.05, 0.10)
    t_d = np.where(has_q, t_q, t_acc) + HOUR + exponential_int(rng, 7 * DAY, k)
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
    t_h = np.maximum(t_ref, created[engaged]) + 300 + exponential_int(rng, 18 * HOUR, k)
    owner = rng.integers(1, N_REPS + 1, k).astype(np.int64)

    # Buying intent before sales steps in: engaged contacts that did not raise a hand and are
    # not product-qualified show a burst of high-value events (content, webinars) in the two
    # days before the sales touch, so most of them cross the MQL bar before sales acts.
    quiet = (hr_ref[engaged] < 0) & ~warm
    n_burst = np.where(quiet, rng.integers(3, 8, k), 0).astype(np.int64)
    burst_contact = np.repeat(engaged, n_burst)
    burst_time = np.repeat(t_h, n_burst) - uniform_int(rng, HOUR, 2 * DAY, len(burst_contact))
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
    gaps = exponential_int(rng, 4 * DAY, len(new_contact)) + 600
    new_time = np.repeat(at, n_new) + group_cumsum(gaps, n_new)
    new_kind = rng.choice(len(KNOWN_EVENT_TYPES), size=len(new_contact),
                          p=np.asarray(BACKGROUND_EVENT_P) / np.sum(BACKGROUND_EVENT_P))
    last = np.cumsum(n_new) - 1
    raise_hand = rng.random(len(ac)) < 0.4
    new_kind[last[raise_hand]] = EV_DEMO
    t_acc2 = new_time[last] + HOUR + exponential_int(rng, 18 * HOUR, len(ac))
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


def activity_rows(rng: np.random.Generator, acts: dict[str, IntArray], contact_ids: pa.Array,
                  first_number: int = 0) -> tuple[pa.Table, IntArray]:
    """The good sales_activities rows of ``acts`` (ids from ``first_number`` + 1) and their
    _loaded_at (epoch seconds)."""
    m = len(acts["time"])
    ids = id_text("A-", np.arange(first_number + 1, first_number + m + 1, dtype=np.int64), 8)
    kind_text = messy_case(rng, take_text(ACTIVITY_TYPES, acts["kind"]), 0.02, 0.02, 0.02)
    reason = if_else(acts["reason"] >= 0,
                     take_text(REJECTION_REASONS, np.maximum(acts["reason"], 0)),
                     constant_text("", m))
    bant_cols = {}
    for key, col in (("b", "budget_confirmed"), ("a", "authority_confirmed"),
                     ("n", "need_confirmed"), ("t", "timeline_confirmed")):
        code = acts[key]
        text = boolean_text(rng, code == 1, 0.0)
        bant_cols[col] = if_else(code == -1, constant_text("", m), text)
    loaded = acts["time"] + uniform_int(rng, 120, 4 * HOUR, m)
    owner = id_text("rep_", acts["owner"], 2)
    good = contract_table({
        "activity_id": ids, "contact_id": pc.take(contact_ids, pa.array(acts["contact"])),
        "owner_id": owner, "activity_type": kind_text, "rejection_reason": reason,
        **bant_cols, "occurred_at": timestamp_text(rng, acts["time"]),
        "_loaded_at": loaded_at_text(rng, loaded),
    }, "sales_activities")
    return good, loaded


def activities_stage(rng: np.random.Generator, acts: dict[str, IntArray], contact_ids: pa.Array,
                     as_of: int, dirty_rate: float, keys: KeyCounters) -> Dirtied:
    """sales_activities: the good rows, ~2% re-delivered, and dirty rows."""
    good, loaded = activity_rows(rng, acts, contact_ids, keys.activities)
    return redeliver_and_dirty(rng, "sales_activities", good, np.arange(good.num_rows), loaded,
                               0.02, "A-BAD-", 6, as_of, dirty_rate, keys.bad_activities,
                               keys.ghosts)
