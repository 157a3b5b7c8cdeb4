"""Load the raw CSVs into a warehouse, one all-text table per source (docs/funnel_rules.md §2).

Each engine (DuckDB, PostgreSQL, a local Spark session, a Spark cluster behind a Thrift server)
is a small class implementing the :class:`Loader`
protocol. A load replaces the four tables, or with ``append`` adds the rows to them as the EL
tool does. Nothing is touched until every file has been checked (:func:`source_files`: present,
readable, the contract's columns in its header; see :mod:`lead_funnel.csv_files` for encodings
and separators) and no non-empty table would be replaced by an empty extract.
"""

from __future__ import annotations

import csv
import os
import re
import tempfile
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Iterator, Protocol

from lead_funnel.contract import TABLE_COLUMNS, TABLES
from lead_funnel.csv_files import CsvFile, CsvFileError, canonical_copy, inspect_csv

DEFAULT_DATABASE = "lead_funnel.duckdb"
DEFAULT_SCHEMA = "raw"
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class LoaderError(RuntimeError):
    """A load that cannot proceed (missing file, bad identifier...)."""


def default_database() -> str:
    return os.environ.get("LEAD_FUNNEL_DUCKDB", DEFAULT_DATABASE)


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


def _identifier(name: str) -> str:
    if not _IDENTIFIER.match(name):
        raise LoaderError(f"not a plain SQL identifier: {name!r}")
    return name


def _csv_header(csv_path: Path) -> list[str]:
    """The column names of a canonical CSV (comma-separated UTF-8, trimmed header)."""
    with csv_path.open(newline="", encoding="utf-8") as handle:
        return [_identifier(column) for column in next(csv.reader(handle))]


@contextmanager
def _committed(connection: Any) -> Iterator[None]:
    """Commit the block's work on a DB-API style connection (DuckDB, psycopg2), or roll all of
    it back when the block raises."""
    try:
        yield
    except BaseException:
        connection.rollback()
        raise
    connection.commit()


class Loader(Protocol):
    """Replaces (or with ``append`` appends to) ``<schema>.<table>`` with a canonical CSV's
    rows, every column as text; returns the table's row count afterwards. A transactional
    loader loads all tables in one transaction (nothing changes when one fails); for the others
    every file is parsed in full before the first table is touched."""

    transactional: ClassVar[bool]

    def transaction(self) -> AbstractContextManager[None]: ...

    def load_table(self, schema: str, table: str, csv_path: Path, append: bool = False) -> int: ...

    def row_count(self, schema: str, table: str) -> int | None:
        """Rows of the table, None when it does not exist."""
        ...

    def close(self) -> None: ...


class DuckDBLoader:
    transactional: ClassVar[bool] = True

    def __init__(self, database: str | Path) -> None:
        import duckdb

        self.database = str(database)
        self.connection = duckdb.connect(self.database)

    def transaction(self) -> AbstractContextManager[None]:
        self.connection.begin()
        return _committed(self.connection)

    def row_count(self, schema: str, table: str) -> int | None:
        schema, table = _identifier(schema), _identifier(table)
        found = self.connection.execute(
            "select count(*) from information_schema.tables where table_schema = ? "
            "and table_name = ?", [schema, table]).fetchone()
        if not found or not found[0]:
            return None
        row = self.connection.execute(f'select count(*) from "{schema}"."{table}"').fetchone()
        return int(row[0]) if row else 0

    def load_table(self, schema: str, table: str, csv_path: Path, append: bool = False) -> int:
        schema, table = _identifier(schema), _identifier(table)
        con = self.connection
        con.execute(f'create schema if not exists "{schema}"')
        rows = ("select * from read_csv(?, all_varchar = true, header = true, delim = ',', "
                "quote = '\"', escape = '\"', auto_detect = true)")
        if append and self.row_count(schema, table) is not None:
            present = {r[0] for r in con.execute(
                "select column_name from information_schema.columns where table_schema = ? "
                "and table_name = ?", [schema, table]).fetchall()}
            for column in _csv_header(csv_path):
                if column not in present:  # a column the EL tool added since
                    con.execute(f'alter table "{schema}"."{table}" add column "{column}" varchar')
            con.execute(f'insert into "{schema}"."{table}" by name {rows}', [str(csv_path)])
        else:
            con.execute(f'create or replace table "{schema}"."{table}" as {rows}', [str(csv_path)])
        return self.row_count(schema, table) or 0

    def close(self) -> None:
        self.connection.close()


class PostgresLoader:
    """Loads into PostgreSQL over the same environment variables as the dbt profile
    (LEAD_FUNNEL_PG_HOST, _PORT, _USER, _PASSWORD, _DATABASE); every column is text."""

    transactional: ClassVar[bool] = True

    def __init__(self) -> None:
        self.connection = postgres_connection()
        self.database = "postgres"

    def transaction(self) -> AbstractContextManager[None]:
        # psycopg2 opens a transaction at the first statement; DDL is transactional too.
        return _committed(self.connection)

    def row_count(self, schema: str, table: str) -> int | None:
        schema, table = _identifier(schema), _identifier(table)
        with self.connection, self.connection.cursor() as cursor:
            cursor.execute("select to_regclass(%s)", [f'"{schema}"."{table}"'])
            found = cursor.fetchone()
            if not found or found[0] is None:
                return None
            cursor.execute(f'select count(*) from "{schema}"."{table}"')
            row = cursor.fetchone()
        return int(row[0]) if row else 0

    def load_table(self, schema: str, table: str, csv_path: Path, append: bool = False) -> int:
        schema, table = _identifier(schema), _identifier(table)
        header = _csv_header(csv_path)
        columns = ", ".join(f'"{column}" text' for column in header)
        with self.connection.cursor() as cursor:  # committed by transaction()
            cursor.execute(f'create schema if not exists "{schema}"')
            if not append:
                cursor.execute(f'drop table if exists "{schema}"."{table}"')
            cursor.execute(f'create table if not exists "{schema}"."{table}" ({columns})')
            for column in header:  # appending: a column the EL tool added since
                cursor.execute(
                    f'alter table "{schema}"."{table}" add column if not exists "{column}" text')
            # The column list maps the CSV's columns by name onto the table's.
            names = ", ".join(f'"{column}"' for column in header)
            with csv_path.open(encoding="utf-8") as handle:
                cursor.copy_expert(f'copy "{schema}"."{table}" ({names}) from stdin '
                                   "with (format csv, header true)", handle)
            cursor.execute(f'select count(*) from "{schema}"."{table}"')
            row = cursor.fetchone()
        return int(row[0]) if row else 0

    def close(self) -> None:
        self.connection.close()


class SparkLoader:
    """Loads into the local Spark catalog the dbt profile's session uses (./spark-warehouse with
    the metastore in ./metastore_db, both relative to the project directory, the current
    directory); every column is a string. The metastore is single-process: run it before dbt."""

    transactional: ClassVar[bool] = False

    def __init__(self) -> None:
        self.session = spark_session()
        self.database = "spark"

    @contextmanager
    def transaction(self) -> Iterator[None]:
        yield  # no transactions: load_tables parses every file in full beforehand

    def row_count(self, schema: str, table: str) -> int | None:
        schema, table = _identifier(schema), _identifier(table)
        if not self.session.catalog.tableExists(f"{schema}.{table}"):
            return None
        return int(self.session.table(f"{schema}.{table}").count())

    def load_table(self, schema: str, table: str, csv_path: Path, append: bool = False) -> int:
        from pyspark.sql import functions

        schema, table = _identifier(schema), _identifier(table)
        self.session.sql(f"create database if not exists {schema}")
        frame = (self.session.read.option("header", True).option("inferSchema", False)
                 .option("escape", '"').option("multiLine", True).option("mode", "FAILFAST")
                 .csv(str(csv_path.resolve())))
        if append and self.session.catalog.tableExists(f"{schema}.{table}"):
            present = self.session.table(f"{schema}.{table}").columns
            added = [column for column in frame.columns if column not in present]
            if added:  # a column the EL tool added since
                self.session.sql(f"alter table {schema}.{table} add columns ("
                                 + ", ".join(f"`{column}` string" for column in added) + ")")
            for column in present:
                if column not in frame.columns:
                    frame = frame.withColumn(column, functions.lit(None).cast("string"))
            # saveAsTable in append mode matches the columns by name.
            frame.write.mode("append").saveAsTable(f"{schema}.{table}")
        else:
            frame.write.mode("overwrite").saveAsTable(f"{schema}.{table}")
        return int(self.session.table(f"{schema}.{table}").count())

    def close(self) -> None:
        self.session.stop()


class SparkClusterLoader:
    """Loads through a Spark Thrift server (the dbt profile's `spark_cluster` output, method
    thrift; LEAD_FUNNEL_SPARK_HOST, _PORT, _USER), as a team loads into a shared cluster: the
    server reads the CSV itself, so the file must sit on a path the cluster sees (here the
    cluster runs on this machine, scripts/spark_cluster.sh). Every column is a string."""

    transactional: ClassVar[bool] = False

    def __init__(self) -> None:
        self.connection = spark_cluster_connection()
        self.database = "spark_cluster"

    def _fetch(self, sql: str) -> list[tuple[Any, ...]]:
        cursor = self.connection.cursor()
        try:
            cursor.execute(sql)
            return list(cursor.fetchall()) if cursor.description else []
        finally:
            cursor.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        yield  # no transactions: load_tables parses every file in full beforehand

    def _columns(self, schema: str, table: str) -> list[str] | None:
        if not self._fetch(f"show tables in {schema} like '{table}'"):
            return None
        return [row[0] for row in self._fetch(f"describe {schema}.{table}")
                if row[0] and not row[0].startswith("#")]

    def row_count(self, schema: str, table: str) -> int | None:
        schema, table = _identifier(schema), _identifier(table)
        if not self._fetch(f"show databases like '{schema}'"):
            return None
        if self._columns(schema, table) is None:
            return None
        return int(self._fetch(f"select count(*) from {schema}.{table}")[0][0])

    def load_table(self, schema: str, table: str, csv_path: Path, append: bool = False) -> int:
        schema, table = _identifier(schema), _identifier(table)
        path = str(csv_path.resolve()).replace("\\", "\\\\").replace("'", "\\'")
        self._fetch(f"create database if not exists {schema}")
        self._fetch("create or replace temporary view lead_funnel_load using csv options "
                    f"(path '{path}', header 'true', inferSchema 'false', escape '\"', "
                    "multiLine 'true', mode 'FAILFAST')")
        present = self._columns(schema, table) if append else None
        if present is not None:
            header = _csv_header(csv_path)
            added = [column for column in header if column not in present]
            if added:  # a column the EL tool added since
                self._fetch(f"alter table {schema}.{table} add columns ("
                            + ", ".join(f"`{column}` string" for column in added) + ")")
            selected = ", ".join(f"`{column}`" if column in header
                                 else f"cast(null as string) as `{column}`"
                                 for column in present + added)
            self._fetch(f"insert into {schema}.{table} select {selected} from lead_funnel_load")
        else:
            self._fetch(f"drop table if exists {schema}.{table}")
            self._fetch(f"create table {schema}.{table} using parquet as "
                        "select * from lead_funnel_load")
        return self.row_count(schema, table) or 0

    def close(self) -> None:
        self.connection.close()


def spark_cluster_settings() -> dict[str, str]:
    """Where the Spark Thrift server is: the LEAD_FUNNEL_SPARK_* variables and the defaults of
    the dbt profile's `spark_cluster` output."""
    env = os.environ
    return {"host": env.get("LEAD_FUNNEL_SPARK_HOST", "127.0.0.1"),
            "port": env.get("LEAD_FUNNEL_SPARK_PORT", "10000"),
            "user": env.get("LEAD_FUNNEL_SPARK_USER", "lead_funnel")}


def spark_cluster_connection() -> Any:
    """A PyHive connection to the Spark Thrift server; LoaderError with a one-line reason when
    it cannot connect."""
    from pyhive import hive

    settings = spark_cluster_settings()
    try:
        return hive.connect(host=settings["host"], port=int(settings["port"]),
                            username=settings["user"])
    except Exception as exc:  # thrift raises TTransportException, socket errors pass through
        raise LoaderError(f"cannot connect to the Spark Thrift server at {settings['host']}:"
                          f"{settings['port']}: {str(exc).strip() or type(exc).__name__} "
                          "(start it with scripts/spark_cluster.sh up)") from exc


def postgres_settings() -> dict[str, str]:
    """Where PostgreSQL is (without the password): the LEAD_FUNNEL_PG_* variables and the
    defaults of the dbt profile's `postgres` output."""
    env = os.environ
    return {"host": env.get("LEAD_FUNNEL_PG_HOST", "localhost"),
            "port": env.get("LEAD_FUNNEL_PG_PORT", "5432"),
            "user": env.get("LEAD_FUNNEL_PG_USER", "lead_funnel"),
            "dbname": env.get("LEAD_FUNNEL_PG_DATABASE", "lead_funnel")}


def postgres_connection() -> Any:
    """A psycopg2 connection from the same LEAD_FUNNEL_PG_* variables (and defaults) as the dbt
    profile's `postgres` output; LoaderError with a one-line reason when it cannot connect."""
    import psycopg2

    settings = postgres_settings()
    try:
        return psycopg2.connect(host=settings["host"], port=int(settings["port"]),
                                user=settings["user"], dbname=settings["dbname"],
                                password=os.environ.get("LEAD_FUNNEL_PG_PASSWORD", ""))
    except psycopg2.Error as exc:
        raise LoaderError(f"cannot connect to PostgreSQL: {str(exc).strip()}") from exc


def recreate_postgres_database(name: str) -> None:
    """Drop and create database ``name`` on the server of the LEAD_FUNNEL_PG_* variables (the
    role needs CREATEDB: scripts/postgres_up.sh grants it on the local test server). Used by
    the engine-parity test and the engine benchmark, which build in databases of their own."""
    connection = postgres_connection()
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(f'drop database if exists "{_identifier(name)}" with (force)')
            cursor.execute(f'create database "{_identifier(name)}"')
    finally:
        connection.close()


def spark_session() -> Any:
    """The local Spark session, configured as the dbt profile's (`method: session`)."""
    from pyspark.sql import SparkSession

    return (SparkSession.builder.appName("lead_funnel").enableHiveSupport()
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.driver.bindAddress", "127.0.0.1").config("spark.driver.host", "127.0.0.1")
            .getOrCreate())


ENGINES = ("duckdb", "postgres", "spark", "spark_cluster")
_TRANSACTIONAL = {"duckdb": DuckDBLoader.transactional, "postgres": PostgresLoader.transactional,
                  "spark": SparkLoader.transactional,
                  "spark_cluster": SparkClusterLoader.transactional}


def make_loader(engine: str, database: str | Path) -> Loader:
    if engine == "duckdb":
        return DuckDBLoader(database)
    if engine == "postgres":
        return PostgresLoader()
    if engine == "spark":
        return SparkLoader()
    if engine == "spark_cluster":
        return SparkClusterLoader()
    raise LoaderError(f"unsupported engine {engine!r} (available: {', '.join(ENGINES)})")


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
    schema = _identifier(schema)
    if engine not in ENGINES:
        raise LoaderError(f"unsupported engine {engine!r} (available: {', '.join(ENGINES)})")
    files = source_files(data_dir, shape=shape)
    with tempfile.TemporaryDirectory(prefix="lead_funnel_load_") as scratch:
        paths: dict[str, Path] = {}
        for name, source in files.items():
            # Rewritten (and so parsed in full, every row's width checked) unless the file is
            # plain comma-separated UTF-8 and the engine rolls back a failed load by itself.
            try:
                paths[name] = (source.path if source.canonical and _TRANSACTIONAL[engine]
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
