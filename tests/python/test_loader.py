from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import duckdb
import pytest

from lead_funnel import contract
from lead_funnel.cli import main
from lead_funnel.warehouse.connections import LoaderError
from lead_funnel.warehouse.loading import load_directory

from conftest import FIXTURE_DIR


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


# ---------------------------------------------------------------------------------------------
# Issue 12: extracts as they really arrive (empty, Excel, semicolons) and appending.
# ---------------------------------------------------------------------------------------------
TRICKY_CONTACT = ["C900", "  Padded@Example.COM ", 'says "hi"; then\nleaves', "Café; Ünïcode ✓",
                  "", "", "referral", "1,000", "2024-05-01T10:00:00+02:00", "", "yes",
                  "2024-05-01T09:00:00Z"]


def raw_dir(tmp_path: Path, name: str = "raw") -> Path:
    """A copy of the hand-made fixture, with one contact whose values are hard to carry (quotes,
    a separator and a newline inside a value, padding, non-ASCII, blanks)."""
    data = tmp_path / name
    data.mkdir()
    for table in contract.TABLES:
        (data / f"{table}.csv").write_bytes((FIXTURE_DIR / f"{table}.csv").read_bytes())
    with (data / "contacts.csv").open("a", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerow(TRICKY_CONTACT)
    return data


def rewrite(path: Path, *, delimiter: str = ",", encoding: str = "utf-8", quote_all: bool = False,
            newline: str = "\n", sep_line: bool = False, header_only: bool = False) -> None:
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    with path.open("w", newline="", encoding=encoding) as out:
        if sep_line:
            out.write(f"sep={delimiter}{newline}")
        writer = csv.writer(out, delimiter=delimiter, lineterminator=newline,
                            quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL)
        writer.writerows(rows[:1] if header_only else rows)


def snapshot(database: Path, schema: str = "raw") -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every raw table, sorted (nulls as a marker), to compare content exactly."""
    with duckdb.connect(str(database), read_only=True) as con:
        return {t: sorted(tuple("<null>" if v is None else v for v in row)
                          for row in con.execute(f"select * from {schema}.{t}").fetchall())
                for t in contract.TABLES}


def test_empty_extract_is_refused_before_any_table_is_touched(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    database = tmp_path / "wh.duckdb"
    load_directory(raw_dir(tmp_path, "day1"), database)
    before = snapshot(database)
    assert len(before["opportunities"]) == 9
    day2 = raw_dir(tmp_path, "day2")
    with (day2 / "contacts.csv").open("a", encoding="utf-8") as handle:
        handle.write("C901,new@example.com,,,,,,,2024-06-01T00:00:00Z,,,2024-06-01T01:00:00Z\n")
    rewrite(day2 / "opportunities.csv", header_only=True)  # the EL job delivered no rows

    with pytest.raises(LoaderError) as raised:
        load_directory(day2, database)
    message = str(raised.value)
    assert "raw.opportunities holds 9 rows" in message
    assert f"{day2 / 'opportunities.csv'} has a header but no rows" in message
    assert "--allow-empty" in message and "nothing was loaded" in message
    assert snapshot(database) == before  # not even contacts (checked first) was reloaded

    assert main(["load", "--data", str(day2), "--database", str(database)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("lead-funnel load: error: refusing to replace a non-empty table")
    assert snapshot(database) == before

    # With the flag it is done, loudly.
    assert main(["load", "--data", str(day2), "--database", str(database), "--allow-empty"]) == 0
    captured = capsys.readouterr()
    assert ("WARNING: raw.opportunities held 9 rows and is now EMPTY: replaced by the empty "
            f"extract {day2 / 'opportunities.csv'} (--allow-empty)") in captured.err
    assert "loaded raw.opportunities: 0 rows" in captured.out
    after = snapshot(database)
    assert after["opportunities"] == [] and len(after["contacts"]) == len(before["contacts"]) + 1


def test_empty_extract_into_a_new_table_or_appended_is_fine(tmp_path: Path) -> None:
    data = raw_dir(tmp_path)
    rewrite(data / "sales_activities.csv", header_only=True)
    database = tmp_path / "wh.duckdb"
    assert load_directory(data, database)["sales_activities"] == 0  # no table held rows
    full = raw_dir(tmp_path, "full")
    load_directory(full, database)
    # Appending nothing loses nothing.
    counts = load_directory(data, database, append=True)
    # 19 fixture contacts + the tricky one, loaded twice
    assert counts["sales_activities"] == 12 and counts["contacts"] == 2 * 20


def test_header_only_extract_into_an_empty_warehouse_is_warned_about(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A first load whose sales_activities extract has a header but no rows is allowed (no
    table held rows) but warned about on stderr, as replacing a non-empty table by an empty
    extract is; the three other tables load silently; appending a header-only file later (a
    quiet day) is not warned about."""
    data = raw_dir(tmp_path)
    rewrite(data / "sales_activities.csv", header_only=True)
    database = tmp_path / "wh.duckdb"
    assert main(["load", "--data", str(data), "--database", str(database)]) == 0
    err = capsys.readouterr().err
    assert (f"WARNING: raw.sales_activities is EMPTY: the extract {data / 'sales_activities.csv'} "
            "has a header but no rows") in err
    assert err.count("WARNING") == 1
    assert main(["load", "--data", str(data), "--database", str(database), "--append"]) == 0
    assert "WARNING" not in capsys.readouterr().err


@pytest.mark.parametrize("variant", [
    pytest.param({"encoding": "utf-8-sig"}, id="excel-utf8-bom"),
    pytest.param({"delimiter": ";"}, id="semicolons"),
    pytest.param({"encoding": "utf-8-sig", "delimiter": ";", "quote_all": True,
                  "newline": "\r\n"}, id="excel-semicolon-quoted-crlf"),
    pytest.param({"delimiter": ";", "sep_line": True, "encoding": "utf-8-sig"}, id="sep-line"),
    pytest.param({"delimiter": "\t", "encoding": "utf-16"}, id="utf16-tab"),
    pytest.param({"delimiter": "|", "quote_all": True}, id="pipes-quoted"),
])
def test_excel_and_semicolon_exports_load_every_value_exactly(
        tmp_path: Path, variant: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    plain = raw_dir(tmp_path, "plain")
    database = tmp_path / "wh.duckdb"
    load_directory(plain, database, schema="plain")
    exported = raw_dir(tmp_path, "exported")
    for table in contract.TABLES:
        rewrite(exported / f"{table}.csv", **variant)
    assert main(["load", "--data", str(exported), "--database", str(database)]) == 0
    out = capsys.readouterr().out
    assert snapshot(database, "raw") == snapshot(database, "plain")
    tricky = [row for row in snapshot(database)["contacts"] if row[0] == "C900"]
    assert tricky == [tuple("<null>" if v == "" else v for v in TRICKY_CONTACT)]
    expected_note = {",": None, ";": "semicolon-separated", "\t": "tab-separated",
                     "|": "pipe-separated"}[variant.get("delimiter", ",")]
    note = next(line for line in out.splitlines() if "contacts.csv" in line)
    assert note.startswith(f"note: {exported / 'contacts.csv'}: read as ")
    if expected_note:
        assert expected_note in note
    if variant.get("encoding") == "utf-8-sig":
        assert "UTF-8 with a byte-order mark (removed)" in note


def ragged(path: Path) -> None:
    """Semicolon-separated, with one field too many on the row of C002 (line 3)."""
    rewrite(path, delimiter=";")
    path.write_text(path.read_text().replace("C002;", "C002;extra;"))


@pytest.mark.parametrize(("write", "expected"), [
    pytest.param(lambda p: rewrite(p, delimiter=":"),
                 r"header has 1 column 'contact_id:email:job_title:company_name:industry:country_\.\.\.'"
                 r": the file looks ':'-separated; the loader reads comma, semicolon, tab or "
                 r"pipe-separated files: export it with one of those \(the raw contract needs "
                 r"contact_id, email, ", id="unknown-separator"),
    pytest.param(lambda p: p.write_bytes(p.read_bytes().replace(b"Acme", b"Acm\xe9")),
                 r"not UTF-8 text \(byte 0xE9 on line 2, offset \d+\): export it as UTF-8 "
                 r"\(Excel: 'CSV UTF-8'\)", id="latin1"),
    pytest.param(ragged,
                 r"line 3 has 13 fields, the header has 12 \(read as semicolon-separated\)",
                 id="ragged-row"),
    pytest.param(lambda p: p.write_text(""), r"empty file, no header", id="zero-bytes"),
])
def test_unreadable_exports_name_the_problem_and_load_nothing(
        tmp_path: Path, write: Any, expected: str) -> None:
    database = tmp_path / "wh.duckdb"
    load_directory(raw_dir(tmp_path, "day1"), database)
    before = snapshot(database)
    day2 = raw_dir(tmp_path, "day2")
    write(day2 / "contacts.csv")
    with pytest.raises(LoaderError, match=expected) as raised:
        load_directory(day2, database)
    assert str(raised.value).startswith(str(day2 / "contacts.csv"))
    assert snapshot(database) == before


def test_append_adds_rows_by_column_name(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    database = tmp_path / "wh.duckdb"
    first = raw_dir(tmp_path, "day1")
    load_directory(first, database)
    before = snapshot(database)
    # The next delivery: other column order, a column the EL tool added, one new contact.
    day2 = tmp_path / "day2"
    day2.mkdir()
    for table in contract.TABLES:
        (day2 / f"{table}.csv").write_bytes((FIXTURE_DIR / f"{table}.csv").read_bytes())
    columns = list(reversed(contract.TABLE_COLUMNS["contacts"])) + ["_sync_id"]
    with (day2 / "contacts.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        row = dict(zip(contract.TABLE_COLUMNS["contacts"], TRICKY_CONTACT))
        writer.writerow([row.get(c, "sync-1") for c in columns[:-1]] + ["sync-1"])

    assert main(["load", "--data", str(day2), "--database", str(database), "--append"]) == 0
    out = capsys.readouterr().out
    assert f"appended 1 rows to raw.contacts: {len(before['contacts']) + 1} rows now" in out
    assert "appended 9 rows to raw.opportunities: 18 rows now" in out
    assert "--full-refresh" not in out  # appending is what the incremental build expects
    assert main(["load", "--data", str(day2), "--database", str(tmp_path / "other.duckdb")]) == 0
    # A replaced raw table is detected by the next build (docs/funnel_rules.md §7), so the
    # note no longer asks for --full-refresh.
    assert ("note: raw tables were replaced, not appended to: the next dbt build notices the "
            "rows it parsed that are gone") in capsys.readouterr().out
    after = snapshot(database)
    assert after["opportunities"] == sorted(before["opportunities"] * 2)
    with duckdb.connect(str(database), read_only=True) as con:
        appended = con.execute("select * exclude (_sync_id) from raw.contacts "
                               "where _sync_id = 'sync-1'").fetchall()
        assert [tuple("" if v is None else v for v in r) for r in appended] == [
            tuple(TRICKY_CONTACT)]
        kept = con.execute("select count(*) from raw.contacts where _sync_id is null").fetchone()
        assert kept == (len(before["contacts"]),)  # earlier rows kept, the new column null


def test_load_help_says_engines_and_replace(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["load", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "into DuckDB, PostgreSQL or Spark" in text
    assert "It REPLACES the tables unless --append is given" in text
    assert "--append append the rows to the tables instead of replacing them" in text
    with pytest.raises(SystemExit):
        main(["--help"])
    listing = " ".join(capsys.readouterr().out.split())
    assert "load the raw CSVs into DuckDB, PostgreSQL or Spark (replaces the tables unless --append)" in listing


def test_a_table_failing_mid_load_rolls_back_the_whole_load(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A plain comma file is read by the engine itself; when the last table fails there, the
    tables loaded before it in the same run are rolled back."""
    database = tmp_path / "wh.duckdb"
    load_directory(raw_dir(tmp_path, "day1"), database)
    before = snapshot(database)
    day2 = raw_dir(tmp_path, "day2")
    contacts = (day2 / "contacts.csv").read_text()
    (day2 / "contacts.csv").write_text(contacts.replace("C001,", "C001-new,"))
    opportunities = (day2 / "opportunities.csv").read_text()
    (day2 / "opportunities.csv").write_text(opportunities.replace("O002,", "O002,extra,"))
    assert main(["load", "--data", str(day2), "--database", str(database)]) == 1
    err = capsys.readouterr().err
    assert err.strip() == (
        f"lead-funnel load: error: loading raw.opportunities from {day2 / 'opportunities.csv'} "
        "failed (nothing was loaded): line 3 has 11 fields, the header has 10 "
        "(read as comma-separated)")
    assert snapshot(database) == before  # contacts, loaded first, rolled back


@pytest.mark.spark_cluster
@pytest.mark.slow
def test_spark_cluster_loads_and_appends_through_the_thrift_server(
        tmp_path: Path, spark_cluster: dict[str, str]) -> None:
    """The cluster loader (PyHive to the Thrift server, which reads the CSV itself) carries the
    hard values exactly, and an append matches columns by name: the next delivery comes in
    another column order with a column the EL tool added, earlier rows get null there."""
    from lead_funnel.warehouse.connections import spark_cluster_connection

    first = raw_dir(tmp_path, "day1")
    counts = load_directory(first, None, "raw_loader_check", engine="spark_cluster")
    assert counts == load_directory(first, tmp_path / "reference.duckdb")  # the same rows as DuckDB
    day2 = tmp_path / "day2"
    day2.mkdir()
    for table in contract.TABLES:
        (day2 / f"{table}.csv").write_bytes((FIXTURE_DIR / f"{table}.csv").read_bytes())
    columns = list(reversed(contract.TABLE_COLUMNS["contacts"])) + ["_sync_id"]
    row = dict(zip(contract.TABLE_COLUMNS["contacts"], TRICKY_CONTACT))
    with (day2 / "contacts.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        writer.writerow([row[column] for column in columns[:-1]] + ["sync-1"])
    appended = load_directory(day2, None, "raw_loader_check", engine="spark_cluster", append=True)
    assert appended["contacts"] == counts["contacts"] + 1
    assert appended["opportunities"] == 2 * counts["opportunities"]

    connection = spark_cluster_connection()
    try:
        cursor = connection.cursor()
        names = ", ".join(contract.TABLE_COLUMNS["contacts"])
        cursor.execute(f"select {names}, _sync_id from raw_loader_check.contacts "
                       "where contact_id = 'C900'")
        found = sorted(tuple("" if value is None else value for value in fetched)
                       for fetched in cursor.fetchall())
        # The first load's copy has no _sync_id (null); the appended one carries it.
        assert found == sorted([tuple(TRICKY_CONTACT) + ("",), tuple(TRICKY_CONTACT) + ("sync-1",)])
        cursor.execute("describe raw_loader_check.contacts")
        types = {name: kind for name, kind, _ in cursor.fetchall() if name and not name.startswith("#")}
        assert set(types.values()) == {"string"} and "_sync_id" in types
    finally:
        connection.close()
