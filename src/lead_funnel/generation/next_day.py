"""The next day on top of an existing generated set: only the rows the EL tool would append.

Given a set (a generated directory, or a day directory made by this module, whose manifest
lists every directory of the set in ``sources``) evaluated at ``as_of`` = D, the day holds rows
whose ``_loaded_at`` lies within (D, D + 1 day):

- new contacts created that day (keys after the set's last contact), with a few events each;
- new events of existing contacts that day (a few hand-raisers among them);
- late events: occurred one hour to five days before D, loaded that day;
- re-deliveries: exact copies of existing events with a new ``_loaded_at`` (same event_id);
- new versions of existing contacts changing their fit attributes (job title, size,
  industry), and a deletion (a version with ``is_deleted`` true) -- same contact_id;
- trials: contacts in a trial (a ``trial_signup`` less than 14 days before D) go on using the
  product (bursts of ``product_key_action`` events; those who used it already are the more
  active), a few existing contacts and some of the new ones start a trial and try the product
  the same day;
- late ``sales_rejected`` activities of accepted contacts, occurred before D;
- deals closing that day: a new version (same opportunity_id) of open deals, won or lost.

All rows are clean (no quarantine reason) and the day's manifest moves ``as_of`` to D + 1 day,
records ``previous_as_of``, ``day`` and the keys used so far (``next_keys``), so that another
day can be added on top of it. The day's random stream is
``PCG64(SeedSequence([seed, day, 0x6E657874]))``: the same set gives the same day, byte for
byte.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lead_funnel.contract import KNOWN_EVENT_TYPES, REJECTION_REASONS, TABLES
from lead_funnel.generation.contacts import contacts_stage, replay_companies
from lead_funnel.generation.counts import KeyCounters
from lead_funnel.generation.engagement import EventArrays, event_rows
from lead_funnel.generation.existing_set import ExistingSet, NextDayError, read_manifest
from lead_funnel.generation.sales import ActivityArrays, activity_rows
from lead_funnel.generation.text import (
    ACT_REJECTED,
    BACKGROUND_EVENT_P,
    DAY,
    EV_DEMO,
    HOUR,
    INDUSTRIES,
    INDUSTRY_P,
    JOB_TITLES,
    JOB_TITLE_P,
    UNKNOWN_EVENT_TYPES,
    IntArray,
    boolean_text,
    constant_text,
    format_utc,
    if_else,
    loaded_at_text,
    parse_as_of,
    pick_text,
    set_column,
    timestamp_text,
    uniform_int,
)
from lead_funnel.generation.trials import (
    EV_KEY_ACTION,
    EV_TRIAL,
    TRIAL_DAYS,
    trial_probability,
    usage_bursts,
)
from lead_funnel.generation.writer import DatasetWriter

# Mixed into the day's seed so that its stream differs from every chunk's of the base set.
_STREAM_TAG = 0x6E657874  # "next"


def _event_kinds(rng: np.random.Generator, m: int, p_hand_raise: float) -> IntArray:
    kind = rng.choice(len(KNOWN_EVENT_TYPES), size=m,
                      p=np.asarray(BACKGROUND_EVENT_P) / np.sum(BACKGROUND_EVENT_P))
    kind = np.where(rng.random(m) < p_hand_raise, EV_DEMO, kind)
    unknown = rng.random(m) < 0.005
    return np.where(unknown, len(KNOWN_EVENT_TYPES)
                    + rng.integers(0, len(UNKNOWN_EVENT_TYPES), m), kind).astype(np.int64)


def _within(rng: np.random.Generator, start: IntArray, end: int, n: int, low: int = 300,
            high: int = 6 * HOUR) -> IntArray:
    """A load time ``low`` to ``high`` seconds after ``start`` but never after ``end``
    (``start`` <= ``end`` - ``low``)."""
    return start + uniform_int(rng, low, np.maximum(np.minimum(high, end - start), low + 1), n)


def _sorted_by(table: pa.Table, loaded: IntArray) -> pa.Table:
    return table.take(pa.array(np.argsort(loaded, kind="stable")))


def generate_next_day(existing: Path | str, day_out: Path | str,
                      output_format: str = "csv") -> dict[str, Any]:
    """Write the next day's rows of the set in ``existing`` to ``day_out``; return the day's
    manifest (also written to ``day_out/manifest.json``)."""
    existing, day_out = Path(existing).resolve(), Path(day_out).resolve()
    previous = read_manifest(existing)
    sources = [Path(s) for s in previous.get("sources", [str(existing)])]
    if day_out in sources:
        raise NextDayError(f"--day-out {day_out} is part of the existing set")
    seed, day = int(previous["seed"]), int(previous.get("day", 0)) + 1
    start = parse_as_of(str(previous["as_of"]))
    end = start + DAY - 60  # every _loaded_at in (start, start + 1 day)
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, day, _STREAM_TAG])))

    source = ExistingSet(sources, start)
    try:
        keys = (KeyCounters.from_dict(previous["next_keys"]) if "next_keys" in previous
                else source.key_counters())
        contacts, created, deleted = source.latest_contacts()
        deals, deal_created = source.open_opportunities()
        accepted, accepted_owner = source.accepted_contacts()
        n_existing = contacts.num_rows
        alive = np.flatnonzero(~deleted)

        # New contacts, created during the day (attributes drawn as the base set's).
        n_new = max(1, int(round(0.002 * n_existing)))
        chunk_contacts = min(int(previous.get("chunk_size", previous["contacts"])),
                             int(previous["contacts"]))
        fresh = contacts_stage(rng, n_new, start + DAY, 0.0, keys.contacts,
                               replay_companies(seed, chunk_contacts))
        new_created = start + uniform_int(rng, 60, DAY - 4 * HOUR, n_new)
        new_loaded = _within(rng, new_created + 600, end, n_new, 0, 3 * HOUR)
        new_contacts = fresh.table.slice(0, n_new)
        new_contacts = set_column(new_contacts, "created_at", timestamp_text(rng, new_created))
        new_contacts = set_column(new_contacts, "updated_at", timestamp_text(
            rng, new_created + uniform_int(rng, 0, 600, n_new)))
        new_contacts = set_column(new_contacts, "is_deleted",
                                  boolean_text(rng, np.zeros(n_new, dtype=bool), 0.35))
        new_contacts = set_column(new_contacts, "_loaded_at", loaded_at_text(rng, new_loaded))

        # Contact ids of the day's rows: the existing contacts, then the new ones.
        all_ids = pa.concat_arrays([contacts.column("contact_id").combine_chunks(),
                                    fresh.ids.cast(pa.string())])
        all_created = np.concatenate([created, new_created])

        # Events: of existing contacts during the day, late ones, and of the new contacts.
        m_day = max(1, int(round(0.025 * n_existing)))
        day_contact = rng.choice(alive, size=m_day) if len(alive) else np.zeros(0, np.int64)
        m_day = len(day_contact)
        day_time = start + uniform_int(rng, 60, DAY - 7 * HOUR, m_day)
        m_late = max(1, int(round(0.1 * m_day))) if m_day else 0
        late_contact = rng.choice(alive, size=m_late) if m_late else np.zeros(0, np.int64)
        late_time = np.maximum(start - uniform_int(rng, HOUR, 5 * DAY, m_late),
                               created[late_contact] + 60)
        per_new = rng.integers(0, 6, n_new).astype(np.int64)
        new_ev_contact = n_existing + np.repeat(np.arange(n_new, dtype=np.int64), per_new)
        new_ev_created = all_created[new_ev_contact]
        new_ev_time = new_ev_created + uniform_int(rng, 60, end - 300 - new_ev_created,
                                                   len(new_ev_contact))
        contact_idx = np.concatenate([day_contact, late_contact, new_ev_contact]).astype(np.int64)
        when = np.concatenate([day_time, late_time, new_ev_time]).astype(np.int64)
        kind = _event_kinds(rng, len(when), 0.02)

        # Trials: usage of the contacts in a trial, and the day's new trials (usage the same day).
        index_of = {cid: i for i, cid in enumerate(contacts.column("contact_id").to_pylist())}
        trial_ids, trial_at, trial_actions = source.trials()
        trial_idx = np.array([index_of.get(cid, -1) for cid in trial_ids], dtype=np.int64)
        trial_at_arr = np.array(trial_at, dtype=np.int64)
        actions = np.array(trial_actions, dtype=np.int64)
        ok = trial_idx >= 0
        trial_idx, trial_at_arr, actions = trial_idx[ok], trial_at_arr[ok], actions[ok]
        in_trial = (trial_at_arr > start - TRIAL_DAYS * DAY) & ~deleted[trial_idx]
        # A session that day: the engaged users keep at it (as the base set's activated users,
        # about one day in two), the others now and then.
        p_active = np.where(actions >= 3, 0.45, np.where(actions >= 1, 0.2, 0.05))
        active = in_trial & (rng.random(len(trial_idx)) < p_active)
        users = trial_idx[active]
        use_contact, use_time = usage_bursts(rng, users, np.full(len(users), start),
                                             np.ones(len(users), dtype=np.int64), DAY - 6 * HOUR)
        never = np.ones(n_existing, dtype=bool)
        never[trial_idx] = False
        never &= ~deleted
        no_trial_yet = np.flatnonzero(never)
        n_starts = min(len(no_trial_yet), max(1, int(round(0.0002 * n_existing))))
        starters = np.sort(rng.choice(no_trial_yet, size=n_starts, replace=False))
        start_time = start + uniform_int(rng, 60, DAY - 12 * HOUR, n_starts)
        new_trial = rng.random(n_new) < trial_probability(fresh.source)
        new_trial_contact = n_existing + np.flatnonzero(new_trial)
        new_trial_time = new_created[new_trial] + uniform_int(rng, 0, 600, len(new_trial_contact))
        signup_contact = np.concatenate([starters, new_trial_contact]).astype(np.int64)
        signup_time = np.concatenate([start_time, new_trial_time]).astype(np.int64)
        # Every new trial user tries the product once the same day (one or two key actions:
        # not yet a PQL); the following days decide.
        try_contact, try_time = usage_bursts(rng, signup_contact, signup_time,
                                             np.ones(len(signup_contact), dtype=np.int64), 0,
                                             max_per_session=2, lead_in=2 * HOUR)
        key_contact = np.concatenate([use_contact, try_contact])
        key_time = np.concatenate([use_time, try_time])
        in_day = key_time <= start + DAY - 2 * HOUR  # loaded within the day
        key_contact, key_time = key_contact[in_day], key_time[in_day]
        n_signups, n_key_actions = len(signup_contact), len(key_contact)
        contact_idx = np.concatenate([contact_idx, signup_contact, key_contact]).astype(np.int64)
        when = np.concatenate([when, signup_time, key_time]).astype(np.int64)
        kind = np.concatenate([kind, np.full(n_signups, EV_TRIAL),
                               np.full(n_key_actions, EV_KEY_ACTION)]).astype(np.int64)
        events, _ = event_rows(rng, EventArrays(contact_idx, when, kind), all_ids, keys.events)
        is_late = np.zeros(len(when), dtype=bool)
        is_late[m_day: m_day + m_late] = True
        ev_loaded = np.where(is_late, start + uniform_int(rng, 60, DAY - 120, len(when)),
                             _within(rng, when, end, len(when)))
        events = set_column(events, "_loaded_at", loaded_at_text(rng, ev_loaded))

        # Re-deliveries of existing events (same event_id, a new _loaded_at).
        n_redeliver = min(keys.events, max(1, int(round(0.01 * m_day))))
        numbers = np.sort(rng.choice(keys.events, size=n_redeliver, replace=False) + 1)
        redelivered = source.events_by_id([f"E-{int(k):09d}" for k in numbers])
        re_loaded = start + uniform_int(rng, 60, DAY - 120, redelivered.num_rows)
        redelivered = set_column(redelivered, "_loaded_at", loaded_at_text(rng, re_loaded))

        # New contact versions changing fit, and a deletion (same contact_id).
        n_versions = min(len(alive), max(1, int(round(0.001 * n_existing))))
        n_deletions = min(len(alive) - n_versions, max(1, int(round(0.0001 * n_existing))))
        picked = np.sort(rng.choice(alive, size=n_versions + n_deletions, replace=False))
        is_deletion = np.zeros(len(picked), dtype=bool)
        is_deletion[rng.choice(len(picked), size=n_deletions, replace=False)] = True
        k = len(picked)
        versions = contacts.take(pa.array(picked))
        change = ~is_deletion
        versions = set_column(versions, "job_title",
                              if_else(change, pick_text(rng, JOB_TITLES, k, JOB_TITLE_P),
                                      versions["job_title"]))
        size = np.exp(rng.random(k) * np.log(50_000)).astype(np.int64).clip(1, 50_000)
        versions = set_column(versions, "employee_count",
                              if_else(change, pc.cast(pa.array(size), pa.string()),
                                versions["employee_count"]))
        versions = set_column(versions, "industry",
                              if_else(change & (rng.random(k) < 0.5),
                                      pick_text(rng, INDUSTRIES, k, INDUSTRY_P),
                                      versions["industry"]))
        v_updated = start + uniform_int(rng, 60, DAY - 3 * HOUR, k)
        v_loaded = _within(rng, v_updated, end, k, 600, 2 * HOUR)
        versions = set_column(versions, "updated_at", timestamp_text(rng, v_updated))
        versions = set_column(versions, "is_deleted", boolean_text(rng, is_deletion, 0.35))
        versions = set_column(versions, "_loaded_at", loaded_at_text(rng, v_loaded))

        # Late sales_rejected of accepted contacts (occurred before the day).
        live = set(contacts.column("contact_id").filter(pa.array(~deleted)).to_pylist())
        candidates = [i for i, cid in enumerate(accepted) if cid in live]
        n_reject = min(len(candidates), max(1, int(round(0.0002 * n_existing))))
        chosen = sorted(rng.choice(len(candidates), size=n_reject, replace=False).tolist()) \
            if n_reject else []
        acts = ActivityArrays()
        rej_contact = np.array([index_of[accepted[candidates[j]]] for j in chosen], dtype=np.int64)
        rej_owner = np.array([int(accepted_owner[candidates[j]].removeprefix("rep_") or 1)
                              for j in chosen], dtype=np.int64)
        rej_time = start - uniform_int(rng, HOUR, 3 * DAY, n_reject)
        acts.add(rej_contact, ACT_REJECTED, rej_owner, rej_time,
                 reason=rng.integers(0, len(REJECTION_REASONS), n_reject))
        activities, _ = activity_rows(rng, acts.arrays(), all_ids, keys.activities)
        act_loaded = start + uniform_int(rng, 60, DAY - 120, n_reject)
        activities = set_column(activities, "_loaded_at", loaded_at_text(rng, act_loaded))

        # Deals closing during the day (a new version of open deals).
        n_close = min(deals.num_rows, max(1, int(round(0.03 * deals.num_rows))))
        closing = np.sort(rng.choice(deals.num_rows, size=n_close, replace=False))
        closes = deals.take(pa.array(closing))
        t_close = np.maximum(start + uniform_int(rng, 60, DAY - 3 * HOUR, n_close),
                             deal_created[closing] + 60)
        won = rng.random(n_close) < 0.4
        c_loaded = _within(rng, t_close, end, n_close, 600, 2 * HOUR)
        amount = closes["amount"]
        numeric = pc.match_substring_regex(pc.utf8_trim_whitespace(amount), r"^-?[0-9.]+$")
        closes = set_column(closes, "amount",
                            pc.if_else(numeric, amount, constant_text("15000.00", n_close)))
        closes = set_column(closes, "closed_at", timestamp_text(rng, t_close))
        closes = set_column(closes, "updated_at", timestamp_text(rng, t_close))
        closes = set_column(closes, "stage_name", if_else(won, constant_text("Closed Won", n_close),
                                                          constant_text("Closed Lost", n_close)))
        closes = set_column(closes, "is_closed",
                            boolean_text(rng, np.ones(n_close, dtype=bool), 0.0))
        closes = set_column(closes, "is_won", boolean_text(rng, won, 0.3))
        closes = set_column(closes, "_loaded_at", loaded_at_text(rng, c_loaded))
    finally:
        source.close()

    tables = {
        "contacts": _sorted_by(pa.concat_tables([new_contacts, versions]),
                               np.concatenate([new_loaded, v_loaded])),
        "engagement_events": _sorted_by(pa.concat_tables([events, redelivered]),
                                        np.concatenate([ev_loaded, re_loaded])),
        "sales_activities": _sorted_by(activities, act_loaded),
        "opportunities": _sorted_by(closes, c_loaded),
    }
    keys_after = replace(keys, contacts=keys.contacts + n_new, events=keys.events + len(when),
                         activities=keys.activities + n_reject)
    with DatasetWriter(day_out, output_format) as writer:
        for name in TABLES:
            writer.write(name, tables[name])
    manifest = {
        "seed": seed,
        "day": day,
        "previous_as_of": format_utc(start),
        "as_of": format_utc(start + DAY),
        "contacts": int(previous["contacts"]) + n_new,
        "chunk_size": previous.get("chunk_size", previous["contacts"]),
        "sources": [str(s) for s in sources] + [str(day_out)],
        "raw_rows": {name: int(tables[name].num_rows) for name in TABLES},
        "rows": {
            "new_contacts": n_new,
            "contact_versions": int(n_versions),
            "deleted_contacts": int(n_deletions),
            "events_of_the_day": int(m_day + len(new_ev_contact)),
            "trial_signups": int(n_signups),
            "product_key_actions": int(n_key_actions),
            "late_events": int(m_late),
            "redelivered_events": int(redelivered.num_rows),
            "late_sales_rejected": int(n_reject),
            "closed_opportunities": int(n_close),
        },
        "next_keys": keys_after.as_dict(),
    }
    (day_out / "manifest.json").write_text(json.dumps(manifest, sort_keys=True, indent=2) + "\n",
                                           encoding="utf-8")
    return manifest
