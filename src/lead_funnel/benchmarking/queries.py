"""The benchmark's own SQL, run on a built DuckDB file: the floor (one statement from the raw
text to every contact's first MQL moment) and the reference self-join of the running
engagement score (docs/funnel_rules.md §4 taken literally), timed against the project's
ordered window pass."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import duckdb

from lead_funnel.marts.access import INTERMEDIATE_SCHEMA, SCORING_RULES_SCHEMA


# The reference: docs/funnel_rules.md §4 literally, every moment against every earlier moment of its cycle
# (engagement points only: product-usage rules feed the separate product score).
REFERENCE_SQL = """
with moments as (
    select contact_id, cycle_number, occurred_at,
           sum(case when is_product_usage then 0 else points end) as points
    from {intermediate}.int_engagement_events_matched
    group by contact_id, cycle_number, occurred_at
)
select later.contact_id, later.cycle_number, later.occurred_at,
       sum(earlier.points * power(0.5, (epoch(later.occurred_at) - epoch(earlier.occurred_at)) / 86400.0 / {half_life}))
           as engagement_score
from moments as later
inner join moments as earlier
    on later.contact_id = earlier.contact_id
    and later.cycle_number = earlier.cycle_number
    and earlier.occurred_at <= later.occurred_at
group by later.contact_id, later.cycle_number, later.occurred_at
"""


def reference_sql(half_life_days: float) -> str:
    return REFERENCE_SQL.format(half_life=half_life_days, intermediate=INTERMEDIATE_SCHEMA)


# The floor: one statement from the raw text to every contact's first MQL moment.
FLOOR_SQL = """
with rules as (
    select lower(trim(event_type)) as event_type, lower(trim(url_contains)) as url_contains,
           cast(points as double) as points
    from {rules}
),
events as (
    select trim(contact_id) as contact_id, lower(trim(event_type)) as event_type,
           lower(page_url) as page_url,
           epoch(try_cast(occurred_at as timestamptz)) as t
    from {raw}.engagement_events
    where trim(event_id) <> '' and trim(contact_id) <> ''
),
moments as (
    select events.contact_id, events.t, sum(rules.points) as points
    from events
    inner join rules
        on events.event_type = rules.event_type
        and (coalesce(rules.url_contains, '') = '' or contains(events.page_url, rules.url_contains))
    where events.t is not null
    group by events.contact_id, events.t
),
anchored as (
    select contact_id, t, points, min(t) over (partition by contact_id) as anchor
    from moments
),
scored as (
    select contact_id, t,
           sum(points * pow(2.0, (t - anchor) / {half_life_seconds})) over (
               partition by contact_id order by t rows between unbounded preceding and current row)
           * pow(2.0, -(t - anchor) / {half_life_seconds}) as score
    from anchored
)
select contact_id, to_timestamp(min(t)) as mql_at
from scored
where score >= {threshold} - 1e-9
group by contact_id
"""


@dataclass(frozen=True)
class Timing:
    best_seconds: float
    rows: int


@dataclass(frozen=True)
class DenseComparison:
    contacts: int
    moments_per_contact: int
    window_pass: Timing
    self_join: Timing
    max_abs_difference: float


@dataclass(frozen=True)
class ScoreComparison:
    window_pass: Timing
    self_join: Timing
    max_abs_difference: float

    @property
    def ratio(self) -> float:
        return self.self_join.best_seconds / self.window_pass.best_seconds


def _best_of(run: Callable[[], int], repeat: int) -> Timing:
    best = float("inf")
    rows = 0
    for _ in range(max(repeat, 1)):
        started = time.perf_counter()
        rows = run()
        best = min(best, time.perf_counter() - started)
    return Timing(best, rows)


def floor_sql(threshold: float, half_life_days: float, raw_schema: str = "raw",
              rules: str = f"{SCORING_RULES_SCHEMA}.behavioral_scoring_rules") -> str:
    return FLOOR_SQL.format(raw=raw_schema, rules=rules, threshold=float(threshold),
                            half_life_seconds=float(half_life_days) * 86400.0)


def floor_query(database: Path, threshold: float, half_life_days: float,
                repeat: int = 3) -> Timing:
    """Best time of the floor statement (TimeZone pinned to UTC) and its number of MQLs."""
    sql = floor_sql(threshold, half_life_days)
    with duckdb.connect(str(database), read_only=True) as connection:
        connection.execute("set TimeZone = 'UTC'")
        connection.execute("set enable_progress_bar = false")
        return _best_of(lambda: len(connection.execute(sql).fetchall()), repeat)


def compare_running_scores(database: Path | None, compiled_sql: str, half_life_days: float,
                           repeat: int = 3) -> tuple[Timing, Timing, float]:
    """Time the window pass against the self-join reference in one DuckDB process."""
    with duckdb.connect(str(database), read_only=True) as connection:
        connection.execute("set enable_progress_bar = false")
        return _compare_on(connection, compiled_sql, half_life_days, repeat)


def _compare_on(connection: duckdb.DuckDBPyConnection, compiled_sql: str, half_life_days: float,
                repeat: int) -> tuple[Timing, Timing, float]:
    def window_pass() -> int:
        return len(connection.execute(compiled_sql).fetchall())

    def self_join() -> int:
        return len(connection.execute(reference_sql(half_life_days)).fetchall())

    window_timing = _best_of(window_pass, repeat)
    reference_timing = _best_of(self_join, repeat)
    difference = connection.execute(
        f"select coalesce(max(abs(project_pass.uncapped_engagement_score - reference.engagement_score)), 0) "
        f"from ({compiled_sql}) as project_pass inner join ({reference_sql(half_life_days)}) "
        "as reference using (contact_id, cycle_number, occurred_at)"
    ).fetchone()
    return window_timing, reference_timing, float(difference[0]) if difference else 0.0


def dense_comparison(compiled_sql: str, database_name: str, contacts: int = 100,
                     moments_per_contact: int = 1_000, repeat: int = 3) -> DenseComparison:
    """The same two computations on synthetic heavy users: many moments in one cycle (one an
    hour), where the self-join's pairs grow with the square of the moments per cycle."""
    with duckdb.connect() as connection:
        connection.execute(f"attach ':memory:' as {database_name}")
        connection.execute(f"use {database_name}")
        connection.execute(f"create schema {INTERMEDIATE_SCHEMA}")
        connection.execute(
            f"create table {INTERMEDIATE_SCHEMA}.int_engagement_events_matched as select "
            f"'c' || (i // {moments_per_contact}) as contact_id, 'e' || i as event_id, 'r' as rule_id, "
            "'page_view' as event_type, "
            f"timestamp '2024-01-01' + to_hours(i % {moments_per_contact}) as occurred_at, "
            "cast(1 as bigint) as cycle_number, 1.0 as rule_points, 1.0 + (i % 7) as points, "
            "false as is_hand_raiser, false as is_product_usage "
            f"from range({contacts * moments_per_contact}) as numbers(i)")
        window_timing, reference_timing, difference = _compare_on(connection, compiled_sql, 30.0, repeat)
    return DenseComparison(contacts, moments_per_contact, window_timing, reference_timing, difference)
