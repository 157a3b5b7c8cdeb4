"""``lead-funnel publish``: give BI tools a copy of the marts that never blocks the nightly build.

DuckDB lets one process write a file, or any number read it, never both: a BI tool (Metabase,
Superset, a notebook) that holds the build's file open makes tonight's ``dbt build`` fail with
``Could not set lock on file``. So readers never open the build's (working) file. After a build,
``publish`` copies the marts (schemas ``analytics`` and ``analytics_data_quality``) out of it into
a new DuckDB file beside the published one, closes it (a checkpoint: the file is complete, no
write-ahead log) and swaps it in with ``os.replace``, an atomic rename on POSIX: a reader that
has the old published file open keeps reading that file's (unlinked) inode, consistent, until it
reconnects, and then sees the new marts. The writer never takes a lock on the published path,
so nothing a reader holds can fail the build or the publish.

With ``parquet_dir``, every mart is also written as ``<dir>/<schema>/<table>.parquet`` (each file
written beside its final name and renamed into place), for tools that read Parquet.

The published file holds a table ``lead_funnel_meta.publication`` (published_at, as_of, source)
so a dashboard can say which build it shows.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from lead_funnel.marts.access import DATA_QUALITY_SCHEMA, MART_SCHEMA, connect_marts, relation

if TYPE_CHECKING:
    import duckdb

PUBLISHED_SCHEMAS = (MART_SCHEMA, DATA_QUALITY_SCHEMA)
PUBLICATION_TABLE = "lead_funnel_meta.publication"
# What must exist before anything is published: a build that stopped before the marts leaves
# the previous publication in place.
REQUIRED = ("lead_stages", "lead_handoffs", "funnel_conversion", "dq_run_context")


class PublishError(RuntimeError):
    """The working database cannot be read or holds no marts."""


@dataclass
class PublishResult:
    source: Path
    published: Path
    tables: dict[str, int] = field(default_factory=dict)  # schema.table -> rows
    parquet_files: list[Path] = field(default_factory=list)
    as_of: datetime | None = None

    def render(self) -> str:
        rows = sum(self.tables.values())
        lines = [f"published {len(self.tables)} tables ({rows:,} rows) of {self.source} "
                 f"to {self.published} (as_of {self.as_of:%Y-%m-%d %H:%M} UTC)"
                 if self.as_of else
                 f"published {len(self.tables)} tables ({rows:,} rows) of {self.source} "
                 f"to {self.published}"]
        if self.parquet_files:
            lines.append(f"and {len(self.parquet_files)} Parquet files under "
                         f"{self.parquet_files[0].parent.parent}")
        return "\n".join(lines)


def default_published(database: str | Path) -> Path:
    """``lead_funnel.duckdb`` -> ``lead_funnel_published.duckdb`` beside it (env
    LEAD_FUNNEL_PUBLISHED_DUCKDB overrides)."""
    given = os.environ.get("LEAD_FUNNEL_PUBLISHED_DUCKDB")
    if given:
        return Path(given)
    path = Path(database)
    return path.with_name(f"{path.stem}_published{path.suffix or '.duckdb'}")


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _replace(tmp: Path, final: Path) -> None:
    with open(tmp, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, final)
    _fsync_dir(final.parent)


def publish(database: str | Path, published: str | Path | None = None,
            parquet_dir: str | Path | None = None) -> PublishResult:
    """Copy the marts of the working file `database` to `published` (atomically replaced) and,
    when given, to Parquet files under `parquet_dir`."""
    import duckdb

    source = Path(database).resolve()
    target = Path(published).resolve() if published else default_published(source).resolve()
    if target == source:
        raise PublishError(f"the published file must not be the working file {source}")
    check = connect_marts(source, [relation(name) for name in REQUIRED], PublishError)
    check.close()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    result = PublishResult(source=source, published=target)
    con = duckdb.connect(str(tmp))
    try:
        con.execute(f"attach '{source}' as work (read_only)")
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_catalog = 'work' and list_contains(?, table_schema) "
            "order by 1, 2", [list(PUBLISHED_SCHEMAS)]).fetchall()
        for schema, table in tables:
            con.execute(f'create schema if not exists "{schema}"')
            # Views are published as tables too: the copy must not refer to the working file.
            con.execute(f'create table "{schema}"."{table}" as '
                        f'select * from work."{schema}"."{table}"')
            count = con.execute(f'select count(*) from "{schema}"."{table}"').fetchone()
            result.tables[f"{schema}.{table}"] = int(count[0]) if count else 0
        as_of = con.execute(
            f"select max(as_of) from {relation('dq_run_context')}").fetchone()
        result.as_of = as_of[0] if as_of else None
        schema_name = PUBLICATION_TABLE.split(".")[0]
        con.execute(f"create schema {schema_name}")
        con.execute(f"create table {PUBLICATION_TABLE} (published_at timestamp, "
                    "as_of timestamp, source varchar)")
        con.execute(f"insert into {PUBLICATION_TABLE} values (?, ?, ?)",
                    [datetime.now(timezone.utc).replace(tzinfo=None), result.as_of,
                     str(source)])
        if parquet_dir is not None:
            result.parquet_files = _export_parquet(con, tables, Path(parquet_dir).resolve())
        con.execute("detach work")
        con.execute("checkpoint")
    except BaseException:
        con.close()
        tmp.unlink(missing_ok=True)
        raise
    con.close()
    _replace(tmp, target)
    return result


def _export_parquet(con: duckdb.DuckDBPyConnection, tables: list[tuple[str, str]], root: Path) -> list[Path]:
    written: list[Path] = []
    for schema, table in tables:
        folder = root / schema
        folder.mkdir(parents=True, exist_ok=True)
        final = folder / f"{table}.parquet"
        tmp = folder / f".{table}.parquet.{os.getpid()}.tmp"
        con.execute(
            f"copy \"{schema}\".\"{table}\" to '{tmp}' (format parquet)")
        _replace(tmp, final)
        written.append(final)
    return written
