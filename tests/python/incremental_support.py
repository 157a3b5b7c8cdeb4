"""Helpers of tests/python/test_incremental.py: a chain of daily builds (the EL tool appends a
day's rows, then a plain `dbt build`) beside a full refresh of the same raw rows, and the
comparison of the two databases.

Every dbt run gets its own DBT_TARGET_PATH and DBT_LOG_PATH and its own DuckDB file, so that
these builds never share state with each other or with anyone else's dbt in the project dir.
"""

from __future__ import annotations

import csv
import inspect
import math
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import duckdb

from lead_funnel.contract import TABLES
from lead_funnel.dbt_runner import build_command, dbt_env
from lead_funnel.generation.text import parse_as_of
from lead_funnel.warehouse.loading import load_directory

from conftest import PROJECT_DIR

RAW_SCHEMA = "raw"

# What the two builds must agree on: every mart and every data-quality model. Their schema is
# discovered in information_schema (the data-quality models may move to their own schema).
COMPARED_RELATIONS: tuple[str, ...] = (
    "lead_stages", "lead_handoffs", "lead_stage_transitions", "funnel_conversion",
    "funnel_volume_daily",
    "dq_quarantined_rows", "dq_source_reconciliation", "dq_unknown_event_types", "dq_run_context",
)
# Columns that legitimately differ between two runs of the same inputs, left out of the
# comparison: dq_run_context.run_started_at is the wall-clock start of the dbt invocation.
VOLATILE_COLUMNS: Mapping[str, frozenset[str]] = {"dq_run_context": frozenset({"run_started_at"})}
# Doubles (scores, rates, hours) are compared within this relative tolerance; the absolute one
# only matters for values that should be 0 (a fully decayed score), where relative means nothing.
REL_TOL = 1e-9
ABS_TOL = 1e-12
DOUBLE_TYPES = frozenset({"DOUBLE", "FLOAT", "REAL"})
SHOWN_ROWS = 5


# --- raw data -------------------------------------------------------------------------------

def stage_fixture_day(day_dir: Path, out_dir: Path) -> Path:
    """Copy a hand-made day `tests/fixtures/days/<day>/<day>__<table>.csv` to
    `out_dir/<table>.csv`, the layout the loader reads. (The day files cannot be named
    `<table>.csv` themselves: dbt registers every CSV under tests/fixtures as a unit-test
    fixture by its file name, and two fixtures of one name stop every dbt command.)"""
    out_dir.mkdir(parents=True, exist_ok=True)
    for table in TABLES:
        shutil.copyfile(day_dir / f"{day_dir.name}__{table}.csv", out_dir / f"{table}.csv")
    return out_dir


def _append_with_sql(data_dir: Path, database: Path) -> dict[str, int]:
    """Append `data_dir/<table>.csv` to raw.<table> as all-text rows (used only when the loader
    has no `append` option)."""
    counts: dict[str, int] = {}
    with duckdb.connect(str(database)) as connection:
        for table in TABLES:
            path = data_dir / f"{table}.csv"
            with path.open(newline="", encoding="utf-8") as handle:
                has_rows = sum(1 for _ in csv.reader(handle)) > 1
            if has_rows:
                connection.execute(
                    f"insert into {RAW_SCHEMA}.{table} by name select * from "
                    "read_csv(?, all_varchar = true, header = true)", [str(path)])
            row = connection.execute(f"select count(*) from {RAW_SCHEMA}.{table}").fetchone()
            counts[table] = int(row[0]) if row else 0
    return counts


def load_raw(data_dir: Path, database: Path, *, append: bool) -> dict[str, int]:
    """Load the four CSVs of `data_dir` into `database`'s raw schema: replacing the tables, or
    appending the rows as the EL tool does (`lead-funnel load --append`). Returns the row count
    of every raw table afterwards."""
    if not append:
        return load_directory(data_dir, str(database), RAW_SCHEMA)
    if "append" in inspect.signature(load_directory).parameters:
        loader: Callable[..., dict[str, int]] = load_directory
        return loader(data_dir, str(database), RAW_SCHEMA, append=True)
    return _append_with_sql(data_dir, database)


def _loaded_at_epoch(text: str) -> int | None:
    try:
        return parse_as_of(text) if text.strip() else None
    except (ValueError, OverflowError):
        return None


def split_by_loaded_at(source_dir: Path, boundaries: Sequence[str],
                       out_dirs: Sequence[Path]) -> dict[str, list[int]]:
    """Split a raw dataset (`source_dir/<table>.csv`, e.g. the generator's) into the base
    extract and the daily appends an EL tool would have delivered.

    `boundaries` are the as_of of day 0, day 1, ..., day n (ISO-8601); `out_dirs` the n + 1
    directories written. Day k >= 1 gets the rows with boundaries[k-1] < _loaded_at <=
    boundaries[k]. Day 0 (the base) gets every other row: those loaded up to boundaries[0],
    those whose _loaded_at is blank or unparseable, and those loaded after the last boundary
    (future-stamped rows, delivered early as the hand-made fixture's C014 and E903 are), so
    that the base plus every day is exactly the source. Each file keeps the source's header and
    the rows' text as it was. Returns the rows written per table and day.
    """
    if len(out_dirs) != len(boundaries):
        raise ValueError("one output directory per boundary (day 0 .. day n)")
    limits = [parse_as_of(boundary) for boundary in boundaries]
    if limits != sorted(limits):
        raise ValueError(f"boundaries are not in order: {list(boundaries)}")
    for directory in out_dirs:
        directory.mkdir(parents=True, exist_ok=True)
    written: dict[str, list[int]] = {}
    for table in TABLES:
        with (source_dir / f"{table}.csv").open(newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            header = next(reader)
            loaded_at = header.index("_loaded_at")
            parts: list[list[list[str]]] = [[] for _ in out_dirs]
            for row in reader:
                moment = _loaded_at_epoch(row[loaded_at])
                day = 0
                if moment is not None and limits[0] < moment <= limits[-1]:
                    day = next(k for k in range(1, len(limits)) if moment <= limits[k])
                parts[day].append(row)
        for directory, rows in zip(out_dirs, parts):
            with (directory / f"{table}.csv").open("w", newline="", encoding="utf-8") as out:
                writer = csv.writer(out, lineterminator="\n")
                writer.writerow(header)
                writer.writerows(rows)
        written[table] = [len(rows) for rows in parts]
    return written


# --- dbt --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class BuildResult:
    step: str
    command: str
    seconds: float
    returncode: int
    output: str  # the tail of dbt's stdout and stderr

    @property
    def failure(self) -> str | None:
        if self.returncode == 0:
            return None
        return f"{self.step}: {self.command} exited {self.returncode}:\n{self.output}"


def dbt_build(step: str, database: Path, as_of: str, work_dir: Path, *,
              full_refresh: bool, data_tests: bool = True) -> BuildResult:
    """`dbt build` (with `--full-refresh` when asked) of the project into `database` at `as_of`,
    its target and logs under `work_dir`: seeds, models and (unless `data_tests` is false) data
    tests; the unit tests check the SQL on rows of their own, whatever the data, and the
    fixture builds of `make test` run them on every engine. A failed build is returned, not
    raised, so that the chain goes on and the tests can show what differs as well as what
    failed."""
    argv = build_command("build", as_of=as_of, project=PROJECT_DIR,
                         extra_args=["--exclude-resource-type", "unit_test",
                                     *([] if data_tests else ["test"]),
                                     *(["--full-refresh"] if full_refresh else [])])
    env = dbt_env(database=database)
    env.update(DBT_TARGET_PATH=str(work_dir / "target"), DBT_LOG_PATH=str(work_dir / "logs"),
               LEAD_FUNNEL_TARGET="duckdb")
    started = time.perf_counter()
    result = subprocess.run(argv, env=env, capture_output=True, text=True, check=False,
                            cwd=PROJECT_DIR)
    return BuildResult(step, " ".join(argv[1:]), time.perf_counter() - started,
                       result.returncode, result.stdout[-4000:] + result.stderr[-2000:])


@dataclass(frozen=True)
class Day:
    """One daily step: the rows the EL tool appended that day and the as_of of its build."""

    name: str
    as_of: str
    rows: Path


@dataclass
class Chain:
    """The databases of a daily chain, by step name ("base", then each day's name).

    incremental[step] is a copy of database A after that step's build (the base: a full
    refresh; each day: the day's rows appended, then a plain `dbt build`); full_refresh[step]
    is database B of that day: base + every day up to it loaded into a new file, then
    `dbt build --full-refresh` of the seeds and models (A's builds run the data tests)."""

    incremental: dict[str, Path] = field(default_factory=dict)
    full_refresh: dict[str, Path] = field(default_factory=dict)
    raw_rows: dict[str, dict[str, int]] = field(default_factory=dict)
    builds: list[BuildResult] = field(default_factory=list)

    def failures(self, *steps: str) -> list[str]:
        """What failed among the builds of these steps (a step's builds are named after it)."""
        return [build.failure for build in self.builds
                if build.failure and build.step.split()[0] in steps]


def _snapshot(database: Path, copy: Path) -> Path:
    shutil.copyfile(database, copy)
    wal = database.with_name(database.name + ".wal")
    if wal.exists():
        shutil.copyfile(wal, copy.with_name(copy.name + ".wal"))
    return copy


def run_chain(base_dir: Path, base_as_of: str, days: Sequence[Day], work: Path) -> Chain:
    """Build the base day, then each day incrementally in database A and from scratch in a
    database B of its own (see :class:`Chain`)."""
    chain = Chain()
    database_a = work / "incremental.duckdb"
    chain.raw_rows["base"] = load_raw(base_dir, database_a, append=False)
    chain.builds.append(dbt_build("base", database_a, base_as_of, work / "run-base",
                                  full_refresh=True))
    chain.incremental["base"] = _snapshot(database_a, work / "incremental-base.duckdb")
    for number, day in enumerate(days):
        chain.raw_rows[day.name] = load_raw(day.rows, database_a, append=True)
        chain.builds.append(dbt_build(f"{day.name} incremental", database_a, day.as_of,
                                      work / f"run-{day.name}-incremental", full_refresh=False))
        chain.incremental[day.name] = _snapshot(database_a, work / f"incremental-{day.name}.duckdb")

        database_b = work / f"full-refresh-{day.name}.duckdb"
        reloaded = load_raw(base_dir, database_b, append=False)
        for earlier in days[:number + 1]:
            reloaded = load_raw(earlier.rows, database_b, append=True)
        if reloaded != chain.raw_rows[day.name]:
            raise AssertionError(f"{day.name}: raw tables of A {chain.raw_rows[day.name]} and "
                                 f"B {reloaded} differ before building")
        # B only gives the expected marts: A's builds ran the data tests on the same rows.
        chain.builds.append(dbt_build(f"{day.name} full refresh", database_b, day.as_of,
                                      work / f"run-{day.name}-full-refresh", full_refresh=True,
                                      data_tests=False))
        chain.full_refresh[day.name] = database_b
    return chain


# --- reading and comparing the built databases ----------------------------------------------

def relation_schema(connection: duckdb.DuckDBPyConnection, relation: str,
                    catalog: str | None = None) -> str:
    """The schema of a relation built by the project, found in information_schema among the
    project's schemas (`analytics` and `analytics_*`): exactly one must hold it."""
    where = ("table_name = ? and (table_schema = 'analytics' "
             "or table_schema like 'analytics\\_%' escape '\\')")
    parameters: list[Any] = [relation]
    if catalog is not None:
        where += " and table_catalog = ?"
        parameters.append(catalog)
    found = connection.execute(
        f"select table_schema from information_schema.tables where {where}", parameters).fetchall()
    if len(found) != 1:
        raise AssertionError(f"expected one relation {relation} in {catalog or 'the database'}, "
                             f"found it in schemas {[schema for (schema,) in found]}")
    return str(found[0][0])


def qualified_name(connection: duckdb.DuckDBPyConnection, relation: str,
                   catalog: str | None = None) -> str:
    """`"schema"."relation"` (or `"catalog"."schema"."relation"`), see :func:`relation_schema`."""
    prefix = f'"{catalog}".' if catalog is not None else ""
    return f'{prefix}"{relation_schema(connection, relation, catalog)}"."{relation}"'


def query(database: Path, sql: str, *relations: str) -> list[tuple[Any, ...]]:
    """Run `sql` on a built database, read-only; `{0}`, `{1}`, ... in it stand for the qualified
    names of `relations` (so no schema is hard-coded)."""
    with duckdb.connect(str(database), read_only=True) as connection:
        names = [qualified_name(connection, relation) for relation in relations]
        return connection.execute(sql.format(*names)).fetchall()


def relation_content(database: Path, relation: str) -> list[tuple[Any, ...]]:
    """Every row of a relation without its volatile columns, sorted (a multiset)."""
    skipped = VOLATILE_COLUMNS.get(relation, frozenset())
    with duckdb.connect(str(database), read_only=True) as connection:
        name = qualified_name(connection, relation)
        described = connection.execute(f"select * from {name} limit 0").description or []
        columns = [column[0] for column in described if column[0] not in skipped]
        selected = ", ".join(f'"{column}"' for column in columns)
        rows = connection.execute(f"select {selected} from {name}").fetchall()
    return sorted(rows, key=_sort_key)


def _sort_key(row: Sequence[Any]) -> tuple[tuple[bool, Any], ...]:
    return tuple((value is not None, value if value is not None else 0) for value in row)


def _same_value(left: Any, right: Any, is_double: bool) -> bool:
    if left is None or right is None or not is_double:
        return bool(left == right) or (left is None and right is None)
    if math.isnan(left) and math.isnan(right):
        return True
    return math.isclose(left, right, rel_tol=REL_TOL, abs_tol=ABS_TOL)


@dataclass(frozen=True)
class RelationComparison:
    relation: str
    rows: int
    compared_columns: tuple[str, ...]
    problem: str | None


def _format_rows(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    return "\n".join("    " + ", ".join(f"{c}={v!r}" for c, v in zip(columns, row))
                     for row in rows[:SHOWN_ROWS]) or "    (none)"


def _compare_relation(connection: duckdb.DuckDBPyConnection, relation: str) -> RelationComparison:
    try:
        schemas = {side: relation_schema(connection, relation, side) for side in ("a", "b")}
    except AssertionError as missing:  # not built (a failed build) or built twice
        return RelationComparison(relation, 0, (), f"{relation}: {missing}")
    names = {side: f'"{side}"."{schema}"."{relation}"' for side, schema in schemas.items()}
    layouts = {side: connection.execute(
        "select column_name, data_type from information_schema.columns where table_catalog = ? "
        "and table_schema = ? and table_name = ? order by ordinal_position",
        [side, schemas[side], relation]).fetchall() for side in schemas}
    if schemas["a"] != schemas["b"] or layouts["a"] != layouts["b"]:
        return RelationComparison(relation, 0, (), (
            f"{relation}: different relations: incremental {names['a']} {layouts['a']}\n"
            f"  full refresh {names['b']} {layouts['b']}"))
    skipped = VOLATILE_COLUMNS.get(relation, frozenset())
    present = {column for column, _ in layouts["a"]}
    if not skipped <= present:
        return RelationComparison(relation, 0, (), (
            f"{relation}: volatile column(s) {sorted(skipped - present)} no longer exist; "
            "update VOLATILE_COLUMNS"))
    # Exact columns first, doubles last: rows that differ only by rounding sort side by side.
    kept = [(column, kind) for column, kind in layouts["a"] if column not in skipped]
    ordered = ([c for c, k in kept if k not in DOUBLE_TYPES] + [c for c, k in kept if k in DOUBLE_TYPES])
    doubles = {c for c, k in kept if k in DOUBLE_TYPES}
    selected = ", ".join(f'"{column}"' for column in ordered)
    counts: dict[str, int] = {}
    for side, name in names.items():
        found = connection.execute(f"select count(*) from {name}").fetchone()
        counts[side] = int(found[0]) if found else 0
    only = {
        side: sorted(connection.execute(
            f"select {selected} from {names[side]} except all "
            f"select {selected} from {names[other]}").fetchall(), key=_sort_key)
        for side, other in (("a", "b"), ("b", "a"))
    }
    rows = counts["a"]
    mismatched = len(only["a"]) != len(only["b"]) or any(
        not all(_same_value(x, y, column in doubles) for column, x, y in zip(ordered, left, right))
        for left, right in zip(only["a"], only["b"]))
    if not mismatched:
        return RelationComparison(relation, rows, tuple(ordered), None)
    return RelationComparison(relation, rows, tuple(ordered), (
        f"{relation} ({names['a']}): incremental has {counts['a']} rows, full refresh "
        f"{counts['b']}; {len(only['a'])} rows only in the incremental build, first ones:\n"
        f"{_format_rows(ordered, only['a'])}\n"
        f"  {len(only['b'])} rows only in the full refresh, first ones:\n"
        f"{_format_rows(ordered, only['b'])}"))


def compare_databases(incremental: Path, full_refresh: Path,
                      relations: Sequence[str] = COMPARED_RELATIONS) -> list[RelationComparison]:
    """Compare each relation of two built DuckDB files (attached read-only side by side) as
    multisets of rows: exact on every column but doubles (within REL_TOL) and the volatile
    columns (skipped). A comparison's `problem` shows the first differing rows of each side."""
    with duckdb.connect() as connection:
        for alias, path in (("a", incremental), ("b", full_refresh)):
            quoted = str(path).replace("'", "''")
            connection.execute(f"attach '{quoted}' as {alias} (read_only)")
        return [_compare_relation(connection, relation) for relation in relations]
