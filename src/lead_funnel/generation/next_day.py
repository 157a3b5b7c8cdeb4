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

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lead_funnel.contract import KNOWN_EVENT_TYPES, REJECTION_REASONS, TABLE_COLUMNS, TABLES
from lead_funnel.generation.stages import (
    ActivityArrays,
    EventArrays,
    KeyCounters,
    activity_rows,
    contacts_stage,
    event_rows,
    replay_companies,
)
from lead_funnel.generation.text import (
    ACT_REJECTED,
    BACKGROUND_EVENT_P,
    DAY,
    EV_DEMO,
    HOUR,
    INDUSTRIES,
    INDUSTRY_P,
    JOB_TITLE_P,
    JOB_TITLES,
    TRUE_SPELLINGS,
    UNKNOWN_EVENT_TYPES,
    IntArray,
    _booleans,
    _const,
    _loaded_at,
    _pick,
    _set,
    _timestamps,
    _uniform_int,
    _where,
    format_utc,
    parse_as_of,
)
from lead_funnel.generation.trials import (
    EV_KEY_ACTION,
    EV_TRIAL,
    TRIAL_DAYS,
    trial_probability,
    usage_bursts,
)
from lead_funnel.generation.writer import DatasetWriter, text_schema

_TRUE = "(" + ", ".join(f"'{t}'" for t in sorted({t.lower() for t in TRUE_SPELLINGS})) + ")"
_STREAM_TAG = 0x6E657874  # "next"


class NextDayError(ValueError):
    """The existing set cannot be read (no manifest, no files)."""


def _manifest(directory: Path) -> dict[str, Any]:
    path = directory / "manifest.json"
    if not path.is_file():
        raise NextDayError(f"{directory} has no manifest.json: not a generated set")
    manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return manifest


def _relation(sources: list[Path], table: str) -> str:
    """SQL reading ``table`` of every directory of the set (Parquet when there, else CSV)."""
    parts = []
    for directory in sources:
        parquet, csv = directory / f"{table}.parquet", directory / f"{table}.csv"
        if parquet.is_file():
            parts.append(f"select * from read_parquet('{parquet}')")
        elif csv.is_file():
            parts.append(f"select * from read_csv('{csv}', all_varchar = true, header = true, "
                         "delim = ',', quote = '\"', escape = '\"')")
        else:
            raise NextDayError(f"{directory} has neither {table}.parquet nor {table}.csv")
    return "(" + " union all by name ".join(parts) + ")"


def _text(table: pa.Table, name: str) -> pa.Table:
    """The contract's columns of ``name`` as plain strings (DuckDB may hand back views)."""
    return table.select(list(TABLE_COLUMNS[name])).cast(text_schema(name))


def _ts(column: str) -> str:
    return f"epoch(try_cast({column} as timestamptz))"


class _ExistingSet:
    """What the day needs to know of the set, read with DuckDB (TimeZone pinned to UTC)."""

    def __init__(self, sources: list[Path], as_of: int) -> None:
        self.sources, self.as_of = sources, as_of
        self.con = duckdb.connect()
        self.con.execute("set TimeZone = 'UTC'")

    def close(self) -> None:
        self.con.close()

    def _latest_versions(self, table: str, key: str, prefix: str) -> str:
        """SQL: the latest version (docs/funnel_rules.md §3 order) of every good key of ``table`` created at
        or before as_of, with its created_at as epoch seconds (``_created``)."""
        columns = ", ".join(TABLE_COLUMNS[table])
        return f"""
            select {columns}, cast({_ts('created_at')} as bigint) as _created
            from {_relation(self.sources, table)}
            where regexp_full_match(trim({key}), '{prefix}[0-9]+')
              and {_ts('created_at')} <= {self.as_of}
            qualify row_number() over (
                partition by trim({key})
                order by try_cast(updated_at as timestamptz) desc nulls last,
                         try_cast(_loaded_at as timestamptz) desc nulls last,
                         hash(concat_ws('|', {columns}))) = 1"""

    def latest_contacts(self) -> tuple[pa.Table, IntArray, np.ndarray]:
        """The latest staged version of every contact (all columns), its created_at and
        whether it is deleted; ordered by contact_id."""
        table = self.con.sql(f"""
            select *, lower(trim(is_deleted)) in {_TRUE} as _deleted
            from ({self._latest_versions('contacts', 'contact_id', 'C-')})
            order by trim(contact_id)""").to_arrow_table()
        created = table.column("_created").to_numpy().astype(np.int64)
        deleted = table.column("_deleted").to_numpy(zero_copy_only=False).astype(bool)
        return _text(table, "contacts"), created, deleted

    def open_opportunities(self) -> tuple[pa.Table, IntArray]:
        """The latest version of every staged deal still open at as_of, and its created_at."""
        table = self.con.sql(f"""
            select * from ({self._latest_versions('opportunities', 'opportunity_id', 'O-')})
            where not coalesce(lower(trim(is_closed)) in {_TRUE}, false)
            order by trim(opportunity_id)""").to_arrow_table()
        return _text(table, "opportunities"), table.column("_created").to_numpy().astype(np.int64)

    def accepted_contacts(self) -> tuple[list[str], list[str]]:
        """Contacts with a sales_accepted activity, and the owner of their first one."""
        rows = self.con.execute(f"""
            select trim(contact_id), arg_min(trim(owner_id), {_ts('occurred_at')})
            from {_relation(self.sources, 'sales_activities')}
            where regexp_full_match(trim(activity_id), 'A-[0-9]+')
              and lower(trim(activity_type)) = 'sales_accepted'
              and {_ts('occurred_at')} <= {self.as_of}
            group by 1 order by 1""").fetchall()
        return [r[0] for r in rows], [r[1] for r in rows]

    def trials(self) -> tuple[list[str], list[int], list[int]]:
        """Contacts that started a trial: the latest trial_signup (epoch seconds) and the
        number of key actions since it, by contact_id."""
        events = _relation(self.sources, "engagement_events")
        rows = self.con.execute(f"""
            with product as (
                select distinct trim(event_id) as event_id, trim(contact_id) as contact_id,
                       lower(trim(event_type)) as event_type,
                       cast({_ts('occurred_at')} as bigint) as occurred
                from {events}
                where regexp_full_match(trim(event_id), 'E-[0-9]+')
                  and lower(trim(event_type)) in ('trial_signup', 'product_key_action')
                  and {_ts('occurred_at')} <= {self.as_of}),
            started as (
                select contact_id, max(occurred) as trial_at from product
                where event_type = 'trial_signup' group by 1)
            select s.contact_id, s.trial_at,
                   count(p.event_id) filter (where p.event_type = 'product_key_action'
                                               and p.occurred >= s.trial_at)
            from started as s left join product as p using (contact_id)
            group by 1, 2 order by 1""").fetchall()
        return [r[0] for r in rows], [int(r[1]) for r in rows], [int(r[2]) for r in rows]

    def events_by_id(self, event_ids: list[str]) -> pa.Table:
        """One delivery (the first by _loaded_at) of each of ``event_ids``."""
        if not event_ids:
            return text_schema("engagement_events").empty_table()
        columns = ", ".join(TABLE_COLUMNS["engagement_events"])
        table = self.con.sql(f"""
            select {columns} from {_relation(self.sources, 'engagement_events')}
            where event_id in (select unnest(?))
            qualify row_number() over (
                partition by event_id
                order by try_cast(_loaded_at as timestamptz), hash(concat_ws('|', {columns}))) = 1
            order by event_id""", params=[event_ids]).to_arrow_table()
        return _text(table, "engagement_events")

    def key_counters(self) -> KeyCounters:
        """Keys used by a set whose manifest does not record them (scanned)."""
        def top(table: str, column: str, prefix: str) -> int:
            row = self.con.execute(
                f"select max(try_cast(regexp_extract(trim({column}), '^{prefix}([0-9]+)$', 1) "
                f"as bigint)) from {_relation(self.sources, table)}").fetchone()
            return int(row[0]) if row and row[0] is not None else 0
        ghosts = max(top(t, "contact_id", "C-GHOST-") for t in TABLES[1:])
        return KeyCounters(
            contacts=top("contacts", "contact_id", "C-"),
            events=top("engagement_events", "event_id", "E-"),
            activities=top("sales_activities", "activity_id", "A-"),
            opportunities=top("opportunities", "opportunity_id", "O-"),
            bad_events=top("engagement_events", "event_id", "E-BAD-"),
            bad_activities=top("sales_activities", "activity_id", "A-BAD-"),
            bad_opportunities=top("opportunities", "opportunity_id", "O-BAD-"),
            ghosts=ghosts)


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
    return start + _uniform_int(rng, low, np.maximum(np.minimum(high, end - start), low + 1), n)


def _sorted_by(table: pa.Table, loaded: IntArray) -> pa.Table:
    return table.take(pa.array(np.argsort(loaded, kind="stable")))


def generate_next_day(existing: Path | str, day_out: Path | str,
                      output_format: str = "csv") -> dict[str, Any]:
    """Write the next day's rows of the set in ``existing`` to ``day_out``; return the day's
    manifest (also written to ``day_out/manifest.json``)."""
    existing, day_out = Path(existing).resolve(), Path(day_out).resolve()
    previous = _manifest(existing)
    sources = [Path(s) for s in previous.get("sources", [str(existing)])]
    if day_out in sources:
        raise NextDayError(f"--day-out {day_out} is part of the existing set")
    seed, day = int(previous["seed"]), int(previous.get("day", 0)) + 1
    start = parse_as_of(str(previous["as_of"]))
    end = start + DAY - 60  # every _loaded_at in (start, start + 1 day)
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, day, _STREAM_TAG])))

    source = _ExistingSet(sources, start)
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
        new_created = start + _uniform_int(rng, 60, DAY - 4 * HOUR, n_new)
        new_loaded = _within(rng, new_created + 600, end, n_new, 0, 3 * HOUR)
        new_contacts = fresh.table.slice(0, n_new)
        new_contacts = _set(new_contacts, "created_at", _timestamps(rng, new_created))
        new_contacts = _set(new_contacts, "updated_at", _timestamps(
            rng, new_created + _uniform_int(rng, 0, 600, n_new)))
        new_contacts = _set(new_contacts, "is_deleted",
                            _booleans(rng, np.zeros(n_new, dtype=bool), 0.35))
        new_contacts = _set(new_contacts, "_loaded_at", _loaded_at(rng, new_loaded))

        # Contact ids of the day's rows: the existing contacts, then the new ones.
        all_ids = pa.concat_arrays([contacts.column("contact_id").combine_chunks(),
                                    fresh.ids.cast(pa.string())])
        all_created = np.concatenate([created, new_created])

        # Events: of existing contacts during the day, late ones, and of the new contacts.
        m_day = max(1, int(round(0.025 * n_existing)))
        day_contact = rng.choice(alive, size=m_day) if len(alive) else np.zeros(0, np.int64)
        m_day = len(day_contact)
        day_time = start + _uniform_int(rng, 60, DAY - 7 * HOUR, m_day)
        m_late = max(1, int(round(0.1 * m_day))) if m_day else 0
        late_contact = rng.choice(alive, size=m_late) if m_late else np.zeros(0, np.int64)
        late_time = np.maximum(start - _uniform_int(rng, HOUR, 5 * DAY, m_late),
                               created[late_contact] + 60)
        per_new = rng.integers(0, 6, n_new).astype(np.int64)
        new_ev_contact = n_existing + np.repeat(np.arange(n_new, dtype=np.int64), per_new)
        new_ev_created = all_created[new_ev_contact]
        new_ev_time = new_ev_created + _uniform_int(rng, 60, end - 300 - new_ev_created,
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
        start_time = start + _uniform_int(rng, 60, DAY - 12 * HOUR, n_starts)
        new_trial = rng.random(n_new) < trial_probability(fresh.source)
        new_trial_contact = n_existing + np.flatnonzero(new_trial)
        new_trial_time = new_created[new_trial] + _uniform_int(rng, 0, 600, len(new_trial_contact))
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
        ev_loaded = np.where(is_late, start + _uniform_int(rng, 60, DAY - 120, len(when)),
                             _within(rng, when, end, len(when)))
        events = _set(events, "_loaded_at", _loaded_at(rng, ev_loaded))

        # Re-deliveries of existing events (same event_id, a new _loaded_at).
        n_redeliver = min(keys.events, max(1, int(round(0.01 * m_day))))
        numbers = np.sort(rng.choice(keys.events, size=n_redeliver, replace=False) + 1)
        redelivered = source.events_by_id([f"E-{int(k):09d}" for k in numbers])
        re_loaded = start + _uniform_int(rng, 60, DAY - 120, redelivered.num_rows)
        redelivered = _set(redelivered, "_loaded_at", _loaded_at(rng, re_loaded))

        # New contact versions changing fit, and a deletion (same contact_id).
        n_versions = min(len(alive), max(1, int(round(0.001 * n_existing))))
        n_deletions = min(len(alive) - n_versions, max(1, int(round(0.0001 * n_existing))))
        picked = np.sort(rng.choice(alive, size=n_versions + n_deletions, replace=False))
        is_deletion = np.zeros(len(picked), dtype=bool)
        is_deletion[rng.choice(len(picked), size=n_deletions, replace=False)] = True
        k = len(picked)
        versions = contacts.take(pa.array(picked))
        change = ~is_deletion
        versions = _set(versions, "job_title",
                        _where(change, _pick(rng, JOB_TITLES, k, JOB_TITLE_P), versions["job_title"]))
        size = np.exp(rng.random(k) * np.log(50_000)).astype(np.int64).clip(1, 50_000)
        versions = _set(versions, "employee_count",
                        _where(change, pc.cast(pa.array(size), pa.string()),
                               versions["employee_count"]))
        versions = _set(versions, "industry",
                        _where(change & (rng.random(k) < 0.5), _pick(rng, INDUSTRIES, k, INDUSTRY_P),
                               versions["industry"]))
        v_updated = start + _uniform_int(rng, 60, DAY - 3 * HOUR, k)
        v_loaded = _within(rng, v_updated, end, k, 600, 2 * HOUR)
        versions = _set(versions, "updated_at", _timestamps(rng, v_updated))
        versions = _set(versions, "is_deleted", _booleans(rng, is_deletion, 0.35))
        versions = _set(versions, "_loaded_at", _loaded_at(rng, v_loaded))

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
        rej_time = start - _uniform_int(rng, HOUR, 3 * DAY, n_reject)
        acts.add(rej_contact, ACT_REJECTED, rej_owner, rej_time,
                 reason=rng.integers(0, len(REJECTION_REASONS), n_reject))
        activities, _ = activity_rows(rng, acts.arrays(), all_ids, keys.activities)
        act_loaded = start + _uniform_int(rng, 60, DAY - 120, n_reject)
        activities = _set(activities, "_loaded_at", _loaded_at(rng, act_loaded))

        # Deals closing during the day (a new version of open deals).
        n_close = min(deals.num_rows, max(1, int(round(0.03 * deals.num_rows))))
        closing = np.sort(rng.choice(deals.num_rows, size=n_close, replace=False))
        closes = deals.take(pa.array(closing))
        t_close = np.maximum(start + _uniform_int(rng, 60, DAY - 3 * HOUR, n_close),
                             deal_created[closing] + 60)
        won = rng.random(n_close) < 0.4
        c_loaded = _within(rng, t_close, end, n_close, 600, 2 * HOUR)
        amount = closes["amount"]
        numeric = pc.match_substring_regex(pc.utf8_trim_whitespace(amount), r"^-?[0-9.]+$")
        closes = _set(closes, "amount", pc.if_else(numeric, amount, _const("15000.00", n_close)))
        closes = _set(closes, "closed_at", _timestamps(rng, t_close))
        closes = _set(closes, "updated_at", _timestamps(rng, t_close))
        closes = _set(closes, "stage_name", _where(won, _const("Closed Won", n_close),
                                                   _const("Closed Lost", n_close)))
        closes = _set(closes, "is_closed", _booleans(rng, np.ones(n_close, dtype=bool), 0.0))
        closes = _set(closes, "is_won", _booleans(rng, won, 0.3))
        closes = _set(closes, "_loaded_at", _loaded_at(rng, c_loaded))
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
