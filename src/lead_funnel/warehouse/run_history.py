"""The run history of ``lead-funnel validate``: the row counts of every raw table and mart at
each validation, kept beside the data so that the next run can tell a wiped extract from a
normal day (the volume check of :mod:`lead_funnel.marts.validation.suite`).

Volume check. A wiped or truncated extract builds cleanly (fewer rows break no dbt test), so the
row count of every raw table and mart is compared with the last run that passed validation: a
relation with more than ``max_shrink`` (0.5) fewer rows fails. The counts live beside the data,
in ``lead_funnel_meta.run_history`` of the same DuckDB file (validated_at, as_of, relation,
row_count, passed), one row per relation and run. The marts are read on a read-only connection
(as a BI tool or a running dbt may hold the file); only afterwards is the file opened
read-write, briefly, to append this run's counts, and when that is impossible (another process
holds the write lock) the report says so and the run is simply not recorded. Failed runs are
recorded too but never become the baseline, so a wiped extract keeps failing until the data is
back, or until a run with ``--max-shrink 1`` accepts the new volume.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from lead_funnel.contract import TABLES
from lead_funnel.marts.access import qualify, relation

# The volume check: every raw table and these marts (dq_run_context always has one row);
# a dq_* name here would be counted in DATA_QUALITY_SCHEMA.
VOLUME_MARTS = ("lead_stages", "lead_handoffs", "lead_stage_transitions", "funnel_conversion",
                "funnel_volume_daily")
META_SCHEMA = "lead_funnel_meta"
HISTORY_TABLE = "run_history"
HISTORY = f"{META_SCHEMA}.{HISTORY_TABLE}"


@dataclass
class Volumes:
    """Row counts now and at the baseline (the last run that passed validation)."""

    counts: dict[str, int]
    baseline: dict[str, int] = field(default_factory=dict)
    baseline_at: Any = None  # validated_at of the baseline run (None: no baseline)
    baseline_as_of: Any = None


def _relation_counts(con: Any, raw_schema: str) -> dict[str, int]:
    """Row counts of the volume check's relations that exist, by qualified name."""
    wanted = qualify({raw_schema: TABLES}) + qualify(relation(name) for name in VOLUME_MARTS)
    present = {(r[0], r[1]) for r in con.execute(
        "select table_schema, table_name from information_schema.tables "
        "where list_contains(?, table_schema)",
        [sorted({schema for schema, _ in wanted})]).fetchall()}
    counts: dict[str, int] = {}
    for schema, name in wanted:
        if (schema, name) in present:
            row = con.execute(f'select count(*) from "{schema}"."{name}"').fetchone()
            counts[f"{schema}.{name}"] = int(row[0]) if row else 0
    return counts


def _read_baseline(con: Any, volumes: Volumes) -> None:
    """Fill in the counts of the last run that passed (none before the first recorded run)."""
    found = con.execute("select count(*) from information_schema.tables where table_schema = ? "
                        "and table_name = ?", [META_SCHEMA, HISTORY_TABLE]).fetchone()
    if not found or not found[0]:
        return
    rows = con.execute(
        f"select relation, row_count, validated_at, as_of from {HISTORY} where validated_at = "
        f"(select max(validated_at) from {HISTORY} where passed)").fetchall()
    volumes.baseline = {relation: int(count) for relation, count, _, _ in rows}
    if rows:
        volumes.baseline_at, volumes.baseline_as_of = rows[0][2], rows[0][3]


def read_volumes(con: Any, raw_schema: str) -> Volumes:
    """The row counts now and at the baseline, on the connection the marts are read on."""
    volumes = Volumes(_relation_counts(con, raw_schema))
    _read_baseline(con, volumes)
    return volumes


def record_run(database: str, as_of: Any, counts: dict[str, int], passed: bool) -> str | None:
    """Append this run's row counts to lead_funnel_meta.run_history on a short read-write
    connection; the reason as text when the file cannot be written (the run is then simply not
    recorded), else None."""
    import duckdb

    validated_at = datetime.now(timezone.utc).replace(tzinfo=None)
    try:
        con = duckdb.connect(database)
    except duckdb.Error as exc:
        return f"run history not recorded: cannot open {database} for writing: " + \
            str(exc).strip().splitlines()[0]
    try:
        con.execute(f"create schema if not exists {META_SCHEMA}")
        con.execute(f"create table if not exists {HISTORY} (validated_at timestamp, "
                    "as_of timestamp, relation varchar, row_count bigint, passed boolean)")
        con.executemany(f"insert into {HISTORY} values (?, ?, ?, ?, ?)",
                        [(validated_at, as_of, relation, count, passed)
                         for relation, count in sorted(counts.items())])
    finally:
        con.close()
    return None
