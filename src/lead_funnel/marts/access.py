"""Read-only access to the marts of a built DuckDB file, shared by every reader of the marts
(summary, report, publish, validation) and by the calibration."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb

# The schemas dbt builds in: the profile's schema `analytics`, suffixed by the `+schema` of each
# folder in dbt_project.yml (staging, intermediate, refresh, data_quality, scoring_rules). The one place
# Python names them. BI tools read MART_SCHEMA; the dq_* models, raw rows included, are for the
# people who fix the sources.
MART_SCHEMA = "analytics"
DATA_QUALITY_SCHEMA = f"{MART_SCHEMA}_data_quality"
STAGING_SCHEMA = f"{MART_SCHEMA}_staging"
INTERMEDIATE_SCHEMA = f"{MART_SCHEMA}_intermediate"
REFRESH_SCHEMA = f"{MART_SCHEMA}_refresh"
SCORING_RULES_SCHEMA = f"{MART_SCHEMA}_scoring_rules"
DATA_QUALITY_PREFIX = "dq_"  # every model of models/marts/data_quality/ and no other

Relations = Iterable[str] | Mapping[str, Iterable[str]]


def relation(name: str) -> str:
    """The qualified name of a mart or data-quality model: `analytics.lead_stages`,
    `analytics_data_quality.dq_run_context`."""
    schema = DATA_QUALITY_SCHEMA if name.startswith(DATA_QUALITY_PREFIX) else MART_SCHEMA
    return f"{schema}.{name}"


def qualify(required: Relations, schema: str = MART_SCHEMA) -> list[tuple[str, str]]:
    """(schema, name) pairs from a mapping schema -> names, or from names that are qualified
    (`schema.name`) or not (then in `schema`)."""
    if isinstance(required, Mapping):
        return [(owner, name) for owner, names in required.items() for name in names]
    pairs: list[tuple[str, str]] = []
    for name in required:
        owner, dot, table = name.rpartition(".")
        pairs.append((owner, table) if dot else (schema, name))
    return pairs


def connect_marts(database: str | Path, required: Relations, error: type[Exception],
                  schema: str = MART_SCHEMA) -> duckdb.DuckDBPyConnection:
    """Open the file read-only and check the required relations exist; raise `error` with a
    one-line message (missing file, lock held by a writer, missing relations) otherwise.

    `required` names relations as `schema.name`, as bare names in `schema`, or as a mapping
    schema -> names."""
    import duckdb

    path = Path(database)
    if not path.is_file():
        raise error(f"database not found: {path}")
    wanted = qualify(required, schema)
    try:
        connection = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        raise error(f"cannot open {path}: {exc}") from exc
    schemas = sorted({owner for owner, _ in wanted})
    present = {(row[0], row[1]) for row in connection.execute(
        "select table_schema, table_name from information_schema.tables "
        "where list_contains(?, table_schema)", [schemas]).fetchall()}
    missing = [f"{owner}.{name}" for owner, name in wanted if (owner, name) not in present]
    if missing:
        connection.close()
        raise error(f"relation(s) missing from {path}: " + ", ".join(missing)
                    + " (run `lead-funnel build` first)")
    return connection
