"""Load the raw CSVs into a warehouse, one all-text table per source (docs/funnel_rules.md §2).

A load replaces the four tables, or with ``append`` adds the rows to them as the EL tool does,
on one of the engines of :mod:`lead_funnel.warehouse.engines`. Nothing is touched until every
file has been checked (:func:`source_files`: present, readable, the contract's columns in its
header; see :mod:`lead_funnel.warehouse.csv_files` for encodings and separators) and no
non-empty table would be replaced by an empty extract.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from lead_funnel.contract import TABLE_COLUMNS, TABLES
from lead_funnel.warehouse.connections import LoaderError, default_database, identifier
from lead_funnel.warehouse.csv_files import CsvFile, CsvFileError, canonical_copy, inspect_csv
from lead_funnel.warehouse.engines import ENGINES, is_transactional, make_loader

DEFAULT_SCHEMA = "raw"


def source_files(data_dir: Path | str, tables: tuple[str, ...] = TABLES,
                 shape: str = "raw") -> dict[str, CsvFile]:
    """The CSV of every table, checked up front so that nothing is loaded half-way: each file
    must exist, decode, and its header must hold every column of the docs/funnel_rules.md §2 contract (extra
    columns an EL tool adds are kept). A connector ``shape`` (hubspot, salesforce: the tables
    ``lead-funnel generate --shape`` writes, docs/funnel_rules.md §10) loads every CSV of the
    directory as the table of its name; the adapter's on-run-start check names missing columns."""
    directory = Path(data_dir)
    if shape != "raw":
        files = {path.stem: path for path in sorted(directory.glob("*.csv"))}
        if not files:
            raise LoaderError(f"no CSV file in {directory} (a {shape} folder holds one per table)")
    else:
        files = {name: directory / f"{name}.csv" for name in tables}
    missing = [str(path) for path in files.values() if not path.is_file()]
    if missing:
        raise LoaderError("missing raw CSV file(s): " + ", ".join(missing))
    try:
        return {name: inspect_csv(path, TABLE_COLUMNS[name] if shape == "raw" else ())
                for name, path in files.items()}
    except CsvFileError as exc:
        raise LoaderError(str(exc)) from exc




@dataclass
class TableLoad:
    """What a load did to one table."""

    table: str
    source: CsvFile
    rows_in_table: int  # after the load
    previous_rows: int | None = None  # before it, when it was counted (None: absent/uncounted)
    appended: bool = False

    @property
    def rows_loaded(self) -> int:
        return self.rows_in_table - (self.previous_rows or 0) if self.appended else self.rows_in_table

    @property
    def emptied(self) -> bool:
        """A non-empty table replaced by an empty extract (only with allow_empty)."""
        return not self.appended and bool(self.previous_rows) and self.rows_in_table == 0

    @property
    def loaded_empty(self) -> bool:
        """A header-only extract loaded where the table was absent or empty (a first load):
        allowed, but as suspicious as replacing a non-empty table by one."""
        return not self.appended and not self.previous_rows and self.rows_in_table == 0


def _refuse_empty_replacements(schema: str, files: dict[str, CsvFile],
                               previous: dict[str, int | None]) -> None:
    refused = [f"{schema}.{name} holds {previous[name]:,} rows and {files[name].path} has a "
               "header but no rows" for name in files
               if not files[name].has_rows and previous.get(name)]
    if refused:
        raise LoaderError(
            "refusing to replace a non-empty table with an empty extract (nothing was loaded): "
            + "; ".join(refused) + ". If the source really is empty now, pass --allow-empty "
            "(allow_empty=True); to add rows instead, --append.")


def _explain(exc: Exception, source: CsvFile, scratch: Path) -> str:
    """Why an engine could not read a file: a row of the wrong width when parsing it in full
    finds one (engines word that vaguely), else the first line of the engine's error."""
    try:
        canonical_copy(source, scratch / "explain.csv")
    except CsvFileError as found:
        return str(found).removeprefix(f"{source.path}: ")
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def load_tables(data_dir: Path | str, database: str | Path | None = None,
                schema: str = DEFAULT_SCHEMA, engine: str = "duckdb", append: bool = False,
                allow_empty: bool = False, shape: str = "raw") -> list[TableLoad]:
    """Load the four raw CSVs of ``data_dir`` into ``schema``: replace the tables (default) or
    append the rows to them. Every file is checked, and a file that is not comma-separated
    UTF-8 rewritten, before any table is touched; a non-empty table is never replaced by an
    empty extract unless ``allow_empty``. With a connector ``shape``, every CSV of ``data_dir``
    (see :func:`source_files`)."""
    schema = identifier(schema)
    if engine not in ENGINES:
        raise LoaderError(f"unsupported engine {engine!r} (available: {', '.join(ENGINES)})")
    files = source_files(data_dir, shape=shape)
    with tempfile.TemporaryDirectory(prefix="lead_funnel_load_") as scratch:
        paths: dict[str, Path] = {}
        for name, source in files.items():
            # Rewritten (and so parsed in full, every row's width checked) unless the file is
            # plain comma-separated UTF-8 and the engine rolls back a failed load by itself.
            try:
                paths[name] = (source.path if source.canonical and is_transactional(engine)
                               else canonical_copy(source, Path(scratch) / f"{name}.csv"))
            except CsvFileError as exc:
                raise LoaderError(str(exc)) from exc
        loader = make_loader(engine, database if database is not None else default_database())
        try:
            # Counted before anything is written: the empty-extract guard, the appended rows.
            previous = {name: loader.row_count(schema, name) for name, source in files.items()
                        if append or not source.has_rows}
            if not append and not allow_empty:
                _refuse_empty_replacements(schema, files, previous)
            loads: list[TableLoad] = []
            with loader.transaction():
                for name, path in paths.items():
                    try:
                        rows = loader.load_table(schema, name, path, append)
                    except Exception as exc:  # the engine's own error: named, not a traceback
                        outcome = ("nothing was loaded" if loader.transactional
                                   else "the tables before it were loaded")
                        raise LoaderError(f"loading {schema}.{name} from {files[name].path} "
                                          f"failed ({outcome}): "
                                          f"{_explain(exc, files[name], Path(scratch))}") from exc
                    loads.append(TableLoad(name, files[name], rows, previous.get(name), append))
            return loads
        finally:
            loader.close()


def load_directory(data_dir: Path | str, database: str | Path | None = None,
                   schema: str = DEFAULT_SCHEMA, engine: str = "duckdb", append: bool = False,
                   allow_empty: bool = False, shape: str = "raw") -> dict[str, int]:
    """Load the four raw CSVs of ``data_dir`` (see :func:`load_tables`); return the row count
    of every table after the load."""
    return {load.table: load.rows_in_table
            for load in load_tables(data_dir, database, schema, engine, append, allow_empty,
                                    shape)}
