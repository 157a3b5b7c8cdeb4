"""Re-deliveries and dirty rows of the generated tables.

Dirty rows are built so that each fails exactly one docs/funnel_rules.md §3 check (the reason it
is expected to be quarantined with), and so that they never change what else gets staged: they
carry fresh keys (or a blank key), or are extra, malformed versions of rows that also have a
good version. The counts are derived from the construction and are exactly true of the rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from lead_funnel.contract import APPLICABLE_REASONS, TABLE_COLUMNS
from lead_funnel.generation.counts import TableCounts
from lead_funnel.generation.text import (
    BAD_TIMESTAMPS,
    DAY,
    HOUR,
    UNKNOWN_ACTIVITY_TYPES,
    IntArray,
    constant_text,
    dirty_row_count,
    id_text,
    loaded_at_text,
    pick_text,
    set_column,
    split_counts,
    timestamp_text,
    uniform_int,
)


@dataclass(frozen=True)
class Dirtied:
    """A table with its re-deliveries and dirty rows, and the keys its dirty rows used."""
    table: pa.Table
    counts: TableCounts
    bad_keys: int
    ghosts: int


def ghost_ids(first: int, k: int) -> pa.Array:
    """Contact ids that no staged contact has (orphans), numbered from ``first`` + 1."""
    return id_text("C-GHOST-", np.arange(first + 1, first + k + 1, dtype=np.int64), 6)


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
    dups = set_column(dups, "_loaded_at",
                      loaded_at_text(rng, loaded[dup_idx] + uniform_int(rng, HOUR, 3 * DAY, n_dup)))
    counts = TableCounts(staged=good.num_rows, folded=n_dup)

    reasons = APPLICABLE_REASONS[name]
    n_bad = dirty_row_count(good.num_rows + n_dup, dirty_rate) if len(eligible) else 0
    parts = [good, dups]
    serial, ghosts = first_bad, first_ghost
    for reason, k in zip(reasons, split_counts(n_bad, len(reasons))):
        counts.quarantine[reason] = k
        if k == 0:
            continue
        tmpl = rng.choice(eligible, size=k, replace=k > len(eligible))
        rows = good.take(pa.array(tmpl))
        fresh = id_text(bad_prefix, np.arange(serial + 1, serial + k + 1, dtype=np.int64), width)
        serial += k
        rows = set_column(rows, key, constant_text("", k) if reason == "missing_key" else fresh)
        if reason == "missing_timestamp":
            rows = set_column(rows, "occurred_at", constant_text("", k))
        elif reason == "unparseable_timestamp":
            rows = set_column(rows, "occurred_at", pick_text(rng, BAD_TIMESTAMPS, k))
        elif reason == "after_as_of":
            future = as_of + uniform_int(rng, HOUR, 60 * DAY, k)
            rows = set_column(rows, "occurred_at", timestamp_text(rng, future))
            rows = set_column(rows, "_loaded_at",
                              loaded_at_text(rng, future + uniform_int(rng, 300, 6 * HOUR, k)))
        elif reason == "orphan_contact_id":
            rows = set_column(rows, "contact_id", ghost_ids(ghosts, k))
            ghosts += k
        elif reason == "unknown_activity_type":
            rows = set_column(rows, "activity_type", pick_text(rng, UNKNOWN_ACTIVITY_TYPES, k))
        parts.append(rows)
    return Dirtied(pa.concat_tables(parts), counts, serial - first_bad, ghosts - first_ghost)
