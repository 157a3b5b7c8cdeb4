"""Errors that say what to fix (issue 12): a misspelt var, a bad scoring rule, a raw table that
lacks a column or is missing. Each case feeds the bad input to a real `dbt build` on its own
DuckDB file and checks the message the user sees and that nothing was built (or lost).
"""

from __future__ import annotations

import importlib
import re
import subprocess
from pathlib import Path
from typing import Any

import duckdb
import pytest

from lead_funnel.dbt_runner import build_command, dbt_env, project_dir
from lead_funnel.warehouse.loading import load_directory
from test_reliability import project_copy

yaml: Any = importlib.import_module("yaml")  # no type stubs in the venv (as test_py_contract.py)

FIXTURE_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "raw"
AS_OF = "2024-07-01T00:00:00Z"
SEEDS = {path.stem for path in (Path(__file__).resolve().parents[2] / "seeds").glob("*.csv")}
RAW_TABLES = ("contacts", "engagement_events", "sales_activities", "opportunities")


def dbt(command: str, database: Path, tmp_path: Path, dbt_vars: dict[str, Any] | None = None,
        project: Path | None = None, extra_args: tuple[str, ...] = ()) -> str:
    """Run dbt (its own target dir, so runs never share a partial parse); return its output and
    assert nothing about the exit code."""
    argv = build_command(command, as_of=AS_OF, extra_args=extra_args, project=project,
                         dbt_vars=dbt_vars)
    env = dbt_env(database=database)
    env["DBT_TARGET_PATH"] = str(tmp_path / "dbt_target")
    env["DBT_LOG_PATH"] = str(tmp_path / "dbt_target" / "logs")
    result = subprocess.run(argv, env=env, capture_output=True, text=True, check=False,
                            cwd=project or project_dir())
    output = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout + result.stderr)  # no colour codes
    return f"exit code {result.returncode}\n{output}"


def failed(output: str) -> bool:
    return not output.startswith("exit code 0\n")


def built_tables(database: Path) -> set[str]:
    with duckdb.connect(str(database), read_only=True) as connection:
        return {name for (name,) in connection.execute(
            "select table_name from information_schema.tables where table_schema like 'analytics%'"
        ).fetchall()}


def raw_counts(database: Path) -> dict[str, int]:
    """Rows of every raw table there is."""
    with duckdb.connect(str(database), read_only=True) as connection:
        tables = [name for (name,) in connection.execute(
            "select table_name from information_schema.tables where table_schema = 'raw'").fetchall()]
        return {name: connection.execute(f"select count(*) from raw.{name}").fetchall()[0][0] for name in tables}


@pytest.fixture
def raw_db(tmp_path: Path) -> Path:
    database = tmp_path / "bad_config.duckdb"
    load_directory(FIXTURE_DIR, str(database), "raw")
    return database


# --- 1. a misspelt var --------------------------------------------------------------------------

@pytest.mark.slow  # a dbt run of its own
def test_misspelt_var_stops_the_run_with_a_did_you_mean(raw_db: Path, tmp_path: Path) -> None:
    before = raw_counts(raw_db)
    output = dbt("build", raw_db, tmp_path, {"mql_treshold": 50})
    assert failed(output)
    assert "lead_funnel: invalid vars: unknown var 'mql_treshold' (did you mean 'mql_threshold'?)" in output, output[-3000:]
    assert "The vars of lead_funnel (dbt_project.yml): raw_schema, as_of, mql_threshold" in output
    assert built_tables(raw_db) == set()
    assert raw_counts(raw_db) == before


@pytest.mark.slow  # a dbt run of its own
def test_vars_of_other_packages_and_known_vars_pass(raw_db: Path, tmp_path: Path) -> None:
    output = dbt("build", raw_db, tmp_path,
                 {"mql_threshold": 80, "elementary_timeout": 30, "dbt_date_time_zone": "UTC"},
                 extra_args=("--select", "resource_type:seed"))
    assert not failed(output), output[-3000:]


@pytest.mark.slow  # a dbt run of its own
def test_a_var_added_to_dbt_project_yml_is_known_without_another_list(
        raw_db: Path, tmp_path: Path) -> None:
    project = project_copy(tmp_path)
    config = project / "dbt_project.yml"
    config.write_text(config.read_text().replace("\nvars:\n", "\nvars:\n  handoff_followup_days: 3\n", 1))
    output = dbt("build", raw_db, tmp_path, {"handoff_folowup_days": 2}, project=project)
    assert failed(output)
    assert "unknown var 'handoff_folowup_days' (did you mean 'handoff_followup_days'?)" in output, output[-3000:]
    assert built_tables(raw_db) == set()


# --- 2. scoring-rule seeds name the problem ---------------------------------------------------

BAD_RULES = {
    "fit_scoring_rules": [
        "fit_big_co,employee_count,greater_than,1000,10,unknown operator",
        "fit_colour,favourite_colour,equals,blue,5,unknown attribute",
        "fit_one_bound,employee_count,between,100,5,one bound",
        "fit_blank_value,industry,equals,,5,blank value",
        "fit_no_points,industry,equals,retail,,no points",
        "fit_title_vp,job_title,contains,vice,3,a second rule with this id",
        ",job_title,contains,boss,3,no id",
    ],
    "behavioral_scoring_rules": [
        "bhv_bad_cap,page_view,,1,-2,false,false,negative cap",
        "bhv_no_flag,page_view,,1,,,false,no hand-raiser flag",
    ],
    "personal_email_domains": ["gmail.com"],
    "buying_role_rules": [
        "br_boss,boss,owner,1",
        "br_no_priority,influencer,consultant,",
    ],
}
# What the user reads: seed, rule, bad value, what is allowed (the test that prints it).
EXPECTED_PROBLEMS = {
    "fit_rule_operator_is_known":
        "fit_scoring_rules: rule fit_big_co has operator 'greater_than'; allowed: equals, in, contains, "
        "between, is_null",
    "fit_rule_attribute_is_known":
        "fit_scoring_rules: rule fit_colour has attribute 'favourite_colour'; allowed: job_title, industry, "
        "country_code, lead_source, employee_count, email_domain, email_domain_type",
    "fit_rule_between_value_is_two_numbers":
        "fit_scoring_rules: rule fit_one_bound has operator 'between' and value '100'; allowed: two numbers "
        "'lo|hi' with lo <= hi, e.g. '200|4999'",
    "fit_rule_value_is_set_unless_is_null":
        "fit_scoring_rules: rule fit_blank_value has no value (operator 'equals'); allowed: a value for every "
        "operator but is_null",
    "fit_rule_points_is_set":
        "fit_scoring_rules: rule fit_no_points has no points; allowed: a number of points (negative subtracts)",
    "fit_rule_id_is_unique":
        "fit_scoring_rules: rule_id 'fit_title_vp' is used by 2 rules; allowed: each rule_id once",
    "fit_rule_id_is_set":
        "fit_scoring_rules: a rule (attribute=job_title; operator=contains; value=boss; points=3.0; "
        "description=no id) has no rule_id; allowed: a unique id for every rule",
    "behavioral_rule_max_per_day_is_not_negative":
        "behavioral_scoring_rules: rule bhv_bad_cap has max_per_day '-2'; allowed: blank (no cap) or a whole "
        "number >= 0",
    "behavioral_rule_is_hand_raiser_is_set":
        "behavioral_scoring_rules: rule bhv_no_flag has no is_hand_raiser; allowed: true or false",
    "personal_email_domain_is_unique":
        "personal_email_domains: domain 'gmail.com' is used by 2 rows; allowed: each domain once",
    "buying_role_is_known":
        "buying_role_rules: rule br_boss has buying_role 'boss'; allowed: decision_maker, influencer, member",
    "buying_role_priority_is_set":
        "buying_role_rules: rule br_no_priority has no priority; allowed: a whole number (lower wins)",
}


@pytest.mark.slow  # a dbt run of its own
def test_bad_scoring_rules_name_seed_rule_value_and_what_is_allowed(raw_db: Path, tmp_path: Path) -> None:
    project = project_copy(tmp_path)
    for seed, rows in BAD_RULES.items():
        with open(project / "seeds" / f"{seed}.csv", "a", encoding="utf-8") as rules:
            rules.write("\n".join(rows) + "\n")
    before = raw_counts(raw_db)
    output = dbt("build", raw_db, tmp_path, project=project)
    assert failed(output)
    lines = output.splitlines()
    for test_name, problem in EXPECTED_PROBLEMS.items():
        assert any(line.endswith("  " + problem) for line in lines), f"{test_name}: {problem!r} not printed\n{output[-4000:]}"
        assert any("FAIL" in line and f" {test_name} " in line for line in lines), test_name
    # Every other rule is fine: exactly these problems, one per bad row.
    assert sum("; allowed: " in line for line in lines) == len(EXPECTED_PROBLEMS), output[-4000:]
    # The gate holds: only the seeds were loaded, no model ran; raw is untouched. (The build
    # ledger, created empty when the run starts, is the builds' bookkeeping: docs/funnel_rules.md §7.)
    assert built_tables(raw_db) - {"lead_funnel_build_ledger"} <= SEEDS
    assert raw_counts(raw_db) == before


@pytest.mark.slow  # a dbt run of its own
def test_good_scoring_rules_print_nothing(raw_db: Path, tmp_path: Path) -> None:
    output = dbt("build", raw_db, tmp_path, extra_args=("--select", "resource_type:seed"))
    assert not failed(output), output[-3000:]
    assert "; allowed: " not in output


# --- 3. the raw contract is checked before anything runs ----------------------------------------

@pytest.mark.parametrize(("damage", "message"), [
    ("alter table raw.engagement_events drop column occurred_at",
     "raw table raw.engagement_events lacks column occurred_at "
     "(declared in models/staging/marketing/_marketing__sources.yml)"),
    ("drop table raw.opportunities",
     "raw table raw.opportunities does not exist (declared in models/staging/crm/_crm__sources.yml)"),
])
@pytest.mark.parametrize("command", ["build", "test --select test_type:unit"])
@pytest.mark.slow  # a dbt run of its own
def test_raw_table_without_a_contract_column_stops_the_run_before_anything(
        raw_db: Path, tmp_path: Path, damage: str, message: str, command: str) -> None:
    with duckdb.connect(str(raw_db)) as connection:
        connection.execute(damage)
    before = raw_counts(raw_db)
    output = dbt(command, raw_db, tmp_path)
    assert failed(output)
    assert "lead_funnel: the raw tables do not meet the raw contract: " + message in output, output[-3000:]
    assert "unit test fixture" not in output
    assert built_tables(raw_db) == set()
    assert raw_counts(raw_db) == before


@pytest.mark.slow  # a dbt run of its own
def test_commands_that_do_not_read_raw_skip_the_contract_check(raw_db: Path, tmp_path: Path) -> None:
    with duckdb.connect(str(raw_db)) as connection:
        connection.execute("drop table raw.opportunities")
    for command, extra in (("build", ("--select", "resource_type:seed")), ("compile", ())):
        output = dbt(command, raw_db, tmp_path, extra_args=extra)
        assert not failed(output), f"{command}: {output[-3000:]}"


# --- 4. the project's own docs describe its rules -----------------------------------------------

def test_docs_cover_every_var_and_raw_column_and_readme_needs_no_outside_file() -> None:
    root = project_dir()
    rules = (root / "docs" / "funnel_rules.md").read_text(encoding="utf-8")
    config = yaml.safe_load((root / "dbt_project.yml").read_text(encoding="utf-8"))
    missing_vars = [name for name in config["vars"] if f"`{name}`" not in rules]
    assert not missing_vars, f"docs/funnel_rules.md does not describe vars {missing_vars}"
    for sources_file in sorted((root / "models" / "staging").glob("*/_*__sources.yml")):
        for source in yaml.safe_load(sources_file.read_text(encoding="utf-8"))["sources"]:
            for table in source["tables"]:
                missing = [c["name"] for c in table["columns"] if c["name"] not in rules]
                assert not missing, f"docs/funnel_rules.md lacks raw {table['name']} columns {missing}"
    readme = (root / "README.md").read_text(encoding="utf-8")
    assert "docs/funnel_rules.md" in readme  # and nothing else: tests/python/test_doc_references.py
    assert "<target>_" not in readme
