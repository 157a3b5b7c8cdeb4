"""Connections to the warehouses the project loads into and builds on, configured as the dbt
profile's outputs are (the same environment variables and defaults), so that a load and the
build that follows it reach the same place."""

from __future__ import annotations

import os
import re
from typing import Any

DEFAULT_DATABASE = "lead_funnel.duckdb"
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class LoaderError(RuntimeError):
    """A load that cannot proceed (missing file, bad identifier...)."""


def default_database() -> str:
    return os.environ.get("LEAD_FUNNEL_DUCKDB", DEFAULT_DATABASE)


def identifier(name: str) -> str:
    """``name`` when it is a plain SQL identifier: schema and table names are spliced into
    SQL text (DDL takes no bind parameters), so anything else is refused."""
    if not _IDENTIFIER.match(name):
        raise LoaderError(f"not a plain SQL identifier: {name!r}")
    return name


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


def postgres_connection(dbname: str | None = None) -> Any:
    """A psycopg2 connection from the same LEAD_FUNNEL_PG_* variables (and defaults) as the dbt
    profile's `postgres` output, to database `dbname` when given; LoaderError with a one-line
    reason when it cannot connect."""
    import psycopg2

    settings = postgres_settings()
    try:
        return psycopg2.connect(host=settings["host"], port=int(settings["port"]),
                                user=settings["user"], dbname=dbname or settings["dbname"],
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
            cursor.execute(f'drop database if exists "{identifier(name)}" with (force)')
            cursor.execute(f'create database "{identifier(name)}"')
    finally:
        connection.close()


def spark_session() -> Any:
    """The local Spark session, configured as the dbt profile's (`method: session`)."""
    from pyspark.sql import SparkSession

    return (SparkSession.builder.appName("lead_funnel").enableHiveSupport()
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.driver.bindAddress", "127.0.0.1").config("spark.driver.host", "127.0.0.1")
            .getOrCreate())
