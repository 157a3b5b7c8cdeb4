"""Read-only access to the marts of a built DuckDB file, shared by `summary` and `validate`."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb

MART_SCHEMA = "analytics"


def connect_marts(database: str | Path, required: Iterable[str], error: type[Exception],
                  schema: str = MART_SCHEMA) -> duckdb.DuckDBPyConnection:
    """Open the file read-only and check the required marts exist; raise `error` with a one-line
    message (missing file, lock held by a writer, missing marts) otherwise."""
    import duckdb

    path = Path(database)
    if not path.is_file():
        raise error(f"database not found: {path}")
    try:
        connection = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        raise error(f"cannot open {path}: {exc}") from exc
    present = {row[0] for row in connection.execute(
        "select table_name from information_schema.tables where table_schema = ?", [schema]).fetchall()}
    missing = [name for name in required if name not in present]
    if missing:
        connection.close()
        raise error(f"mart(s) missing from schema {schema!r} in {path}: "
                    + ", ".join(f"{schema}.{name}" for name in missing)
                    + " (run `lead-funnel build` first)")
    return connection
