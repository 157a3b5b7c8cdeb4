"""What the next day needs to know of an existing generated set, read with DuckDB: its
manifest, the latest version of every contact, the open deals, the accepted contacts, the
trials and the keys used so far (:class:`ExistingSet`). The set is every directory listed in
the manifest's ``sources`` (a base set and the days added on top of it), read as one table per
source table (Parquet when there, else CSV)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from lead_funnel.contract import TABLES, TABLE_COLUMNS
from lead_funnel.generation.counts import KeyCounters
from lead_funnel.generation.text import TRUE_SPELLINGS, IntArray
from lead_funnel.generation.writer import text_schema

# SQL list of the true spellings the generator writes, lower-cased as the query compares them.
_TRUE = "(" + ", ".join(f"'{t}'" for t in sorted({t.lower() for t in TRUE_SPELLINGS})) + ")"


class NextDayError(ValueError):
    """The existing set cannot be read (no manifest, no files)."""


def read_manifest(directory: Path) -> dict[str, Any]:
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


class ExistingSet:
    """What the day needs to know of the set, read with DuckDB (TimeZone pinned to UTC)."""

    def __init__(self, sources: list[Path], as_of: int) -> None:
        self.sources, self.as_of = sources, as_of
        self.con = duckdb.connect()
        self.con.execute("set TimeZone = 'UTC'")

    def close(self) -> None:
        self.con.close()

    def _latest_versions(self, table: str, key: str, prefix: str) -> str:
        """SQL: the latest version (docs/funnel_rules.md §3 order) of every good key of ``table``
        created at or before as_of, with its created_at as epoch seconds (``_created``)."""
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
