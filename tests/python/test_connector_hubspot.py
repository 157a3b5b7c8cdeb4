"""The HubSpot adapter (docs/funnel_rules.md §10, docs/connect_your_crm.md).

Parity: one generated clean world (connector_support.WORLD: 300 contacts, seed 23) is built
(a) through the adapter from the tables Fivetran's HubSpot connector lands (``lead-funnel generate
--shape hubspot``) and (b) from its restricted raw rendition (the four §2 tables with only what
HubSpot can express). Every mart must be the same row by row on DuckDB, PostgreSQL and the local
Spark session (lead_stages without crm_mql_at, the stamp only HubSpot has). On Spark, where a
build takes minutes, the adapter build is compared with the restricted build on DuckDB: that the
raw path gives the same marts on both engines is test_engine_parity's.

Shape: the adapter builds on empty tables with exactly the published columns (every column of
models/staging/hubspot/_hubspot__sources.yml) and with only the required ones (those not marked
optional), and its views give exactly the §2 columns in order.

The mapping seeds and the shape's readings are unit-tested here by hand-worked rows; the adapter's
SQL readings by the dbt unit tests in the YAML beside each view
(models/staging/hubspot/hubspot__<table>.yml), run by the connector builds (see
test_the_adapter_unit_tests_pass).
"""

from __future__ import annotations

import csv
import json
import importlib
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pytest

from lead_funnel.contract import TABLE_COLUMNS
from lead_funnel.dbt_runner import build_command
from lead_funnel.generation.shapes import hubspot
from lead_funnel.generation.shapes.world import status_activities

from connector_support import assert_adapter_builds_empty, COMPARED, ConnectorParity, run_connector_parity
from parity_support import PROJECT_DIR, Workspace

# Every case builds the project (two dbt builds per parity case): not part of `make check`.
pytestmark = pytest.mark.slow

SHAPE = "hubspot"
SOURCES_YML = PROJECT_DIR / "models" / "staging" / "hubspot" / "_hubspot__sources.yml"


def _report(parity: ConnectorParity, relation: str) -> None:
    if parity.failures() or set(parity.tables) != {"connector", "restricted"}:
        pytest.fail("\n".join(parity.failures()) or "a build was not read")
    comparison = parity.comparison(relation)
    rows = len(parity.tables["restricted"][relation].rows)
    print(f"[hubspot parity] {parity.engine} {relation}: {rows} rows restricted, "
          f"{comparison.rows} through the adapter: "
          f"{'same' if not comparison.problems else 'DIFFERENT'}")
    assert rows > 0, f"{relation} is empty: the comparison would prove nothing"
    assert not comparison.problems, "\n".join(comparison.problems)


@pytest.fixture(scope="module")
def duckdb_parity(tmp_path_factory: pytest.TempPathFactory) -> ConnectorParity:
    return run_connector_parity(SHAPE, "duckdb", tmp_path_factory.mktemp("hubspot_duckdb"))


@pytest.mark.parametrize("relation", COMPARED)
def test_marts_through_hubspot_equal_the_restricted_raw_build_duckdb(
        duckdb_parity: ConnectorParity, relation: str) -> None:
    _report(duckdb_parity, relation)


def test_the_parity_world_exercises_every_reading(duckdb_parity: ConnectorParity) -> None:
    """Not vacuous: the adapter build logged handoffs with every outcome the status mapping can
    give, SQLs (OPEN_DEAL with all four BANT) and customers, counted the unmapped forms (the
    default seed maps no form) and compared HubSpot's MQL stamps."""
    if "connector" not in duckdb_parity.tables:
        pytest.fail("\n".join(duckdb_parity.failures()))
    handoffs = duckdb_parity.tables["connector"]["lead_handoffs"]
    outcomes = {row[handoffs.names.index("outcome")] for row in handoffs.rows}
    assert {"accepted", "rejected"} <= outcomes, outcomes
    assert any(row[handoffs.names.index("sql_at")] for row in handoffs.rows)
    stages = duckdb_parity.tables["connector"]["lead_stages"]
    current = {row[stages.names.index("current_stage")] for row in stages.rows}
    assert {"customer", "disqualified", "recycled"} <= current, current
    database = duckdb_parity.workspaces["connector"].duckdb_file
    with duckdb.connect(str(database), read_only=True) as connection:
        unmapped = connection.execute(
            "select source_field, count(*) from analytics_data_quality.dq_connector_unmapped_values "
            "group by 1").fetchall()
        stamps = connection.execute(
            "select count(crm_mql_at) from analytics.lead_stages").fetchall()[0][0]
        differences = connection.execute(
            "select count(*) from analytics_data_quality.dq_crm_mql_differences").fetchall()[0][0]
    # The world submits 7 kinds of forms (hubspot.FORM_TYPES), none in the default seed.
    assert dict(unmapped) == {"form_id": len(hubspot.FORM_TYPES)}
    assert stamps > 0 and differences >= 0


@pytest.mark.postgres
@pytest.mark.parametrize("relation", COMPARED)
def test_marts_through_hubspot_equal_the_restricted_raw_build_postgres(
        postgres_parity: ConnectorParity, relation: str) -> None:
    _report(postgres_parity, relation)


@pytest.fixture(scope="module")
def postgres_parity(tmp_path_factory: pytest.TempPathFactory) -> ConnectorParity:
    return run_connector_parity(SHAPE, "postgres", tmp_path_factory.mktemp("hubspot_postgres"))


@pytest.fixture(scope="module")
def spark_parity(tmp_path_factory: pytest.TempPathFactory) -> ConnectorParity:
    return run_connector_parity(SHAPE, "spark", tmp_path_factory.mktemp("hubspot_spark"),
                                reference_engine="duckdb")


@pytest.mark.spark
@pytest.mark.parametrize("relation", COMPARED)
def test_marts_through_hubspot_equal_the_restricted_raw_build_spark(
        spark_parity: ConnectorParity, relation: str) -> None:
    _report(spark_parity, relation)


# --- shape: the published column lists -------------------------------------------------------

def published_columns(required_only: bool) -> dict[str, list[str]]:
    yaml: Any = importlib.import_module("yaml")
    source = yaml.safe_load(SOURCES_YML.read_text(encoding="utf-8"))["sources"][0]
    return {table["name"]: [column["name"] for column in table["columns"]
                            if not (required_only and column.get("config", {}).get(
                                "meta", {}).get("optional"))]
            for table in source["tables"]}


def load_empty_tables(tmp_path: Path, required_only: bool,
                      left_out: tuple[str, str] | None = None) -> Workspace:
    """A DuckDB workspace whose schema hubspot holds empty landed tables with the published (or
    only the required) columns, but `left_out` = (table, column)."""
    data = tmp_path / "landed"
    data.mkdir()
    for table, names in published_columns(required_only).items():
        kept = [name for name in names if (table, name) != left_out]
        with (data / f"{table}.csv").open("w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerow(kept)
    space = Workspace("duckdb", tmp_path)
    loaded = space.run("load", [str(Path(sys.executable).parent / "lead-funnel"), "load",
                                "--shape", SHAPE, "--data", str(data), "--database",
                                str(space.duckdb_file)])
    assert loaded.returncode == 0, loaded.failure
    return space


@pytest.mark.parametrize("required_only", [False, True], ids=["published", "required"])
def test_adapter_builds_on_empty_tables(tmp_path: Path, required_only: bool) -> None:
    """Empty landed tables with exactly the published (or only the required) columns: the
    adapter views and everything up to the marts build, and each view has the §2 columns in
    order."""
    space = load_empty_tables(tmp_path, required_only)
    assert_adapter_builds_empty(space, SHAPE, as_of="2025-06-30T12:00:00Z")

def test_a_missing_required_column_is_named_before_any_model(tmp_path: Path) -> None:
    """contact without property_createdate: on-run-start names the table, the column and the
    var hubspot_schema (validate_raw_contract)."""
    space = load_empty_tables(tmp_path, True, left_out=("contact", "property_createdate"))
    build = space.run("dbt run", build_command(
        "run", as_of="2025-06-30T12:00:00Z", project=PROJECT_DIR,
        dbt_vars={"crm_connector": SHAPE}), space.env("-run"))
    assert build.returncode != 0
    assert "hubspot table hubspot.contact lacks column property_createdate" in build.output
    assert "hubspot_schema" in build.output


# --- the shape's readings, by hand --------------------------------------------------------------

def test_lead_sources_read_back_as_the_adapter_reads_them() -> None:
    """Every channel of the generated world lands as a HubSpot source the §10 reading turns
    back into it, except partner, which HubSpot has not: OTHER_CAMPAIGNS -> other."""
    read_back = {channel: hubspot.funnel_source(value)
                 for channel, value in hubspot.HUBSPOT_SOURCES.items()}
    assert read_back == {"organic_search": "organic_search", "paid_search": "paid_search",
                         "social": "social", "email": "email", "referral": "referral",
                         "direct": "direct", "events": "events", "partner": "other",
                         "other": "other"}
    assert hubspot.funnel_source(" Paid_Social ") == "social"


def test_status_changes_map_through_the_default_seed() -> None:
    """Contact c1's hs_lead_status history NEW (09:00), IN_PROGRESS (10:00), IN_PROGRESS
    (11:00, no change), BAD_TIMING (12:00), CUSTOM_X (13:00, no seed row), OPEN_DEAL (14:00),
    UNQUALIFIED (15:00): NEW logs nothing (blank activity_type), the repeated IN_PROGRESS and the
    unmapped CUSTOM_X neither; so 4 activities: sales_accepted at 10:00, sales_rejected
    bad_timing at 12:00, qualification with budget/authority/need/timeline all 'true' at 14:00,
    disqualified other at 15:00, each by the contact's owner rep_1, with id
    c1-<epoch seconds> (2024-01-01 10:00:00 UTC = 1704103200)."""
    values = ["NEW", "IN_PROGRESS", "IN_PROGRESS", "BAD_TIMING", "CUSTOM_X", "OPEN_DEAL",
              "UNQUALIFIED"]
    changes = [{"contact_id": "c1", "value": value, "timestamp": f"2024-01-01 {9 + hour:02d}:00:00",
                "_fivetran_synced": "2024-01-02 00:00:00"} for hour, value in enumerate(values)]
    activities = status_activities(SHAPE, "hs_lead_status", changes, {"c1": "rep_1"})
    assert [(row["activity_type"], row["rejection_reason"], row["occurred_at"])
            for row in activities] == [
        ("sales_accepted", "", "2024-01-01 10:00:00"),
        ("sales_rejected", "bad_timing", "2024-01-01 12:00:00"),
        ("qualification", "", "2024-01-01 14:00:00"),
        ("disqualified", "other", "2024-01-01 15:00:00")]
    assert activities[0]["activity_id"] == "c1-1704103200"
    assert [activities[2][f"{field}_confirmed"] for field in
            ("budget", "authority", "need", "timeline")] == ["true"] * 4
    assert {row["owner_id"] for row in activities} == {"rep_1"}


def test_the_adapter_unit_tests_pass(tmp_path: Path) -> None:
    """The dbt unit tests of models/staging/hubspot (hand-worked rows of the §10 readings) pass
    with crm_connector hubspot: on empty landed tables with every published column."""
    space = load_empty_tables(tmp_path, False)
    built = space.run("dbt build", build_command(
        "build", as_of="2025-06-30T12:00:00Z", project=PROJECT_DIR,
        dbt_vars={"crm_connector": SHAPE},
        select=["+path:models/staging/hubspot"],
        extra_args=["--exclude-resource-type", "test"]), space.env("-build"))
    assert built.returncode == 0, built.failure
    results = space.run_results("build").get("results", [])
    unit_tests = {str(result["unique_id"]).split(".")[-1]: result["status"] for result in results
                  if str(result["unique_id"]).startswith("unit_test.")}
    assert unit_tests and set(unit_tests.values()) == {"pass"}, unit_tests
    assert "test_hubspot__contacts_reads_lead_source" in unit_tests


def test_the_cli_writes_and_loads_the_shape(tmp_path: Path) -> None:
    """`lead-funnel generate --shape hubspot` writes HubSpot's tables and the restricted rendition."""
    out = tmp_path / "hubspot"
    result = subprocess.run([str(Path(sys.executable).parent / "lead-funnel"), "generate",
                             "--shape", SHAPE, "--contacts", "20", "--out", str(out)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert {path.name for path in out.glob("*.csv")} == {
        "contact.csv", "email_event.csv", "contact_form_submission.csv",
        "contact_property_history.csv", "deal.csv", "deal_pipeline_stage.csv",
        "deal_contact.csv"}
    assert {path.name for path in (out / "restricted").glob("*.csv")} == {
        f"{table}.csv" for table in TABLE_COLUMNS}


def test_the_rules_doc_lists_exactly_the_published_columns() -> None:
    """docs/funnel_rules.md §10's HubSpot table names every table with its required and optional
    columns as models/staging/hubspot/_hubspot__sources.yml declares them."""
    rules = (PROJECT_DIR / "docs" / "funnel_rules.md").read_text(encoding="utf-8")
    rows = {}
    section = rules.split("\nHubSpot:\n", 1)[1].split("\n\n- ", 1)[0]  # up to the readings
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.split("|")[1:-1]]
        if len(cells) == 3 and cells[0].startswith("`"):
            rows[cells[0].strip("`")] = [[name.strip(" `") for name in cell.split(",") if name.strip()]
                                         for cell in cells[1:]]
    required, published = published_columns(True), published_columns(False)
    assert set(rows) == set(published)
    for table, (required_cells, optional_cells) in rows.items():
        assert required_cells == required[table], table
        assert sorted(required_cells + optional_cells) == sorted(published[table]), table


def test_demo_runs_through_the_hubspot_adapter(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """`lead-funnel demo --connector hubspot`: the sample is written as HubSpot's tables, loaded
    into schema hubspot (no raw tables), and dbt builds it with crm_connector hubspot (a stand-in
    dbt records the command; the real build is the parity test's)."""
    from lead_funnel import cli, commands, dbt_runner
    from test_cli import fake_dbt

    script, record = fake_dbt(tmp_path / "bin")
    monkeypatch.setattr(dbt_runner, "dbt_executable", lambda: str(script))
    monkeypatch.setattr(commands, "summarize", lambda database: "summary")
    database = tmp_path / "demo.duckdb"
    assert cli.main(["demo", "--connector", SHAPE, "--contacts", "30", "--out",
                     str(tmp_path / "sample"), "--database", str(database)]) == 0
    ran = [json.loads(line) for line in record.read_text().splitlines()]
    assert len(ran) == 1 and ran[0][0] == "build" and "--full-refresh" in ran[0]
    assert json.loads(ran[0][ran[0].index("--vars") + 1])["crm_connector"] == SHAPE
    with duckdb.connect(str(database), read_only=True) as connection:
        schemas = {schema for (schema,) in connection.execute(
            "select distinct table_schema from information_schema.tables").fetchall()}
        contacts = connection.execute("select count(*) from hubspot.contact").fetchall()[0][0]
    assert schemas == {SHAPE} and contacts == 30
