"""Engagement events: everyday engagement and hand-raises as numbers (:func:`base_events_stage`),
then the text rows of the raw ``engagement_events`` table with re-deliveries and dirty rows
(:func:`events_stage`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lead_funnel.contract import KNOWN_EVENT_TYPES
from lead_funnel.generation.campaigns import campaign_slugs, off_campaign_probability
from lead_funnel.generation.counts import KeyCounters
from lead_funnel.generation.dirty import Dirtied, redeliver_and_dirty
from lead_funnel.generation.text import (
    BACKGROUND_EVENT_P,
    CAMPAIGN_EVENTS,
    EVENT_TYPES,
    EV_CONTACT_SALES,
    EV_DEMO,
    EV_FORM,
    EV_PAGE_VIEW,
    FORM_URLS,
    HOUR,
    PAGE_URLS,
    PAGE_URL_P,
    UNKNOWN_EVENT_TYPES,
    IntArray,
    constant_text,
    contract_table,
    id_text,
    if_else,
    join_text,
    loaded_at_text,
    messy_case,
    parse_as_of,
    pick_text,
    take_text,
    timestamp_text,
    uniform_int,
)
from lead_funnel.generation.trials import EV_KEY_ACTION, EV_TRIAL


# Campaign ids carry the year the event fell in (CMP-2024-..., CMP-2025-...).
CAMPAIGN_YEAR_START = parse_as_of("2025-01-01")


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
    when = np.where(early, created_of - uniform_int(rng, 60, 2 * HOUR, m), when)
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


def event_rows(rng: np.random.Generator, events: EventArrays, contact_ids: pa.Array,
               first_number: int = 0) -> tuple[pa.Table, IntArray]:
    """The good engagement_events rows of ``events`` (ids from ``first_number`` + 1) and their
    _loaded_at (epoch seconds)."""
    contact, when, kind = events.contact, events.time, events.kind
    m = len(contact)
    event_ids = id_text("E-", np.arange(first_number + 1, first_number + m + 1, dtype=np.int64), 9)
    known = kind < len(KNOWN_EVENT_TYPES)
    type_text = take_text(EVENT_TYPES, kind)
    type_text = if_else(known, messy_case(rng, type_text, 0.01, 0.01, 0.01), type_text)
    url = if_else(kind == EV_PAGE_VIEW, pick_text(rng, PAGE_URLS, m, PAGE_URL_P),
                  constant_text("", m))
    url = if_else((kind == EV_FORM) | (kind == EV_DEMO), pick_text(rng, FORM_URLS, m), url)
    url = if_else(rng.random(m) < 0.03, constant_text("", m), url)
    campaign_kinds = np.array([EVENT_TYPES.index(e) for e in CAMPAIGN_EVENTS])
    in_campaign = np.where(np.isin(kind, campaign_kinds), rng.random(m) < 0.85,
                           rng.random(m) < off_campaign_probability(kind))
    year = pc.cast(pa.array(2024 + (when >= CAMPAIGN_YEAR_START)), pa.string())
    campaign = join_text("CMP-", year, "-", campaign_slugs(kind, rng.integers(1, 60, m)))
    campaign = if_else(in_campaign, campaign, constant_text("", m))
    loaded = when + uniform_int(rng, 300, 6 * HOUR, m)
    good = contract_table({
        "event_id": event_ids, "contact_id": pc.take(contact_ids, pa.array(contact)),
        "event_type": type_text, "page_url": url, "campaign_id": campaign,
        "occurred_at": timestamp_text(rng, when), "_loaded_at": loaded_at_text(rng, loaded),
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
