from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Iterator

import duckdb
import pytest

from lead_funnel.dbt_runner import run_dbt
from lead_funnel.generator import GeneratorConfig, generate_to_dir
from lead_funnel.loader import load_directory

SMALL = GeneratorConfig(contacts=2_000, seed=7, dirty_rate=0.05, as_of="2025-06-30T12:00:00Z")


@pytest.fixture(scope="session")
def small_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("raw_small")
    generate_to_dir(out, SMALL)
    return out


@pytest.fixture(scope="session")
def small_manifest(small_dataset: Path) -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads((small_dataset / "manifest.json").read_text())
    return manifest


# The hand-made raw fixture (tests/fixtures/raw) and the as_of its expectations were worked out at.
FIXTURE_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "raw"
FIXTURE_AS_OF = "2024-07-01T00:00:00Z"


@pytest.fixture(scope="session")
def fixture_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """DuckDB file with the project built on the fixture.

    `make test` builds it once (dbt build with every data and unit test) and passes its path in
    LEAD_FUNNEL_FIXTURE_DB; run alone, pytest builds it here.
    """
    prebuilt = os.environ.get("LEAD_FUNNEL_FIXTURE_DB")
    if prebuilt and Path(prebuilt).is_file():
        return Path(prebuilt)
    database = tmp_path_factory.mktemp("fixture") / "fixture.duckdb"
    load_directory(FIXTURE_DIR, str(database), "raw")
    run_dbt("build", as_of=FIXTURE_AS_OF, database=database)
    return database


@pytest.fixture(scope="session")
def marts(fixture_db: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect(str(fixture_db), read_only=True)
    yield connection
    connection.close()
