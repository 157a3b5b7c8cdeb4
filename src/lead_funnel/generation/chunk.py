"""One chunk of contacts: every stage in the one order that consumes the random stream as the
generator always has (same seed -> same bytes), then the good rows and the extra ones
(re-deliveries, dirty rows) interleaved.

Each stage takes the random stream (``numpy.random.Generator``) and exactly what it needs, and
returns what it made (numeric arrays for the later stages, text tables for the files): the only
contract between stages is their arguments. Key numbering is explicit too: a chunk starts from
a :class:`~lead_funnel.generation.counts.KeyCounters` (how many keys of each kind earlier
chunks or days used) and returns the counters after it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pyarrow as pa

from lead_funnel.contract import TABLES
from lead_funnel.generation.contacts import Companies, contacts_stage
from lead_funnel.generation.counts import KeyCounters, TableCounts
from lead_funnel.generation.engagement import (
    base_events_stage,
    events_stage,
    product_usage_events,
    unknown_event_types,
)
from lead_funnel.generation.opportunities import opportunities_stage
from lead_funnel.generation.sales import activities_stage, sales_stage
from lead_funnel.generation.trials import trials_stage


def interleave(rng: np.random.Generator, table: pa.Table, n_good: int) -> pa.Table:
    """Move the rows after the first ``n_good`` (re-deliveries and dirty rows) to random places
    among the good rows, which keep their order: a mostly sequential take, much cheaper than a
    full shuffle on millions of rows."""
    n_extra = table.num_rows - n_good
    position = np.concatenate([np.arange(n_good, dtype=np.float64),
                               rng.random(n_extra) * max(n_good, 1)])
    return table.take(pa.array(np.argsort(position, kind="stable")))


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
