"""Deals of the SQL contacts: the raw ``opportunities`` table with its versions and dirty
rows."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lead_funnel.contract import APPLICABLE_REASONS
from lead_funnel.generation.counts import KeyCounters, TableCounts
from lead_funnel.generation.dirty import Dirtied, ghost_ids
from lead_funnel.generation.text import (
    BAD_TIMESTAMPS,
    DAY,
    HOUR,
    OPEN_STAGES,
    BoolArray,
    IntArray,
    amount_text,
    boolean_text,
    constant_text,
    contract_table,
    dirty_row_count,
    exponential_int,
    id_text,
    if_else,
    loaded_at_text,
    pick_text,
    set_column,
    split_counts,
    timestamp_text,
    uniform_int,
)


def opportunities_stage(rng: np.random.Generator, sql_contact: IntArray, sql_time: IntArray,
                        sql_warm: BoolArray, contact_ids: pa.Array, as_of: int,
                        dirty_rate: float, keys: KeyCounters) -> Dirtied:
    """Deals of ~85% of the SQL contacts (95% of the warm ones, product-qualified trial users):
    a first (open) version each, a second for the closed ones and half of the open ones that
    moved on, a few closed after ``as_of``; dirty rows. Warm deals are won more often (45%
    against 25%)."""
    cand = rng.random(len(sql_contact)) < np.where(sql_warm, 0.95, 0.85)
    contact, warm = sql_contact[cand], sql_warm[cand]
    t_open = sql_time[cand] + HOUR + exponential_int(rng, 5 * DAY, len(contact))
    ok = t_open <= as_of
    contact, t_open, warm = contact[ok], t_open[ok], warm[ok]
    k = len(contact)
    u = rng.random(k)
    p_won = np.where(warm, 0.45, 0.25)
    p_lost = np.where(warm, 0.25, 0.35)
    outcome = np.where(u < p_won, 0, np.where(u < p_won + p_lost, 1, 2))  # 0 won, 1 lost, 2 open
    t_close = t_open + DAY + exponential_int(rng, 30 * DAY, k)
    late = (outcome < 2) & (t_close > as_of)
    stays_closed = late & (rng.random(k) < 0.1)  # a few close after as_of: open at as_of
    outcome = np.where(late & ~stays_closed, 2, outcome)
    closed = outcome < 2
    cents = (np.round(rng.lognormal(np.log(15_000), 0.8, k)).astype(np.int64) * 100
             + np.where(rng.random(k) < 0.1, 50, 0))
    cents = np.maximum(cents, 100)
    tbd = (~closed) & (rng.random(k) < 0.03)

    first = keys.opportunities
    ids = id_text("O-", np.arange(first + 1, first + k + 1, dtype=np.int64), 7)
    contact_text = pc.take(contact_ids, pa.array(contact))
    amount = if_else(tbd, pick_text(rng, ["tbd", "TBD"], k), amount_text(cents))
    upd1 = t_open + uniform_int(rng, 0, np.minimum(HOUR, as_of - t_open), k)
    load1 = upd1 + uniform_int(rng, 600, 6 * HOUR, k)
    created_text = timestamp_text(rng, t_open)
    v1 = contract_table({
        "opportunity_id": ids, "contact_id": contact_text, "created_at": created_text,
        "closed_at": constant_text("", k), "updated_at": timestamp_text(rng, upd1),
        "_loaded_at": loaded_at_text(rng, load1),
        "stage_name": pick_text(rng, OPEN_STAGES[:3], k), "amount": amount,
        "is_closed": boolean_text(rng, np.zeros(k, dtype=bool), 0.2),
        "is_won": boolean_text(rng, np.zeros(k, dtype=bool), 0.3),
    }, "opportunities")

    # Second versions: every closed deal, and half of the open ones that moved on.
    moved = (~closed) & (rng.random(k) < 0.5) & (as_of - upd1 > 2 * HOUR)
    has_v2 = closed | moved
    v2_idx = np.flatnonzero(has_v2)
    j = len(v2_idx)
    upd2 = np.where(closed, t_close,
                    upd1 + HOUR + uniform_int(rng, 0, as_of - upd1 - HOUR, k))[v2_idx]
    load2 = np.maximum(upd2, load1[v2_idx] + 60) + uniform_int(rng, 600, 6 * HOUR, j)
    won = (outcome == 0)[v2_idx]
    c2 = closed[v2_idx]
    v2 = v1.take(pa.array(v2_idx))
    v2 = set_column(v2, "closed_at",
                    if_else(c2, timestamp_text(rng, t_close[v2_idx]), constant_text("", j)))
    v2 = set_column(v2, "updated_at", timestamp_text(rng, upd2))
    v2 = set_column(v2, "_loaded_at", loaded_at_text(rng, load2))
    v2 = set_column(v2, "stage_name", if_else(c2, if_else(won, constant_text("Closed Won", j),
                                                          constant_text("Closed Lost", j)),
                                              pick_text(rng, OPEN_STAGES[2:], j)))
    v2 = set_column(v2, "is_closed", boolean_text(rng, c2, 0.2))
    v2 = set_column(v2, "is_won", boolean_text(rng, won, 0.3))
    good = pa.concat_tables([v1, v2])
    counts = TableCounts(staged=k, folded=j)

    # Dirty rows, built from an open, numeric-amount state of real opportunities.
    reasons = APPLICABLE_REASONS["opportunities"]
    n_bad = dirty_row_count(good.num_rows, dirty_rate) if k else 0
    parts = [good]
    serial, ghosts = keys.bad_opportunities, keys.ghosts
    for reason, nb in zip(reasons, split_counts(n_bad, len(reasons))):
        counts.quarantine[reason] = nb
        if nb == 0:
            continue
        tmpl = rng.choice(k, size=nb, replace=nb > k)
        rows = v1.take(pa.array(tmpl))
        fresh = id_text("O-BAD-", np.arange(serial + 1, serial + nb + 1, dtype=np.int64), 6)
        serial += nb
        rows = set_column(rows, "opportunity_id",
                          constant_text("", nb) if reason == "missing_key" else fresh)
        rows = set_column(rows, "amount", amount_text(cents[tmpl]))
        closed_variant = rng.random(nb) < 0.5
        if reason in ("missing_timestamp", "unparseable_timestamp"):
            broken = (constant_text("", nb) if reason == "missing_timestamp"
                      else pick_text(rng, BAD_TIMESTAMPS, nb))
            rows = set_column(rows, "created_at",
                              if_else(closed_variant, rows["created_at"], broken))
            rows = set_column(rows, "closed_at",
                              if_else(closed_variant, broken, constant_text("", nb)))
            rows = set_column(rows, "is_closed", boolean_text(rng, closed_variant, 0.0))
            rows = set_column(rows, "stage_name",
                              if_else(closed_variant, constant_text("Closed Lost", nb),
                                      rows["stage_name"]))
        elif reason == "after_as_of":
            future = as_of + uniform_int(rng, HOUR, 60 * DAY, nb)
            rows = set_column(rows, "created_at", timestamp_text(rng, future))
            rows = set_column(rows, "updated_at", timestamp_text(rng, future))
            rows = set_column(rows, "_loaded_at",
                              loaded_at_text(rng, future + uniform_int(rng, 600, 6 * HOUR, nb)))
        elif reason == "orphan_contact_id":
            rows = set_column(rows, "contact_id", ghost_ids(ghosts, nb))
            ghosts += nb
        elif reason == "won_not_closed":
            rows = set_column(rows, "is_won", boolean_text(rng, np.ones(nb, dtype=bool), 0.0))
            rows = set_column(rows, "is_closed", boolean_text(rng, np.zeros(nb, dtype=bool), 0.0))
        elif reason == "negative_amount":
            rows = set_column(rows, "amount", amount_text(-100 * rng.integers(1, 200, nb)))
        parts.append(rows)
    return Dirtied(pa.concat_tables(parts), counts, serial - keys.bad_opportunities,
                   ghosts - keys.ghosts)
