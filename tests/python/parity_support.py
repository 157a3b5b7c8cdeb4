"""Helpers of tests/python/test_engine_parity.py: the same raw rows built on DuckDB, PostgreSQL
and Spark (a full build, then the next day's rows appended and a plain incremental `dbt build`),
each relation read back with its column types, and the engines compared row by row on the
relation's key.

Every engine gets a workspace of its own (a directory under the test's tmp dir): its DuckDB file,
its PostgreSQL database (LEAD_FUNNEL_PG_DATABASE), its Spark catalog (./spark-warehouse and
./metastore_db of the processes' working directory), and its DBT_TARGET_PATH / DBT_LOG_PATH, so
these builds share no state with each other, with the fixture builds of `make test` or with anyone
else's dbt in the project directory. Every step is a subprocess (the loader CLI, dbt, and for
Spark the reader too): the Spark metastore is single-process, and a session in the pytest
process would pin the catalog of the pytest's working directory.

Run as a script (`python parity_support.py dump-spark OUT RELATION...`, cwd = a Spark workspace)
it reads relations of the local Spark catalog into a pickle: that is how the test reads Spark.
"""

from __future__ import annotations

import importlib
import json
import math
import os
import pickle
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Mapping, Sequence

PROJECT_DIR = Path(__file__).resolve().parents[2]
ENGINES: tuple[str, ...] = ("duckdb", "postgres", "spark")
REFERENCE_ENGINE = "duckdb"

# The compared relations and the key each is compared on (one row per key on every engine).
RELATION_KEYS: Mapping[str, tuple[str, ...]] = {
    "lead_stages": ("contact_id",),
    "lead_handoffs": ("handoff_id",),
    "lead_stage_transitions": ("transition_id",),
    "funnel_conversion": ("cohort_month", "lead_source"),
    "funnel_volume_daily": ("day", "stage", "lead_source"),
    "dq_quarantined_rows": ("quarantined_row_id",),
    "account_stages": ("account_domain",),
    "account_funnel_conversion": ("cohort_month",),
    "mql_attribution": ("handoff_id", "attribution_model", "campaign_id"),
    "campaign_funnel": ("campaign_id", "attribution_model", "mql_month"),
}
MART_SCHEMA = "analytics"
DATA_QUALITY_SCHEMA = "analytics_data_quality"

# Doubles agree within this relative tolerance; the absolute one only matters for values that
# should be 0 (a fully decayed score), where relative means nothing.
REL_TOL = 1e-9
ABS_TOL = 1e-12
SHOWN_ROWS = 5

# docs/funnel_rules.md §6 types ("ids and text as strings, timestamps as UTC timestamp (no time zone), scores and
# rates and hours as double, counts as bigint, flags as boolean", cohort months and days as
# date), and the name each engine reports for them. Anything else (integer, numeric, a
# timestamp with time zone, Spark's timestamp_ntz) is reported under its own name and fails.
CONTRACT_TYPES = ("string", "timestamp", "double", "bigint", "boolean", "date")
ENGINE_TYPE_NAMES: Mapping[str, Mapping[str, str]] = {
    "duckdb": {"VARCHAR": "string", "TIMESTAMP": "timestamp", "DOUBLE": "double",
               "BIGINT": "bigint", "BOOLEAN": "boolean", "DATE": "date"},
    "postgres": {"text": "string", "character varying": "string",
                 "timestamp without time zone": "timestamp", "double precision": "double",
                 "bigint": "bigint", "boolean": "boolean", "date": "date"},
    "spark": {"string": "string", "timestamp": "timestamp", "double": "double",
              "bigint": "bigint", "boolean": "boolean", "date": "date"},
}
# The contracts of the marts' YAML (models/marts/**.yml) name the same types this way.
CONTRACT_TYPE_NAMES: Mapping[str, str] = {
    "varchar": "string", "text": "string", "string": "string", "timestamp": "timestamp",
    "double precision": "double", "double": "double", "bigint": "bigint",
    "boolean": "boolean", "date": "date",
}


def spec_type(engine: str, reported: str) -> str:
    """The docs/funnel_rules.md §6 type an engine's column type stands for, or the reported name itself."""
    return ENGINE_TYPE_NAMES[engine].get(reported, reported)


def contract_types() -> dict[str, dict[str, str]]:
    """relation -> column -> contract type, from the contracts in models/marts/**/*.yml."""
    yaml: Any = importlib.import_module("yaml")  # PyYAML, a dbt dependency (no type stubs)
    found: dict[str, dict[str, str]] = {}
    for path in sorted((PROJECT_DIR / "models" / "marts").rglob("*.yml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for model in document.get("models", []):
            columns = {column["name"]: CONTRACT_TYPE_NAMES.get(
                str(column.get("data_type", "")).lower(), str(column.get("data_type")))
                for column in model.get("columns", [])}
            found[str(model["name"])] = columns
    return found


# --- workspaces and steps -------------------------------------------------------------------

@dataclass(frozen=True)
class Step:
    """One subprocess of an engine's chain (a load, a dbt build, a read)."""

    engine: str
    name: str
    command: str
    seconds: float
    returncode: int
    output: str  # the tail of stdout and stderr

    @property
    def failure(self) -> str | None:
        if self.returncode == 0:
            return None
        return (f"{self.engine} {self.name}: {self.command} exited {self.returncode}:\n"
                f"{self.output}")


@dataclass
class Workspace:
    """Where one engine's chain keeps its state (see the module docstring)."""

    engine: str
    root: Path
    postgres_database: str = ""
    steps: list[Step] = field(default_factory=list)

    @property
    def duckdb_file(self) -> Path:
        return self.root / "parity.duckdb"

    def env(self, run: str = "") -> dict[str, str]:
        env = dict(os.environ)
        env.update(DO_NOT_TRACK="1", LEAD_FUNNEL_TARGET=self.engine, TZ="UTC",
                   LEAD_FUNNEL_PROJECT_DIR=str(PROJECT_DIR), SPARK_LOCAL_IP="127.0.0.1",
                   LEAD_FUNNEL_DUCKDB=str(self.duckdb_file),
                   DBT_TARGET_PATH=str(self.root / f"target{run}"),
                   DBT_LOG_PATH=str(self.root / f"logs{run}"))
        if self.postgres_database:
            env["LEAD_FUNNEL_PG_DATABASE"] = self.postgres_database
        return env

    def run(self, name: str, argv: Sequence[str], env: Mapping[str, str] | None = None) -> Step:
        started = time.perf_counter()
        result = subprocess.run(list(argv), env=dict(env or self.env()), cwd=self.root,
                                capture_output=True, text=True, check=False)
        step = Step(self.engine, name, " ".join(str(part) for part in argv[1:]),
                    time.perf_counter() - started, result.returncode,
                    result.stdout[-6000:] + result.stderr[-3000:])
        self.steps.append(step)
        return step

    def load(self, data_dir: Path, *, append: bool) -> Step:
        argv = [str(Path(sys.executable).parent / "lead-funnel"), "load", "--engine", self.engine,
                "--data", str(data_dir)]
        if self.engine == "duckdb":
            argv += ["--database", str(self.duckdb_file)]
        if append:
            argv.append("--append")
        return self.run("load " + ("append" if append else "replace") + f" {data_dir.name}", argv)

    def build(self, name: str, as_of: str, *, full_refresh: bool = False,
              data_tests: bool = True) -> Step:
        """`dbt build` of the project at `as_of`: seeds, models and (unless `data_tests` is
        false) data tests. Unit tests are left out: they check given rows, not this data, and
        the fixture builds of `make test` run them on every engine (on Spark each takes
        10-20 s)."""
        from lead_funnel.dbt_runner import build_command

        extra = ["--exclude-resource-type", "unit_test", *([] if data_tests else ["test"])]
        argv = build_command("build", as_of=as_of, project=PROJECT_DIR,
                             extra_args=extra + (["--full-refresh"] if full_refresh else []))
        return self.run(f"dbt build {name}", argv, self.env(f"-{name}"))

    def run_results(self, name: str) -> dict[str, Any]:
        path = self.root / f"target-{name}" / "run_results.json"
        results: dict[str, Any] = json.loads(path.read_text()) if path.is_file() else {}
        return results

    def slowest_models(self, name: str, count: int = 5) -> list[tuple[str, float]]:
        results = self.run_results(name).get("results", [])
        timed = [(str(result["unique_id"]).split(".")[-1], float(result["execution_time"]))
                 for result in results if str(result["unique_id"]).startswith("model.")]
        return sorted(timed, key=lambda item: -item[1])[:count]

    def read(self, relations: Sequence[str]) -> dict[str, Table]:
        if self.engine == "duckdb":
            return {relation: read_duckdb(self.duckdb_file, relation) for relation in relations}
        if self.engine == "postgres":
            return read_postgres(self.postgres_database, relations)
        out = self.root / f"dump-{len(self.steps)}.pickle"
        step = self.run("read relations", [sys.executable, str(Path(__file__).resolve()),
                                           "dump-spark", str(out), *relations])
        if step.returncode != 0:
            raise AssertionError(step.failure)
        with out.open("rb") as handle:
            dumped = pickle.load(handle)
        return {relation: Table(*parts) for relation, parts in dumped.items()}


# --- reading relations ----------------------------------------------------------------------

@dataclass(frozen=True)
class Table:
    """A relation as read from one engine: (column, type the engine reports) and its rows."""

    schema: str
    columns: tuple[tuple[str, str], ...]
    rows: tuple[tuple[Any, ...], ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.columns)


def schema_of(relation: str) -> str:
    return DATA_QUALITY_SCHEMA if relation.startswith("dq_") else MART_SCHEMA


def read_duckdb(database: Path, relation: str) -> Table:
    import duckdb

    schema = schema_of(relation)
    with duckdb.connect(str(database), read_only=True) as connection:
        columns = connection.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = ? and table_name = ? order by ordinal_position",
            [schema, relation]).fetchall()
        rows = connection.execute(f'select * from "{schema}"."{relation}"').fetchall()
    return Table(schema, tuple((str(c), str(t)) for c, t in columns), tuple(rows))


def read_postgres(database: str, relations: Sequence[str]) -> dict[str, Table]:
    from lead_funnel.warehouse.connections import postgres_connection

    connection = postgres_connection(database)
    tables: dict[str, Table] = {}
    try:
        with connection.cursor() as cursor:
            for relation in relations:
                schema = schema_of(relation)
                cursor.execute(
                    "select column_name, data_type from information_schema.columns "
                    "where table_schema = %s and table_name = %s order by ordinal_position",
                    [schema, relation])
                columns = tuple((str(c), str(t)) for c, t in cursor.fetchall())
                cursor.execute(f'select * from "{schema}"."{relation}"')
                tables[relation] = Table(schema, columns, tuple(cursor.fetchall()))
    finally:
        connection.close()
    return tables


def dump_spark(out: Path, relations: Sequence[str]) -> None:
    """Read `relations` from the Spark catalog of the working directory into a pickle of
    {relation: Table}. Timestamps come back as naive datetimes in the process's zone: UTC (TZ)."""
    from lead_funnel.warehouse.connections import spark_session

    time.tzset()
    session = spark_session()
    try:
        # Plain tuples (schema, columns, rows): this runs as __main__, whose classes the test
        # process could not unpickle.
        tables: dict[str, tuple[str, tuple[tuple[str, str], ...], tuple[tuple[Any, ...], ...]]] = {}
        for relation in relations:
            schema = schema_of(relation)
            frame = session.table(f"{schema}.{relation}")
            tables[relation] = (schema, tuple((str(c), str(t)) for c, t in frame.dtypes),
                                tuple(tuple(row) for row in frame.collect()))
    finally:
        session.stop()
    with out.open("wb") as handle:
        pickle.dump(tables, handle)


# --- comparing ------------------------------------------------------------------------------

def same_value(left: Any, right: Any) -> bool:
    """Equal, doubles within REL_TOL (timestamps to the microsecond, dates, text, ints exact)."""
    if left is None or right is None:
        return left is None and right is None
    if isinstance(left, float) and isinstance(right, float):
        if math.isnan(left) or math.isnan(right):
            return math.isnan(left) and math.isnan(right)
        return math.isclose(left, right, rel_tol=REL_TOL, abs_tol=ABS_TOL)
    if type(left) is not type(right):
        return False  # 1 (bigint) vs 1.0 (double), a date vs a timestamp, '1' vs 1
    return bool(left == right)


def _shown(value: Any) -> str:
    return value.isoformat(sep=" ") if isinstance(value, datetime) else repr(value)


@dataclass(frozen=True)
class Comparison:
    relation: str
    engine: str
    rows: int  # rows of the engine's relation
    problems: tuple[str, ...]


def compare(relation: str, reference: Table, engine: str, other: Table,
            expected_types: Mapping[str, str], reference_engine: str = REFERENCE_ENGINE
            ) -> Comparison:
    """Compare `other` (read from `engine`) with `reference` on the relation's key: the same
    columns in the same order, each of its contract type on both engines, the same keys, and on
    every key the same values (see same_value). Problems name the first differing rows."""
    problems: list[str] = []
    for label, table, name in ((reference_engine, reference, reference_engine),
                               (engine, other, engine)):
        wrong = [f"{column} is {reported} ({spec_type(name, reported)}), contract type "
                 f"{expected_types.get(column, '?')}"
                 for column, reported in table.columns
                 if spec_type(name, reported) != expected_types.get(column)]
        if wrong:
            problems.append(f"{relation} on {label}: column types: " + "; ".join(wrong))
    if reference.names != other.names:
        problems.append(f"{relation}: columns differ: {reference_engine} {list(reference.names)}"
                        f", {engine} {list(other.names)}")
        return Comparison(relation, engine, len(other.rows), tuple(problems))
    key_positions = [reference.names.index(column) for column in RELATION_KEYS[relation]]

    def keyed(table: Table, label: str) -> dict[tuple[Any, ...], tuple[Any, ...]]:
        found: dict[tuple[Any, ...], tuple[Any, ...]] = {}
        repeated = []
        for row in table.rows:
            key = tuple(row[position] for position in key_positions)
            if key in found:
                repeated.append(key)
            found[key] = row
        if repeated:
            problems.append(f"{relation} on {label}: {len(repeated)} repeated keys, first "
                            f"{repeated[:SHOWN_ROWS]}")
        return found

    left, right = keyed(reference, reference_engine), keyed(other, engine)
    for label, mine, theirs in ((reference_engine, left, right), (engine, right, left)):
        only = sorted((key for key in mine if key not in theirs), key=repr)
        if only:
            problems.append(
                f"{relation}: {len(only)} of {len(mine)} keys only on {label}, first ones:\n"
                + "\n".join("    " + ", ".join(f"{column}={_shown(value)}" for column, value
                                               in zip(reference.names, mine[key]))
                            for key in only[:SHOWN_ROWS]))
    differing = []
    for key in sorted((key for key in left if key in right), key=repr):
        columns = [(column, a, b) for column, a, b in zip(reference.names, left[key], right[key])
                   if not same_value(a, b)]
        if columns:
            differing.append((key, columns))
    if differing:
        problems.append(
            f"{relation}: {len(differing)} of {len(right)} rows differ ({reference_engine} -> "
            f"{engine}), first ones:\n" + "\n".join(
                f"    {dict(zip(RELATION_KEYS[relation], key))}: " + "; ".join(
                    f"{column} {_shown(a)} -> {_shown(b)}" for column, a, b in columns)
                for key, columns in differing[:SHOWN_ROWS]))
    return Comparison(relation, engine, len(other.rows), tuple(problems))


def main(argv: Sequence[str]) -> int:
    if len(argv) >= 2 and argv[0] == "dump-spark":
        dump_spark(Path(argv[1]), argv[2:])
        return 0
    print("usage: parity_support.py dump-spark OUT.pickle RELATION...", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.path.insert(0, str(PROJECT_DIR / "src"))
    raise SystemExit(main(sys.argv[1:]))
