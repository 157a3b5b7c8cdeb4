"""Load the raw CSVs into a warehouse, one all-text table per source (SPEC §2).

Each engine is a small class implementing the :class:`Loader` protocol; only DuckDB exists
today. A PostgreSQL or Spark loader would implement the same two methods.
"""

from __future__ import annotations

import csv
import os
import re
from pathlib import Path
from typing import Any, Protocol

from lead_funnel.contract import TABLE_COLUMNS, TABLES

DEFAULT_DATABASE = "lead_funnel.duckdb"
DEFAULT_SCHEMA = "raw"
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class LoaderError(RuntimeError):
    """A load that cannot proceed (missing file, bad identifier...)."""


def default_database() -> str:
    return os.environ.get("LEAD_FUNNEL_DUCKDB", DEFAULT_DATABASE)


def source_files(data_dir: Path | str, tables: tuple[str, ...] = TABLES) -> dict[str, Path]:
    """The CSV of every table, checked up front so that nothing is loaded half-way: each file
    must exist and its header must hold every column of the SPEC §2 contract (extra columns
    an EL tool adds are kept)."""
    directory = Path(data_dir)
    files = {name: directory / f"{name}.csv" for name in tables}
    missing = [str(path) for path in files.values() if not path.is_file()]
    if missing:
        raise LoaderError("missing raw CSV file(s): " + ", ".join(missing))
    for name, path in files.items():
        with path.open(newline="", encoding="utf-8") as handle:
            header = next(csv.reader(handle), [])
        absent = [column for column in TABLE_COLUMNS[name] if column not in {h.strip() for h in header}]
        if absent:
            raise LoaderError(f"{path}: header lacks column(s) of the raw contract: {', '.join(absent)}")
    return files


def _identifier(name: str) -> str:
    if not _IDENTIFIER.match(name):
        raise LoaderError(f"not a plain SQL identifier: {name!r}")
    return name


class Loader(Protocol):
    """Replaces ``<schema>.<table>`` with the CSV's rows, every column as text."""

    def load_table(self, schema: str, table: str, csv_path: Path) -> int: ...

    def close(self) -> None: ...


class DuckDBLoader:
    def __init__(self, database: str | Path) -> None:
        import duckdb

        self.database = str(database)
        self.connection = duckdb.connect(self.database)

    def load_table(self, schema: str, table: str, csv_path: Path) -> int:
        schema, table = _identifier(schema), _identifier(table)
        con = self.connection
        con.execute(f'create schema if not exists "{schema}"')
        con.execute(
            f'create or replace table "{schema}"."{table}" as '
            "select * from read_csv(?, all_varchar = true, header = true, delim = ',', "
            "quote = '\"', escape = '\"', auto_detect = true)",
            [str(csv_path)],
        )
        row = con.execute(f'select count(*) from "{schema}"."{table}"').fetchone()
        return int(row[0]) if row else 0

    def close(self) -> None:
        self.connection.close()


class PostgresLoader:
    """Loads into PostgreSQL over the same environment variables as the dbt profile
    (LEAD_FUNNEL_PG_HOST, _PORT, _USER, _PASSWORD, _DATABASE); every column is text."""

    def __init__(self) -> None:
        self.connection = postgres_connection()
        self.database = "postgres"

    def load_table(self, schema: str, table: str, csv_path: Path) -> int:
        schema, table = _identifier(schema), _identifier(table)
        with csv_path.open(newline="", encoding="utf-8") as handle:
            header = [_identifier(column.strip()) for column in next(csv.reader(handle))]
        columns = ", ".join(f'"{column}" text' for column in header)
        with self.connection, self.connection.cursor() as cursor:
            cursor.execute(f'create schema if not exists "{schema}"')
            cursor.execute(f'drop table if exists "{schema}"."{table}"')
            cursor.execute(f'create table "{schema}"."{table}" ({columns})')
            with csv_path.open(encoding="utf-8") as handle:
                cursor.copy_expert(
                    f'copy "{schema}"."{table}" from stdin with (format csv, header true)', handle)
            cursor.execute(f'select count(*) from "{schema}"."{table}"')
            row = cursor.fetchone()
        return int(row[0]) if row else 0

    def close(self) -> None:
        self.connection.close()


class SparkLoader:
    """Loads into the local Spark catalog the dbt profile's session uses (./spark-warehouse with
    the metastore in ./metastore_db, both relative to the project directory, the current
    directory); every column is a string. The metastore is single-process: run it before dbt."""

    def __init__(self) -> None:
        self.session = spark_session()
        self.database = "spark"

    def load_table(self, schema: str, table: str, csv_path: Path) -> int:
        schema, table = _identifier(schema), _identifier(table)
        self.session.sql(f"create database if not exists {schema}")
        frame = (self.session.read.option("header", True).option("inferSchema", False)
                 .option("escape", '"').option("multiLine", True).csv(str(csv_path.resolve())))
        frame.write.mode("overwrite").saveAsTable(f"{schema}.{table}")
        return int(self.session.table(f"{schema}.{table}").count())

    def close(self) -> None:
        self.session.stop()


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


def spark_session() -> Any:
    """The local Spark session, configured as the dbt profile's (`method: session`)."""
    from pyspark.sql import SparkSession

    return (SparkSession.builder.appName("lead_funnel").enableHiveSupport()
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.driver.bindAddress", "127.0.0.1").config("spark.driver.host", "127.0.0.1")
            .getOrCreate())


ENGINES = ("duckdb", "postgres", "spark")


def make_loader(engine: str, database: str | Path) -> Loader:
    if engine == "duckdb":
        return DuckDBLoader(database)
    if engine == "postgres":
        return PostgresLoader()
    if engine == "spark":
        return SparkLoader()
    raise LoaderError(f"unsupported engine {engine!r} (available: {', '.join(ENGINES)})")


def load_directory(data_dir: Path | str, database: str | Path | None = None,
                   schema: str = DEFAULT_SCHEMA, engine: str = "duckdb") -> dict[str, int]:
    """Load the four raw CSVs of ``data_dir``; return the row count of every table."""
    files = source_files(data_dir)
    loader = make_loader(engine, database if database is not None else default_database())
    try:
        return {name: loader.load_table(schema, name, path) for name, path in files.items()}
    finally:
        loader.close()
