"""lead_funnel.contract is the one Python home of the raw contract; the dbt sources YAML declares
the same tables and columns. These tests fail when the two drift apart."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any


from lead_funnel import contract
from lead_funnel.generation import contacts, engagement, sales, text
from lead_funnel.warehouse import loading

PROJECT = Path(__file__).resolve().parents[2]
# PyYAML has no type stubs in the lock; imported dynamically so mypy sees it as Any.
yaml: Any = importlib.import_module("yaml")


def declared_source_columns() -> dict[str, tuple[str, ...]]:
    """Every raw table of every `models/staging/*/_*__sources.yml` (the sources in var
    raw_schema; a connector's landed tables, docs/funnel_rules.md §10, are another contract),
    with its declared columns."""
    files = sorted(PROJECT.glob("models/staging/*/_*__sources.yml"))
    assert files, "no sources YAML found under models/staging"
    tables: dict[str, tuple[str, ...]] = {}
    for path in files:
        document: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
        for source in document.get("sources", []):
            if "raw_schema" not in str(source.get("schema", "")):
                continue
            for table in source.get("tables", []):
                name = table["name"]
                assert name not in tables, f"{path}: table {name} declared twice"
                tables[name] = tuple(column["name"] for column in table.get("columns", []))
    return tables


def test_contract_columns_equal_the_dbt_sources() -> None:
    declared = declared_source_columns()
    assert set(declared) == set(contract.TABLES)
    for table, columns in contract.TABLE_COLUMNS.items():
        # Same columns; order is not part of the contract (staging selects them by name).
        assert sorted(declared[table]) == sorted(columns), table
        assert len(set(columns)) == len(columns), f"{table}: a column listed twice"


def test_one_definition_shared_by_generator_loader_and_validate() -> None:
    assert text.TABLE_COLUMNS is contract.TABLE_COLUMNS
    assert loading.TABLES is contract.TABLES
    assert contacts.LEAD_SOURCES is contract.LEAD_SOURCES
    assert engagement.KNOWN_EVENT_TYPES is contract.KNOWN_EVENT_TYPES
    assert text.ACTIVITY_TYPES is contract.ACTIVITY_TYPES
    assert sales.REJECTION_REASONS is contract.REJECTION_REASONS
    # No module of the package assigns a vocabulary of its own.
    names = ("TABLE_COLUMNS", "TABLES", "LEAD_SOURCES", "KNOWN_EVENT_TYPES", "ACTIVITY_TYPES",
             "REJECTION_REASONS", "FUNNEL_STAGES", "VOLUME_STAGES", "QUARANTINE_REASONS", "STAGES",
             "FIT_ATTRIBUTES", "FIT_OPERATORS", "BUYING_ROLES", "ATTRIBUTION_MODELS")
    package = PROJECT / "src" / "lead_funnel"
    for path in sorted(package.rglob("*.py")):  # subpackages too: the modules live in them
        if path.name == "contract.py":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for name in names:
                assert not line.startswith((f"{name} =", f"{name}:")), f"{path.name}:{number}"


def test_stage_list_is_in_funnel_order() -> None:
    assert contract.FUNNEL_STAGES[:6] == ("lead", "mql", "sal", "sql", "opportunity", "customer")
    assert set(contract.FUNNEL_STAGES[6:]) == {"recycled", "disqualified"}
    assert len(set(contract.FUNNEL_STAGES)) == len(contract.FUNNEL_STAGES)


def test_schema_names_live_in_one_module() -> None:
    """Python names the schemas dbt builds in only in lead_funnel.marts.access (docstrings may
    mention them): a string literal in code naming `analytics` or `analytics_<suffix>` elsewhere
    is a second home."""
    import ast
    import re

    schema_name = re.compile(r"\banalytics(_[a-z_]+)?\b")
    package = PROJECT / "src" / "lead_funnel"
    found: list[str] = []
    for path in sorted(package.rglob("*.py")):
        if path.relative_to(package).as_posix() == "marts/access.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                      if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef,
                                           ast.AsyncFunctionDef))
                      and node.body and isinstance(node.body[0], ast.Expr)
                      and isinstance(node.body[0].value, ast.Constant)}
        for node in ast.walk(tree):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                    and id(node) not in docstrings and schema_name.search(node.value)):
                found.append(f"{path.relative_to(package)}:{node.lineno}: {node.value[:60]!r}")
    assert not found, "\n".join(found)


def test_model_names_fit_postgres_identifiers() -> None:
    """PostgreSQL cuts identifiers at 63 characters and dbt refuses longer ones: a model's name
    must fit with the longest prefix or suffix dbt adds to it (`__dbt__cte__` when a unit test
    mocks it as a CTE, `__dbt_tmp` plus a timestamp for an incremental build's temporary table,
    which dbt-postgres shortens itself)."""
    too_long = [path.stem for path in sorted((PROJECT / "models").rglob("*.sql"))
                if len("__dbt__cte__" + path.stem) > 63]
    assert not too_long, too_long


def test_unit_test_names_fit_postgres_identifiers() -> None:
    """dbt names the relation a unit test runs in after the test: on PostgreSQL a name over 63
    characters fails the test before it runs."""
    names = [test["name"] for path in sorted((PROJECT / "models").rglob("*.yml"))
             for test in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("unit_tests", [])]
    assert len(names) > 50
    too_long = [name for name in names if len(name) > 63]
    assert not too_long, too_long
