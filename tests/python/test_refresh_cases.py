"""The four cases of issue 19, each ending as docs/funnel_rules.md §7 says.

Every case starts from the same warehouse: a generated set of 300 contacts (5% dirty rows)
built with `dbt build --full-refresh` at its as_of A = 2025-06-30T00:00:00Z, copied per test.
The generator's next day (lead_funnel.generation.next_day) gives day 1, the rows the EL tool
appends with `_loaded_at` in (A, A + 1 day), as_of A + 1 day. Daily builds exclude unit tests
(the daily command); "plain build = full refresh" compares every mart and data-quality model
(sequence_support.plain_build_equals_full_refresh).
"""

from __future__ import annotations

import csv
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from lead_funnel.contract import TABLES

from incremental_support import load_raw, qualified_name, query
from sequence_support import (
    NO_UNIT_TESTS,
    Warehouse,
    append_day,
    new_warehouse,
    next_days,
    plain_build_equals_full_refresh,
    scrambled_day,
    tiny_set,
)

pytestmark = pytest.mark.slow  # several dbt builds per case: make test only

BASE_AS_OF = "2025-06-30T00:00:00Z"
ROW_KEYS = {"contacts": "contact_id", "engagement_events": "event_id",
            "sales_activities": "activity_id", "opportunities": "opportunity_id"}


@dataclass(frozen=True)
class Base:
    data: Path
    database: Path
    day1: Path
    day1_as_of: str
    warehouse: Warehouse  # the base build's file and dbt work directory


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Base:
    work = tmp_path_factory.mktemp("refresh_cases")
    as_of = tiny_set(work / "data", contacts=300, seed=19, as_of=BASE_AS_OF)
    (day1, day1_as_of), = next_days(work / "data", work / "days", 1)
    warehouse = new_warehouse(work, "base")
    load_raw(work / "data", warehouse.database, append=False)
    built = warehouse.dbt(["build", "--full-refresh", *NO_UNIT_TESTS], as_of)
    assert built.returncode == 0, built.output
    return Base(work / "data", warehouse.database, day1, day1_as_of, warehouse)


def copy_of(base: Base, tmp_path: Path, name: str = "warehouse") -> Warehouse:
    warehouse = new_warehouse(tmp_path, name)
    shutil.copyfile(base.database, warehouse.database)
    return warehouse


def checkpoint_as_of(warehouse: Warehouse) -> set[str]:
    return {str(as_of) for (as_of,) in query(
        warehouse.database, "select distinct as_of from {0}", "refresh_checkpoint")}


def refresh_keys(warehouse: Warehouse) -> set[str]:
    return {key for (key,) in query(warehouse.database, "select refresh_key from {0}",
                                    "refresh_contact_keys")}


# What the project's get_where_subquery adds to a test scoped to the refreshed contacts.
SCOPE_PREDICATE = "in (select refresh_key from "


def data_test_outcomes(warehouse: Warehouse) -> dict[str, tuple[str, str, bool]]:
    """The data tests of the last command on `warehouse`: test unique_id -> (the model it is
    attached to, its status, whether its SQL is scoped to refresh_contact_keys)."""
    target = warehouse.work / "target"
    nodes = json.loads((target / "manifest.json").read_text(encoding="utf-8"))["nodes"]
    outcomes = {}
    for result in json.loads((target / "run_results.json").read_text(encoding="utf-8"))["results"]:
        node = nodes.get(result["unique_id"], {})
        if node.get("resource_type") == "test" and node.get("attached_node"):
            outcomes[result["unique_id"]] = (node["attached_node"].split(".")[-1], result["status"],
                                             SCOPE_PREDICATE in (result["compiled_code"] or ""))
    return outcomes


# The models a daily build rewrites by whole contacts (dbt_project.yml: incremental strategy
# refresh_contacts): their data tests may check the refreshed contacts only.
REFRESHED_BY_CONTACT = {"stg_crm__contacts", "stg_crm__opportunities", "stg_crm__sales_activities",
                        "stg_marketing__engagement_events", "int_engagement_events_matched",
                        "int_contacts_current_stage_assigned", "int_stage_entries_unioned"}


def test_partial_build_at_a_new_as_of_fails_naming_the_stale_parent_then_plain_build_is_right(
        base: Base, tmp_path: Path) -> None:
    """Case 1. At the same as_of on unchanged raw rows, `--select lead_stages+` is right and
    succeeds. After day 1 is appended, `--select lead_stages+` at day 1's as_of would build
    lead_stages on intermediate models left at A: it fails, naming lead_stages, the parent,
    both as_of values and `dbt build --select +lead_stages`; the checkpoint stays at A (it
    never advances in a partial build). The next plain build equals the full refresh."""
    warehouse = copy_of(base, tmp_path)
    same = warehouse.dbt(["build", "--select", "lead_stages+", *NO_UNIT_TESTS], BASE_AS_OF)
    assert same.returncode == 0, same.output
    append_day(warehouse, base.day1)
    partial = warehouse.dbt(["build", "--select", "lead_stages+", *NO_UNIT_TESTS], base.day1_as_of)
    assert partial.returncode != 0, partial.output
    assert re.search(r"lead_funnel: lead_stages is not built: its parent \w+, which this build "
                     r"does not run, was last built at as_of 2025-06-30 00:00:00", partial.output)
    assert "dbt build --select +lead_stages" in partial.output
    assert checkpoint_as_of(warehouse) == {"2025-06-30 00:00:00"}
    assert plain_build_equals_full_refresh(warehouse, base.day1_as_of) == []
    assert checkpoint_as_of(warehouse) == {"2025-07-01 00:00:00"}


def test_rows_out_of_loaded_at_order_future_or_blank_are_each_taken_once(
        base: Base, tmp_path: Path) -> None:
    """Case 2. Day 1 with a third of its rows' `_loaded_at` scrambled (blank, 40 days after
    day 1's as_of, 12 days before A; sequence_support.scrambled_day): the plain build takes every appended row (the
    reconciliation test passes: raw = staged + folded + quarantined) and equals the full
    refresh. A second plain build at the same as_of, nothing appended, recomputes nobody: no
    raw row is new (no parsed_batch beyond the checkpoint's) and no timestamp lies between
    equal as_of values, so refresh_contact_keys is empty."""
    warehouse = copy_of(base, tmp_path)
    day = scrambled_day(base.day1, tmp_path / "scrambled", seed=3, as_of=base.day1_as_of)
    kinds = set()
    for table in TABLES:
        with (day / f"{table}.csv").open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                kinds.add("blank" if not row["_loaded_at"] else row["_loaded_at"][:7])
    assert {"blank", "2025-08", "2025-06"} <= kinds  # blank, future, before A
    append_day(warehouse, day)
    assert plain_build_equals_full_refresh(warehouse, base.day1_as_of) == []
    assert query(warehouse.database, "select bool_and(is_reconciled) from {0}",
                 "dq_source_reconciliation") == [(True,)]
    again = warehouse.dbt(["build", *NO_UNIT_TESTS], base.day1_as_of)
    assert again.returncode == 0, again.output
    assert refresh_keys(warehouse) == set()


def test_a_timestamp_format_change_fails_dbt_build_naming_table_share_and_reason(
        base: Base, tmp_path: Path) -> None:
    """Case 3. Every second engagement event's occurred_at rewritten as `03/01/2024 10:00`
    (unparseable in docs/funnel_rules.md §3): at least half the events are quarantined, above
    quarantine_error_share (0.2): `dbt build` fails and prints the table, the share and the
    top reason. With quarantine_error_share 0.9 the same build passes with a warning (above
    quarantine_warn_share 0.05)."""
    data = tmp_path / "reformatted"
    shutil.copytree(base.data, data)
    path = data / "engagement_events.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    column = rows[0].index("occurred_at")
    for number, row in enumerate(rows[1:]):
        if number % 2 == 0:
            row[column] = "03/01/2024 10:00"
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    warehouse = new_warehouse(tmp_path, "reformatted_warehouse")
    load_raw(data, warehouse.database, append=False)
    failed = warehouse.dbt(["build", *NO_UNIT_TESTS], BASE_AS_OF)
    assert failed.returncode != 0
    spike = re.search(r"quarantine spike in engagement_events: (\d+) of (\d+) raw rows quarantined "
                      r"\(([0-9.]+)\), above quarantine_error_share 0.2; top reason "
                      r"unparseable_timestamp \((\d+) rows\)", failed.output)
    assert spike, failed.output
    quarantined, raw, _, unparseable = (float(value) for value in spike.groups())
    # The share is of the rows up to as_of: those after it are a later day's, not bad rows.
    [(later,)] = query(warehouse.database, "select count(*) from {0} where source_table = "
                       "'engagement_events' and quarantine_reason = 'after_as_of'",
                       "dq_quarantined_rows")
    assert raw == len(rows) - 1 - later and unparseable >= (len(rows) - 1) // 2
    assert quarantined / raw >= 0.5
    assert re.search(r"FAIL 2 quarantined_share_of_engagement_events_is_normal", failed.output)
    warned = warehouse.dbt(["build", *NO_UNIT_TESTS, "--vars",
                            '{as_of: "' + BASE_AS_OF + '", quarantine_error_share: 0.9}'], None)
    assert warned.returncode == 0, warned.output
    assert "above quarantine_warn_share 0.05" in warned.output
    assert re.search(r"WARN 1 quarantined_share_of_engagement_events_is_normal", warned.output)


def touched_contacts(base: Base) -> set[str]:
    """The contacts of day 1's rows, and of every row sharing an event, activity or
    opportunity id with one of them (trimmed text; '' for a blank contact_id)."""
    touched: set[str] = set()
    for table, key in ROW_KEYS.items():
        with (base.day1 / f"{table}.csv").open(newline="", encoding="utf-8") as handle:
            day_rows = list(csv.DictReader(handle))
        touched |= {row["contact_id"].strip() for row in day_rows}
        if table == "contacts":
            continue
        day_keys = {row[key].strip() for row in day_rows if row[key].strip()}
        with (base.data / f"{table}.csv").open(newline="", encoding="utf-8") as handle:
            touched |= {row["contact_id"].strip() for row in csv.DictReader(handle)
                        if row[key].strip() in day_keys}
    return touched


def test_a_one_day_append_refreshes_only_the_touched_contacts(base: Base, tmp_path: Path) -> None:
    """Case 4. Day 1 appended and built at the same as_of A (so that no timestamp crosses
    as_of): refresh_contact_keys is exactly the contacts of the appended rows plus those
    sharing an id with them (a re-delivered event, a deal's new version), computed here from
    the CSVs; far fewer than the 300 generated contacts. Its data tests of the incremental
    models read only those contacts (the base build passed every test); the marts' read all."""
    warehouse = copy_of(base, tmp_path)
    append_day(warehouse, base.day1)
    built = warehouse.dbt(["build", *NO_UNIT_TESTS], BASE_AS_OF)
    assert built.returncode == 0, built.output
    expected = touched_contacts(base)
    assert refresh_keys(warehouse) == expected
    assert 0 < len(expected) < 150
    # The base build passed every data test, so this build tests, in the models it rewrote
    # by contact, only the refreshed contacts; the marts in full.
    outcomes = data_test_outcomes(warehouse)
    assert {status for _, status, _ in outcomes.values()} == {"pass"}
    scoped_models = {model for model, _, scoped in outcomes.values() if scoped}
    assert REFRESHED_BY_CONTACT <= scoped_models, REFRESHED_BY_CONTACT - scoped_models
    assert not scoped_models & {"lead_stages", "lead_handoffs", "funnel_conversion", "refresh_contact_keys"}


def test_a_backfill_at_a_past_as_of_is_no_quarantine_spike(base: Base, tmp_path: Path) -> None:
    """A build at a past as_of (A − 180 days, a backfill) quarantines every row dated after it
    as after_as_of: rows of a later day, not bad rows. The spike test leaves them out of both
    counts, so the build passes although more than quarantine_error_share (0.2) of the events
    are quarantined, and equals the full refresh at that as_of."""
    warehouse = copy_of(base, tmp_path)
    past = "2025-01-01T00:00:00Z"
    assert plain_build_equals_full_refresh(warehouse, past) == []
    [(later, raw)] = query(
        warehouse.database,
        "select count(*) filter (where quarantined.quarantine_reason = 'after_as_of'), "
        "max(reconciliation.raw_rows) from {0} as quarantined join {1} as reconciliation "
        "using (source_table) where source_table = 'engagement_events'",
        "dq_quarantined_rows", "dq_source_reconciliation")
    assert later / raw > 0.2, (later, raw)  # the build would fail if they counted


def test_rows_written_without_their_tests_are_tested_in_full_by_the_next_build(
        base: Base, tmp_path: Path) -> None:
    """`dbt run` rewrites the incremental models without testing them; the next plain build
    then tests every row of them (no test is scoped to refresh_contact_keys). The base build
    (`--full-refresh`) tested everything too."""
    assert not any(scoped for _, _, scoped in data_test_outcomes(base.warehouse).values())
    warehouse = copy_of(base, tmp_path)
    append_day(warehouse, base.day1)
    ran = warehouse.dbt(["run"], BASE_AS_OF)
    assert ran.returncode == 0, ran.output
    built = warehouse.dbt(["build", *NO_UNIT_TESTS], BASE_AS_OF)
    assert built.returncode == 0, built.output
    outcomes = data_test_outcomes(warehouse)
    assert {model for model, _, _ in outcomes.values()} >= REFRESHED_BY_CONTACT
    assert not any(scoped for _, _, scoped in outcomes.values())


def test_an_extract_replaced_with_fewer_rows_is_parsed_again_in_full(
        base: Base, tmp_path: Path) -> None:
    """Raw events replaced rather than appended: three rows the base build parsed are gone,
    and day 1 is appended. The parsed events model finds a row_hash with more parsed than raw
    rows in the same statement that finds the new rows, so it parses every raw row again under
    one new batch (the other parsed models, appended to, keep two batches), and the plain build
    equals the full refresh."""
    warehouse = copy_of(base, tmp_path)
    with duckdb.connect(str(warehouse.database)) as connection:
        connection.execute("delete from raw.engagement_events where event_id in "
                           "(select event_id from raw.engagement_events order by event_id limit 3)")
    append_day(warehouse, base.day1)
    assert plain_build_equals_full_refresh(warehouse, base.day1_as_of) == []
    batches = {relation: count for relation in ("base_marketing__engagement_events_parsed",
                                                "base_crm__contacts_parsed")
               for (count,) in query(warehouse.database,
                                     "select count(distinct parsed_batch) from {0}", relation)}
    assert batches == {"base_marketing__engagement_events_parsed": 1,
                       "base_crm__contacts_parsed": 2}


@pytest.mark.parametrize(("change", "reason"), [
    ("drop column row_hash", "it has no row_hash column, which change detection needs"),
    ("add column occurred_at_text varchar",
     "it still has the column occurred_at_text, which the parsed models no longer keep"),
], ids=["without_row_hash", "with_timestamp_text"])
def test_a_parsed_table_from_an_earlier_version_asks_for_one_full_refresh(
        base: Base, tmp_path: Path, change: str, reason: str) -> None:
    """A parsed table of an earlier version (built before change detection kept row_hash, or
    when the parsed models still kept each timestamp's text): the next incremental run of it
    fails, saying so and naming `dbt build --full-refresh`, rather than guessing which raw rows
    it has parsed or failing on a column difference; the full refresh then rebuilds it."""
    warehouse = copy_of(base, tmp_path)
    with duckdb.connect(str(warehouse.database)) as connection:
        table = qualified_name(connection, "base_marketing__engagement_events_parsed")
        connection.execute(f"alter table {table} {change}")
    select = ["--select", "base_marketing__engagement_events_parsed"]
    refused = warehouse.dbt(["run", *select], BASE_AS_OF)
    assert refused.returncode != 0, refused.output
    assert re.search(r"base_marketing__engagement_events_parsed\S* was built by an earlier version "
                     r"of lead_funnel \(" + re.escape(reason), refused.output), refused.output
    assert "run `dbt build --full-refresh` once" in refused.output
    rebuilt = warehouse.dbt(["run", *select, "--full-refresh"], BASE_AS_OF)
    assert rebuilt.returncode == 0, rebuilt.output
    columns = {name for (name,) in query(
        warehouse.database, "select column_name from (describe {0})",
        "base_marketing__engagement_events_parsed")}
    assert "row_hash" in columns and "occurred_at_text" not in columns
    assert query(warehouse.database, "select count(*) from {0} where row_hash is null",
                 "base_marketing__engagement_events_parsed") == [(0,)]
