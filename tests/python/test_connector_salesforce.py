"""The Salesforce adapter (docs/funnel_rules.md §10, docs/connect_your_crm.md "Salesforce").

Parity: one generated clean world (connector_support.WORLD: 300 contacts, seed 23) is built
(a) through the adapter from the tables Fivetran's Salesforce connector lands (``lead-funnel
generate --shape salesforce``: leads, some converted into contacts, accounts and opportunities,
lead status history, campaign members, tasks and events) and (b) from its restricted raw
rendition (the four §2 tables with only what Salesforce can express). Every mart must be the same
row by row on DuckDB and PostgreSQL (lead_stages without crm_mql_at, always null here).

Shape: the adapter builds on empty tables with exactly the column lists Fivetran publishes
(fivetran/dbt_salesforce's get_<table>_columns macros; for lead_history and
opportunity_contact_role, which that package does not model, the fields of Salesforce's
LeadHistory and OpportunityContactRole objects as Fivetran lands them), and again with only the
required columns (those of models/staging/salesforce/_salesforce__sources.yml not marked optional);
its views give exactly the §2 columns in order.

The adapter's readings (one person per converted lead, the status mapping, the primary contact,
campaign responses) are the dbt unit tests in the YAML beside each view
(models/staging/salesforce/salesforce__<model>.yml), hand-worked; test_the_adapter_unit_tests_pass
runs them.
"""

from __future__ import annotations

import csv
import importlib
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pytest

from lead_funnel.contract import TABLE_COLUMNS
from lead_funnel.dbt_runner import build_command
from lead_funnel.generation.shapes import salesforce
from lead_funnel.generation.dataset import GeneratorConfig, generate_to_dir

from connector_support import (COMPARED, ConnectorParity, assert_adapter_builds_empty,
                               assert_same_mart, connector_funnel, load_landed_tables,
                               rules_doc_columns, run_connector_parity)
from parity_support import PROJECT_DIR

# Every case builds the project (two dbt builds per parity case): not part of `make check`.
pytestmark = pytest.mark.slow

SHAPE = "salesforce"
AS_OF = "2025-06-30T12:00:00Z"
SOURCES_YML = PROJECT_DIR / "models" / "staging" / "salesforce" / "_salesforce__sources.yml"


def _names(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# The columns Fivetran publishes per table (see the module docstring).
PUBLISHED_COLUMNS: dict[str, tuple[str, ...]] = {
    "lead": _names("""_fivetran_synced _fivetran_active annual_revenue city company
        converted_account_id converted_contact_id converted_date converted_opportunity_id country
        country_code created_by_id created_date description email email_bounced_date
        email_bounced_reason first_name has_opted_out_of_email id individual_id industry
        is_converted is_deleted is_unread_by_owner last_activity_date last_modified_by_id
        last_modified_date last_name last_referenced_date last_viewed_date lead_source
        master_record_id mobile_phone name number_of_employees owner_id phone postal_code state
        state_code status street title website"""),
    "contact": _names("""_fivetran_synced _fivetran_active account_id department description
        email first_name home_phone id individual_id is_deleted last_activity_date
        last_modified_by_id last_modified_date last_name last_referenced_date last_viewed_date
        lead_source mailing_city mailing_country mailing_country_code mailing_postal_code
        mailing_state mailing_state_code mailing_street master_record_id mobile_phone name
        owner_id phone reports_to_id title"""),
    "account": _names("""_fivetran_synced _fivetran_active account_number account_source
        annual_revenue billing_city billing_country billing_postal_code billing_state
        billing_state_code billing_street description id industry is_deleted last_activity_date
        last_referenced_date last_viewed_date master_record_id name number_of_employees owner_id
        ownership parent_id rating record_type_id shipping_city shipping_country
        shipping_country_code shipping_postal_code shipping_state shipping_state_code
        shipping_street type website"""),
    "opportunity": _names("""_fivetran_synced _fivetran_active account_id amount campaign_id
        close_date created_date description expected_revenue fiscal fiscal_quarter fiscal_year
        forecast_category forecast_category_name has_open_activity has_opportunity_line_item
        has_overdue_task id is_closed is_deleted is_won last_activity_date last_referenced_date
        last_viewed_date lead_source name next_step owner_id probability record_type_id
        stage_name synced_quote_id type"""),
    "opportunity_contact_role": _names("""id _fivetran_synced contact_id created_by_id
        created_date is_deleted is_primary last_modified_by_id last_modified_date opportunity_id
        role system_modstamp"""),
    "campaign": _names("""_fivetran_active _fivetran_synced actual_cost amount_all_opportunities
        budgeted_cost description end_date id is_active is_deleted name number_of_contacts
        number_of_converted_leads number_of_leads number_of_opportunities number_of_responses
        number_of_won_opportunities campaign_member_record_type_id parent_id start_date status
        type"""),
    "campaign_member": _names("""_fivetran_active _fivetran_synced account_id campaign_id
        contact_id created_by_id created_date first_responded_date has_opted_out_of_email
        has_responded id is_deleted last_modified_by_id lead_id lead_or_contact_id
        lead_or_contact_owner_id status"""),
    "lead_history": _names("""id _fivetran_synced created_by_id created_date data_type field
        is_deleted lead_id new_value old_value"""),
    "task": _names("""_fivetran_synced _fivetran_active account_id activity_date call_disposition
        call_duration_in_seconds call_object call_type completed_date_time created_by_id
        created_date description id is_archived is_closed is_deleted is_high_priority
        last_modified_by_id last_modified_date owner_id priority record_type_id status subject
        task_subtype type what_count what_id who_count who_id"""),
    "event": _names("""_fivetran_synced _fivetran_active account_id activity_date
        activity_date_time created_by_id created_date description end_date end_date_time
        event_subtype group_event_type id is_archived is_child is_deleted is_group_event
        is_recurrence last_modified_by_id last_modified_date location owner_id start_date_time
        subject type what_count what_id who_count who_id"""),
    "user": _names("""_fivetran_deleted _fivetran_active _fivetran_synced account_id alias city
        company_name contact_id country country_code department email first_name id
        individual_id is_active last_login_date last_name last_referenced_date last_viewed_date
        manager_id name postal_code profile_id state state_code street title user_role_id
        user_type username"""),
}


def required_columns() -> dict[str, tuple[str, ...]]:
    """The columns of _salesforce__sources.yml not marked optional, per table."""
    yaml: Any = importlib.import_module("yaml")
    source = yaml.safe_load(SOURCES_YML.read_text(encoding="utf-8"))["sources"][0]
    return {table["name"]: tuple(column["name"] for column in table["columns"]
                                 if not column.get("config", {}).get("meta", {}).get("optional"))
            for table in source["tables"]}


# --- parity -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def duckdb_parity(tmp_path_factory: pytest.TempPathFactory) -> ConnectorParity:
    return run_connector_parity(SHAPE, "duckdb", tmp_path_factory.mktemp("salesforce_duckdb"))


@pytest.fixture(scope="module")
def postgres_parity(tmp_path_factory: pytest.TempPathFactory) -> ConnectorParity:
    return run_connector_parity(SHAPE, "postgres",
                                tmp_path_factory.mktemp("salesforce_postgres"))


@pytest.mark.parametrize("relation", COMPARED)
def test_marts_through_salesforce_equal_the_restricted_raw_build_duckdb(
        duckdb_parity: ConnectorParity, relation: str) -> None:
    assert_same_mart(duckdb_parity, relation)


@pytest.mark.postgres
@pytest.mark.parametrize("relation", COMPARED)
def test_marts_through_salesforce_equal_the_restricted_raw_build_postgres(
        postgres_parity: ConnectorParity, relation: str) -> None:
    assert_same_mart(postgres_parity, relation)


def test_the_parity_world_exercises_the_funnel(duckdb_parity: ConnectorParity) -> None:
    """Not vacuous: through Salesforce the world has accepted and rejected handoffs, SQLs
    (Closed - Converted gives all four BANT), customers and recycled leads; every campaign
    response is counted as unmapped (the default seed maps no campaign response, so each is a
    form_submission); and no CRM MQL stamp exists."""
    outcomes, reached_sql, current = connector_funnel(duckdb_parity)
    assert {"accepted", "rejected"} <= outcomes and reached_sql, outcomes
    assert {"customer", "recycled", "mql"} <= current, current
    database = duckdb_parity.workspaces["connector"].duckdb_file
    with duckdb.connect(str(database), read_only=True) as connection:
        unmapped = connection.execute(
            "select source_field, sum(row_count) from "
            "analytics_data_quality.dq_connector_unmapped_values group by 1").fetchall()
        responses = connection.execute(
            "select count(*) from analytics_staging.salesforce__campaign_responses").fetchall()
        stamps = connection.execute(
            "select count(crm_mql_at) from analytics.lead_stages").fetchall()
    assert dict(unmapped) == {"campaign.type / campaign_member.status": responses[0][0]}
    assert stamps == [(0,)]


# --- shape ------------------------------------------------------------------------------------

@pytest.mark.parametrize("required_only", [False, True], ids=["published", "required"])
def test_adapter_builds_on_empty_tables(tmp_path: Path, required_only: bool) -> None:
    """Empty landed tables with exactly Fivetran's published columns (or only the required
    ones): the adapter views and everything up to the marts build, and each view has the §2
    columns in order."""
    columns = required_columns() if required_only else PUBLISHED_COLUMNS
    assert_adapter_builds_empty(load_landed_tables(tmp_path, SHAPE, columns), SHAPE, AS_OF)


def test_the_required_columns_are_published() -> None:
    """Every column the adapter requires is one Fivetran publishes (the required-only build is
    a subset of the published one)."""
    for table, names in required_columns().items():
        assert set(names) <= set(PUBLISHED_COLUMNS[table]), table


def test_the_rules_doc_lists_exactly_the_declared_columns() -> None:
    """docs/funnel_rules.md §10's Salesforce table names every table of
    models/staging/salesforce/_salesforce__sources.yml with its required and optional columns."""
    rows = rules_doc_columns("Salesforce")
    yaml: Any = importlib.import_module("yaml")
    source = yaml.safe_load(SOURCES_YML.read_text(encoding="utf-8"))["sources"][0]
    declared = {table["name"]: [column["name"] for column in table["columns"]]
                for table in source["tables"]}
    required = required_columns()
    assert set(rows) == set(declared)
    for table, (required_cells, optional_cells) in rows.items():
        assert required_cells == list(required[table]), table
        assert sorted(required_cells + optional_cells) == sorted(declared[table]), table


def test_a_missing_required_column_is_named_before_any_model(tmp_path: Path) -> None:
    """lead_history without new_value: on-run-start names the table, the column and the var
    salesforce_schema (validate_raw_contract)."""
    columns = dict(required_columns())
    columns["lead_history"] = tuple(c for c in columns["lead_history"] if c != "new_value")
    space = load_landed_tables(tmp_path, SHAPE, columns)
    run = space.run("dbt run", build_command("run", as_of=AS_OF, project=PROJECT_DIR,
                                             dbt_vars={"crm_connector": SHAPE}),
                    space.env("-run"))
    assert run.returncode != 0
    assert "salesforce.lead_history lacks column new_value" in run.output
    assert "salesforce_schema" in run.output


def test_the_adapter_unit_tests_pass(tmp_path: Path) -> None:
    """The dbt unit tests of models/staging/salesforce (hand-worked rows: one person per
    converted lead, the status mapping, the primary contact, campaign responses, unmapped counts)
    pass with crm_connector salesforce, on empty landed tables with the published columns."""
    space = load_landed_tables(tmp_path, SHAPE, PUBLISHED_COLUMNS)
    built = space.run("dbt build", build_command(
        "build", as_of=AS_OF, project=PROJECT_DIR, dbt_vars={"crm_connector": SHAPE},
        select=["+path:models/staging/salesforce"],
        extra_args=["--exclude-resource-type", "test"]), space.env("-build"))
    assert built.returncode == 0, built.failure
    results = space.run_results("build").get("results", [])
    unit_tests = {str(result["unique_id"]).split(".")[-1]: result["status"] for result in results
                  if str(result["unique_id"]).startswith("unit_test.")}
    assert set(unit_tests.values()) == {"pass"}, unit_tests
    assert {"test_salesforce__contacts_conversion_keeps_one_person",
            "test_salesforce__lead_statuses_mapping",
            "test_salesforce__opportunities_primary_contact"} <= set(unit_tests)


# --- the written shape ------------------------------------------------------------------------

def _read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_the_written_world_exercises_every_rule(tmp_path: Path) -> None:
    """The Salesforce rendition of a 300-contact world holds a case of every reading the parity
    test checks: converted leads (with a contact and account), contacts that never were leads,
    leads whose status is only their current status (no Status history), history rows of another
    field, opportunities without a primary role (their converted lead decides), non-primary roles,
    a deleted opportunity, unresponded campaign members, e-mail and call tasks and events."""
    raw, out = tmp_path / "raw", tmp_path / "salesforce"
    generate_to_dir(raw, GeneratorConfig(contacts=300, seed=23, dirty_rate=0.0, as_of=AS_OF))
    salesforce.write_salesforce(raw, out)
    assert {path.stem for path in out.glob("*.csv")} == set(salesforce.SALESFORCE_COLUMNS)
    leads, contacts = _read(out / "lead.csv"), _read(out / "contact.csv")
    history = _read(out / "lead_history.csv")
    converted = [lead for lead in leads if lead["is_converted"] == "true"]
    assert converted and all(lead["converted_contact_id"] for lead in converted)
    assert {c["id"] for c in contacts} - {lead["converted_contact_id"] for lead in converted}
    with_history = {row["lead_id"] for row in history if row["field"] == "Status"}
    assert [lead for lead in leads if lead["id"] not in with_history
            and lead["status"] != "Open - Not Contacted"]
    assert {row["field"] for row in history} == {"Status", "Owner"}
    roles = _read(out / "opportunity_contact_role.csv")
    opportunities = _read(out / "opportunity.csv")
    primary = {row["opportunity_id"] for row in roles if row["is_primary"] == "true"}
    assert {lead["converted_opportunity_id"] for lead in converted} - primary - {""}
    assert any(row["is_primary"] == "false" for row in roles)
    assert any(row["is_deleted"] == "true" for row in opportunities)
    assert any(row["has_responded"] == "false" for row in _read(out / "campaign_member.csv"))
    assert {row["task_subtype"] for row in _read(out / "task.csv")} == {"Call", "Email"}
    assert _read(out / "event.csv")


def test_the_cli_writes_the_shape(tmp_path: Path) -> None:
    """`lead-funnel generate --shape salesforce` writes Salesforce's tables and the restricted
    rendition."""
    out = tmp_path / "salesforce"
    result = subprocess.run([str(Path(sys.executable).parent / "lead-funnel"), "generate",
                             "--shape", SHAPE, "--contacts", "20", "--out", str(out)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert {path.stem for path in out.glob("*.csv")} == set(salesforce.SALESFORCE_COLUMNS)
    assert {path.name for path in (out / "restricted").glob("*.csv")} == {
        f"{table}.csv" for table in TABLE_COLUMNS}
