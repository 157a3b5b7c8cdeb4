"""The same marts on every engine (issue 11).

Parity: the generated dirty sample of conftest (SMALL: 2,000 contacts, 5% dirty rows of every kind,
seed 7) is generated once at day 1's as_of and split by _loaded_at into the base extract (rows
loaded up to day 0's as_of, 2025-06-30T12:00:00Z, with the blank, unparseable and future-stamped
ones) and day 1's append (rows loaded in the following 24 hours)
(incremental_support.split_by_loaded_at). On DuckDB and PostgreSQL: load the base, `dbt build`
at day 0's as_of, append day 1's rows with the loader, then a plain (incremental) `dbt build` at
day 1's as_of. Spark rebuilds every model as a table on every build, so it loads both and builds
once, at day 1's as_of (built_steps). After each build every mart and the quarantine must be
the same on PostgreSQL (and, at day 1, on Spark) as on DuckDB: the same keys, on every
key the same values (text, counts, flags and dates exact, timestamps to the microsecond, doubles
within 1e-9 relative), and every column of the docs/funnel_rules.md §6 type its mart contract declares (string,
timestamp, double, bigint, boolean, date, under each engine's name for it). A difference prints
the first differing rows.

Freshness: `dbt source freshness` on each engine reads _loaded_at with the project's timestamp
parsing (offsets applied); see test_source_freshness_applies_offsets.
"""

from __future__ import annotations

import csv
import json
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from lead_funnel.contract import TABLE_COLUMNS
from lead_funnel.dbt_runner import build_command
from lead_funnel.generation.dataset import generate_to_dir
from lead_funnel.generation.text import format_utc, parse_as_of
from lead_funnel.warehouse.connections import recreate_postgres_database

from conftest import SMALL, engine_param
from incremental_support import split_by_loaded_at
from parity_support import (
    ENGINES,
    PROJECT_DIR,
    REFERENCE_ENGINE,
    RELATION_KEYS,
    CONTRACT_TYPES,
    Comparison,
    Table,
    Workspace,
    compare,
    contract_types,
)

DAY_SECONDS = 86_400
STEPS = ("base", "day1")
AS_OF = {"base": SMALL.as_of, "day1": format_utc(parse_as_of(SMALL.as_of) + DAY_SECONDS)}
OTHER_ENGINES = tuple(engine for engine in ENGINES if engine != REFERENCE_ENGINE)


def postgres_database(purpose: str) -> str:
    """A database of this test's own beside the one of the fixture builds (LEAD_FUNNEL_PG_*)."""
    return f"{os.environ.get('LEAD_FUNNEL_PG_DATABASE', 'lead_funnel')}_{purpose}"


def workspace(engine: str, root: Path, purpose: str) -> Workspace:
    root.mkdir(parents=True, exist_ok=True)
    if engine != "postgres":
        return Workspace(engine, root)
    name = postgres_database(purpose)
    try:
        recreate_postgres_database(name)
    except Exception as exc:  # no server, or a role without CREATEDB: say what to do
        pytest.fail(f"cannot make PostgreSQL database {name}: {exc}; start the server with "
                    "scripts/postgres_up.sh and export the LEAD_FUNNEL_PG_* variables")
    return Workspace(engine, root, postgres_database=name)


# --- parity on the dirty sample -------------------------------------------------------------

@dataclass
class Parity:
    workspaces: dict[str, Workspace] = field(default_factory=dict)
    tables: dict[tuple[str, str], dict[str, Table]] = field(default_factory=dict)  # (engine, step)
    split: dict[str, list[int]] = field(default_factory=dict)

    def failures(self, engine: str) -> list[str]:
        return [step.failure for step in self.workspaces[engine].steps if step.failure]


def built_steps(engine: str) -> tuple[str, ...]:
    """The steps after which `engine` builds and is compared. Spark rebuilds every model as a
    table on every build (no incremental state), so its day-1 build is the same computation
    as a first build of the base rows plus day 1's: it loads both and builds once, at day 1's
    as_of (a base build there would repeat the same SQL on fewer rows, for minutes)."""
    return ("day1",) if engine == "spark" else STEPS


def run_engine(engine: str, work: Path, parity: Parity) -> None:
    """The chain of one engine: load, build, read; append, build, read. Stops at a failure.
    The base build leaves the data tests to the next day's: that one runs every data test on
    the base rows and day 1's. On Spark (one build, see built_steps) the data tests are the
    fixture build's (`make dbt-test-spark`): each takes seconds there."""
    space = workspace(engine, work / engine, "parity")
    parity.workspaces[engine] = space
    steps = built_steps(engine)
    for step in STEPS:
        loaded = space.load(work / "rows" / step, append=step != "base")
        if loaded.returncode != 0:
            return
        if step not in steps:
            continue
        data_tests = step != "base" and engine != "spark"
        if space.build(step, AS_OF[step], data_tests=data_tests).returncode != 0:
            return
        parity.tables[(engine, step)] = space.read(list(RELATION_KEYS))


@pytest.fixture(scope="module")
def parity(tmp_path_factory: pytest.TempPathFactory) -> Parity:
    work = tmp_path_factory.mktemp("engine_parity")
    generate_to_dir(work / "generated", replace(SMALL, as_of=AS_OF["day1"]))
    result = Parity()
    result.split = split_by_loaded_at(work / "generated", [AS_OF[step] for step in STEPS],
                                      [work / "rows" / step for step in STEPS])
    print(f"[engine parity] rows per table (base, day1): {result.split}")
    # The three chains share nothing (a workspace each) and wait on different things (Spark's
    # JVM per statement, PostgreSQL's server, DuckDB's CPU): side by side, the fixture takes
    # about as long as its slowest chain.
    with ThreadPoolExecutor(max_workers=len(ENGINES)) as pool:
        for chain in [pool.submit(run_engine, engine, work, result) for engine in ENGINES]:
            chain.result()
    for engine in ENGINES:
        for step in result.workspaces[engine].steps:
            outcome = "ok" if step.returncode == 0 else f"FAILED (exit {step.returncode})"
            print(f"[engine parity] {engine} {step.name}: {step.seconds:.1f} s, {outcome}")
        for name in STEPS:
            slowest = ", ".join(f"{model} {seconds:.1f} s" for model, seconds
                                in result.workspaces[engine].slowest_models(name, 3))
            if slowest:
                print(f"[engine parity] {engine} build {name} slowest models: {slowest}")
    return result


@pytest.mark.postgres
@pytest.mark.spark
@pytest.mark.slow
@pytest.mark.parametrize("engine", ENGINES)
def test_every_engine_builds_the_base_and_the_next_day(parity: Parity, engine: str) -> None:
    failures = parity.failures(engine)
    assert not failures, "\n".join(failures)
    assert all((engine, step) in parity.tables for step in built_steps(engine))


@pytest.mark.postgres
@pytest.mark.spark
@pytest.mark.slow
@pytest.mark.parametrize("relation", list(RELATION_KEYS))
@pytest.mark.parametrize(("step", "engine"), [(step, engine) for step in STEPS
                                              for engine in OTHER_ENGINES
                                              if step in built_steps(engine)])
def test_relation_is_the_same_on_every_engine(parity: Parity, step: str, engine: str,
                                              relation: str) -> None:
    for needed in (REFERENCE_ENGINE, engine):
        if (needed, step) not in parity.tables:
            pytest.fail(f"{needed} did not build {step}:\n" + "\n".join(parity.failures(needed)))
    expected_types = contract_types()[relation]
    comparison: Comparison = compare(relation, parity.tables[(REFERENCE_ENGINE, step)][relation],
                                     engine, parity.tables[(engine, step)][relation],
                                     expected_types)
    reference_rows = len(parity.tables[(REFERENCE_ENGINE, step)][relation].rows)
    print(f"[engine parity] {step} {relation}: {reference_rows} rows on {REFERENCE_ENGINE}, "
          f"{comparison.rows} on {engine}: "
          f"{'same' if not comparison.problems else 'DIFFERENT'}")
    assert not comparison.problems, f"{step}, {engine} vs {REFERENCE_ENGINE}:\n" + "\n".join(
        comparison.problems)


@pytest.mark.postgres
@pytest.mark.spark
@pytest.mark.slow
def test_the_comparison_is_not_vacuous(parity: Parity) -> None:
    """Every compared relation has rows, the contracts declare only contract types, the sample is
    dirty (several quarantine reasons) and day 1 changes the marts, so equal engines mean
    something."""
    if any((REFERENCE_ENGINE, step) not in parity.tables for step in STEPS):
        pytest.fail("\n".join(parity.failures(REFERENCE_ENGINE)))
    declared = contract_types()
    for relation in RELATION_KEYS:
        assert set(declared[relation].values()) <= set(CONTRACT_TYPES), (relation, declared[relation])
        for step in STEPS:
            assert parity.tables[(REFERENCE_ENGINE, step)][relation].rows, (step, relation)
    # Day 1 really appended new contacts and events (deals need not move in one day).
    assert parity.split["contacts"][1] > 0 and parity.split["engagement_events"][1] > 0, parity.split
    base, day1 = (parity.tables[(REFERENCE_ENGINE, step)] for step in STEPS)
    for relation in ("lead_stages", "lead_handoffs", "funnel_volume_daily", "dq_quarantined_rows"):
        assert set(base[relation].rows) != set(day1[relation].rows), relation
    quarantine = day1["dq_quarantined_rows"]
    reasons = {row[quarantine.names.index("quarantine_reason")] for row in quarantine.rows}
    assert {"missing_key", "unparseable_timestamp", "after_as_of", "orphan_contact_id"} <= reasons


# --- the comparison itself catches what it claims to catch ------------------------------------

def _table(rows: list[tuple[Any, ...]]) -> Table:
    return Table("analytics", (("handoff_id", "VARCHAR"), ("mql_at", "TIMESTAMP"),
                               ("score_at_mql", "DOUBLE"), ("cycle_number", "BIGINT")),
                 tuple(rows))


HANDOFF_TYPES = {"handoff_id": "string", "mql_at": "timestamp", "score_at_mql": "double",
                 "cycle_number": "bigint"}
AT = datetime(2024, 7, 1, 12, 0, 0, 500_000)


@pytest.mark.parametrize(("changed", "expected"), [
    # Equal rows in another order, doubles 1e-12 relative apart: the same.
    ([("H2", AT, 3.0, 1), ("H1", AT, 45.0 * (1 + 1e-12), 1)], ()),
    # One microsecond later.
    ([("H1", AT + timedelta(microseconds=1), 45.0, 1), ("H2", AT, 3.0, 1)],
     ("mql_at 2024-07-01 12:00:00.500000 -> 2024-07-01 12:00:00.500001",)),
    # 1e-8 relative is more than 1e-9.
    ([("H1", AT, 45.0 * (1 + 1e-8), 1), ("H2", AT, 3.0, 1)], ("score_at_mql 45.0 -> 45.0000004",)),
    # A null where there was a value.
    ([("H1", None, 45.0, 1), ("H2", AT, 3.0, 1)], ("mql_at 2024-07-01 12:00:00.500000 -> None",)),
    # A row missing (H2) and one more (H3): one problem for each side.
    ([("H1", AT, 45.0, 1), ("H3", AT, 3.0, 1)], ("handoff_id='H2'", "handoff_id='H3'")),
    # 1 as a double is not the bigint 1.
    ([("H1", AT, 45.0, 1.0), ("H2", AT, 3.0, 1)], ("cycle_number 1 -> 1.0",)),
])
def test_compare_finds_each_kind_of_difference(changed: list[tuple[Any, ...]],
                                               expected: tuple[str, ...]) -> None:
    """Both sides carry DuckDB's type names: only the rows differ."""
    reference = _table([("H1", AT, 45.0, 1), ("H2", AT, 3.0, 1)])
    result = compare("lead_handoffs", reference, "duckdb", _table(changed), HANDOFF_TYPES)
    assert len(result.problems) == len(expected), result.problems
    for problem, text in zip(result.problems, expected):
        assert text in problem, result.problems


@pytest.mark.parametrize(("engine", "types", "expected"), [
    # A float4 score on PostgreSQL (`real`) is not a double.
    ("postgres", ("text", "timestamp without time zone", "real", "bigint"),
     "lead_handoffs on postgres: column types: score_at_mql is real (real), contract type double"),
    # Spark's timestamp_ntz is not its `timestamp`.
    ("spark", ("string", "timestamp_ntz", "double", "bigint"),
     "lead_handoffs on spark: column types: mql_at is timestamp_ntz (timestamp_ntz), contract type "
     "timestamp"),
])
def test_compare_checks_the_spec_types_of_each_engine(engine: str, types: tuple[str, ...],
                                                      expected: str) -> None:
    reference = _table([("H1", AT, 45.0, 1)])
    other = Table("analytics", tuple(zip(reference.names, types)), reference.rows)
    assert compare("lead_handoffs", reference, engine, other, HANDOFF_TYPES).problems == (expected,)


# --- source freshness on every engine -------------------------------------------------------
#
# Each raw table gets a few rows whose newest _loaded_at (the true UTC instant) is written with an
# offset that, if dropped, would move it across a threshold (warn after 26 h, error after 74 h,
# _crm__sources.yml / _marketing__sources.yml), beside older rows, blank and unparseable ones.
# `now` is the test's start, whole seconds; dbt's own now is a few seconds to a minute later,
# far from every threshold below. Expected: the age of the newest instant, worked out by hand.

FRESHNESS_CASES: dict[str, tuple[list[tuple[timedelta, str]], timedelta, str]] = {
    # (rows: age before now, offset written; the expected newest age; the expected status)
    # newest 20 h old written at -08:00 (local text 28 h old: warn if the offset were dropped).
    "contacts": ([(timedelta(hours=20), "-08:00"), (timedelta(hours=40), "Z")],
                 timedelta(hours=20), "pass"),
    # newest 30 h old written at +10:00 (local text 20 h old: pass if dropped).
    "engagement_events": ([(timedelta(hours=30), "+10:00"), (timedelta(hours=50), "Z")],
                          timedelta(hours=30), "warn"),
    # newest 80 h old written at +0800 (local text 72 h old: warn if dropped).
    "sales_activities": ([(timedelta(hours=80), "+0800"), (timedelta(hours=100), "+02:00")],
                         timedelta(hours=80), "error"),
    # newest 2 h old without an offset (UTC); 'now' is not a timestamp (PostgreSQL would read it
    # as one), so neither is the blank.
    "opportunities": ([(timedelta(hours=2), ""), (timedelta(hours=5), "+02")],
                      timedelta(hours=2), "pass"),
}
UNPARSEABLE_LOADED_AT = ("", "garbage", "now", "2024-02-30T10:00:00Z")


def written(moment: datetime, offset: str) -> str:
    """`moment` (UTC) as ISO text in the zone of `offset` ('Z', '', '+HH:MM', '+HHMM', '+HH')."""
    if offset in ("", "Z"):
        return moment.strftime("%Y-%m-%dT%H:%M:%S") + offset
    sign = 1 if offset[0] == "+" else -1
    digits = offset[1:].replace(":", "")
    shift = timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or 0))
    return (moment + sign * shift).strftime("%Y-%m-%dT%H:%M:%S") + offset


def write_freshness_raw(out: Path, now: datetime) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for table, (rows, _, _) in FRESHNESS_CASES.items():
        columns = TABLE_COLUMNS[table]
        texts = [written(now - age, offset) for age, offset in rows] + list(UNPARSEABLE_LOADED_AT)
        with (out / f"{table}.csv").open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(columns)
            for number, text in enumerate(texts):
                writer.writerow([f"F{number}" if column == columns[0] else
                                 text if column == "_loaded_at" else "" for column in columns])


def test_written_offsets() -> None:
    moment = datetime(2024, 7, 1, 0, 0, 0)
    assert written(moment, "+02:00") == "2024-07-01T02:00:00+02:00"  # the example
    assert written(moment, "-08:00") == "2024-06-30T16:00:00-08:00"
    assert written(moment, "+0800") == "2024-07-01T08:00:00+0800"
    assert written(moment, "+02") == "2024-07-01T02:00:00+02"
    assert written(moment, "Z") == "2024-07-01T00:00:00Z"


@pytest.mark.parametrize("engine", [engine_param(engine, pytest.mark.slow) for engine in ENGINES])
def test_source_freshness_applies_offsets(engine: str, tmp_path: Path) -> None:
    now = datetime.now(timezone.utc).replace(microsecond=0, tzinfo=None)
    write_freshness_raw(tmp_path / "raw", now)
    space = workspace(engine, tmp_path / engine, "freshness")
    loaded = space.load(tmp_path / "raw", append=False)
    assert loaded.returncode == 0, loaded.failure
    step = space.run("dbt source freshness", build_command("source freshness", project=PROJECT_DIR),
                     space.env("-freshness"))
    sources_json = space.root / "target-freshness" / "sources.json"
    assert sources_json.is_file(), step.output
    results = {str(result["unique_id"]).split(".")[-1]: result
               for result in json.loads(sources_json.read_text())["results"]}
    assert set(results) == set(FRESHNESS_CASES), step.output
    found = {table: (result.get("status"), result.get("max_loaded_at")) for table, result
             in results.items()}
    expected = {table: (status, (now - age).replace(tzinfo=timezone.utc))
                for table, (_, age, status) in FRESHNESS_CASES.items()}
    parsed = {table: (status, datetime.fromisoformat(str(moment)) if moment else None)
              for table, (status, moment) in found.items()}
    assert parsed == expected, step.output[-3000:]
    # The error (sales_activities) makes the command fail, as an orchestrator needs.
    assert step.returncode != 0
