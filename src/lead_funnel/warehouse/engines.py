"""The engines a load writes to, one small class each behind the :class:`Loader` protocol:
DuckDB, PostgreSQL, a local Spark session and a Spark cluster behind a Thrift server. Each one
replaces a table with a canonical CSV's rows (or appends them, as the EL tool does), every
column as text; :mod:`lead_funnel.warehouse.loading` decides what is loaded and when."""

from __future__ import annotations

import csv
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, ClassVar, Iterator, Protocol

from lead_funnel.warehouse.connections import (
    LoaderError,
    identifier,
    postgres_connection,
    spark_cluster_connection,
    spark_session,
)


def _csv_header(csv_path: Path) -> list[str]:
    """The column names of a canonical CSV (comma-separated UTF-8, trimmed header)."""
    with csv_path.open(newline="", encoding="utf-8") as handle:
        return [identifier(column) for column in next(csv.reader(handle))]


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
        schema, table = identifier(schema), identifier(table)
        found = self.connection.execute(
            "select count(*) from information_schema.tables where table_schema = ? "
            "and table_name = ?", [schema, table]).fetchone()
        if not found or not found[0]:
            return None
        row = self.connection.execute(f'select count(*) from "{schema}"."{table}"').fetchone()
        return int(row[0]) if row else 0

    def load_table(self, schema: str, table: str, csv_path: Path, append: bool = False) -> int:
        schema, table = identifier(schema), identifier(table)
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
        schema, table = identifier(schema), identifier(table)
        with self.connection, self.connection.cursor() as cursor:
            cursor.execute("select to_regclass(%s)", [f'"{schema}"."{table}"'])
            found = cursor.fetchone()
            if not found or found[0] is None:
                return None
            cursor.execute(f'select count(*) from "{schema}"."{table}"')
            row = cursor.fetchone()
        return int(row[0]) if row else 0

    def load_table(self, schema: str, table: str, csv_path: Path, append: bool = False) -> int:
        schema, table = identifier(schema), identifier(table)
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
        schema, table = identifier(schema), identifier(table)
        if not self.session.catalog.tableExists(f"{schema}.{table}"):
            return None
        return int(self.session.table(f"{schema}.{table}").count())

    def load_table(self, schema: str, table: str, csv_path: Path, append: bool = False) -> int:
        from pyspark.sql import functions

        schema, table = identifier(schema), identifier(table)
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
        schema, table = identifier(schema), identifier(table)
        if not self._fetch(f"show databases like '{schema}'"):
            return None
        if self._columns(schema, table) is None:
            return None
        return int(self._fetch(f"select count(*) from {schema}.{table}")[0][0])

    def load_table(self, schema: str, table: str, csv_path: Path, append: bool = False) -> int:
        schema, table = identifier(schema), identifier(table)
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


ENGINES = ("duckdb", "postgres", "spark", "spark_cluster")


def is_transactional(engine: str) -> bool:
    """Whether ``engine``'s loader rolls a failed load back by itself (known before any
    connection is opened: it decides whether the files are parsed in full beforehand)."""
    loaders: dict[str, type[Loader]] = {"duckdb": DuckDBLoader, "postgres": PostgresLoader,
                                        "spark": SparkLoader, "spark_cluster": SparkClusterLoader}
    return loaders[engine].transactional


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
