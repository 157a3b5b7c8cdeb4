from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest

from lead_funnel import contract
from lead_funnel.cli import main
from lead_funnel.loader import LoaderError, load_directory


def table_counts(database: Path, schema: str = "raw") -> dict[str, int]:
    with duckdb.connect(str(database), read_only=True) as con:
        return {t: int(con.execute(f"select count(*) from {schema}.{t}").fetchone()[0])  # type: ignore[index]
                for t in contract.TABLES}


def test_load_counts_and_varchar_columns(small_dataset: Path, small_manifest: dict[str, Any],
                                         tmp_path: Path) -> None:
    database = tmp_path / "wh.duckdb"
    counts = load_directory(small_dataset, database)
    assert counts == small_manifest["raw_rows"]
    assert table_counts(database) == small_manifest["raw_rows"]
    with duckdb.connect(str(database), read_only=True) as con:
        for table, columns in contract.TABLE_COLUMNS.items():
            rows = con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = 'raw' and table_name = ? order by ordinal_position",
                [table]).fetchall()
            assert tuple(r[0] for r in rows) == columns
            assert {r[1] for r in rows} == {"VARCHAR"}
        # Text survives as text: padded values, the quoted '1,000', offsets.
        malformed = con.execute(
            "select count(*) from raw.contacts where employee_count = '1,000'").fetchone()
        assert malformed is not None
        offsets = con.execute("select count(*) from raw.engagement_events "
                              "where occurred_at like '%+02:00'").fetchone()
        assert offsets is not None and offsets[0] > 0


def test_load_is_idempotent_and_respects_schema(small_dataset: Path,
                                                small_manifest: dict[str, Any],
                                                tmp_path: Path) -> None:
    database = tmp_path / "wh.duckdb"
    first = load_directory(small_dataset, database, schema="landing")
    second = load_directory(small_dataset, database, schema="landing")
    assert first == second == small_manifest["raw_rows"]
    assert table_counts(database, "landing") == small_manifest["raw_rows"]


def test_missing_csv_is_a_clear_error(small_dataset: Path, tmp_path: Path) -> None:
    partial = tmp_path / "partial"
    partial.mkdir()
    for table in ("contacts", "engagement_events"):
        (partial / f"{table}.csv").write_bytes((small_dataset / f"{table}.csv").read_bytes())
    database = tmp_path / "wh.duckdb"
    with pytest.raises(LoaderError, match="sales_activities.csv"):
        load_directory(partial, database)
    assert not database.exists()  # nothing half-loaded


def test_cli_load_prints_counts_and_uses_env_database(
        small_dataset: Path, small_manifest: dict[str, Any], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    database = tmp_path / "env.duckdb"
    monkeypatch.setenv("LEAD_FUNNEL_DUCKDB", str(database))
    assert main(["load", "--data", str(small_dataset)]) == 0
    out = capsys.readouterr().out
    assert f"raw.contacts: {small_manifest['raw_rows']['contacts']:,} rows" in out
    assert table_counts(database) == small_manifest["raw_rows"]


def test_cli_load_missing_directory_fails_cleanly(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["load", "--data", str(tmp_path / "nope"), "--database",
                 str(tmp_path / "x.duckdb")])
    assert code == 1
    assert "missing raw CSV file" in capsys.readouterr().err


def test_csv_missing_a_contract_column_is_a_clear_error(small_dataset: Path, tmp_path: Path) -> None:
    data = tmp_path / "raw"
    data.mkdir()
    for table in contract.TABLES:
        (data / f"{table}.csv").write_bytes((small_dataset / f"{table}.csv").read_bytes())
    events = (data / "engagement_events.csv").read_text(encoding="utf-8").splitlines()
    events[0] = events[0].replace(",occurred_at", ",happened_at")
    (data / "engagement_events.csv").write_text("\n".join(events) + "\n", encoding="utf-8")
    database = tmp_path / "wh.duckdb"
    with pytest.raises(LoaderError, match="engagement_events.csv: header lacks column.*occurred_at"):
        load_directory(data, database)
    assert not database.exists()  # checked before anything is loaded
