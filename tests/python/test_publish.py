"""Publishing the marts so that BI readers never block the build (lead_funnel.marts.publish).

A reader process holds the published file open (read-only, as a BI tool does) during a real
`dbt build` of the working file and a publish: both succeed, the reader keeps its consistent old
snapshot, and a new connection sees the new build. The negative control shows the lock that
publishing avoids: the same reader on the working file stops a writer."""

import shutil
import subprocess
import sys
import textwrap
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from lead_funnel.dbt_runner import run_dbt
from lead_funnel.marts.publish import PublishError, publish

# Holds a read-only connection to argv[1], prints its as_of, then reads it again on each line of
# stdin until stdin closes: a BI tool with an open connection.
READER = textwrap.dedent("""
    import sys, duckdb
    con = duckdb.connect(sys.argv[1], read_only=True)
    query = "select as_of from analytics_data_quality.dq_run_context"
    print(con.execute(query).fetchone()[0], flush=True)
    for _ in sys.stdin:
        print(con.execute(query).fetchone()[0], flush=True)
""")


def _as_of(path: Path) -> datetime:
    with duckdb.connect(str(path), read_only=True) as con:
        row = con.execute("select as_of from analytics_data_quality.dq_run_context").fetchone()
    assert row is not None
    return row[0]


def _reader(path: Path) -> tuple[subprocess.Popen[str], str]:
    """A reader process holding `path` open, and the as_of it read first."""
    proc = subprocess.Popen([sys.executable, "-c", READER, str(path)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    return proc, proc.stdout.readline().strip()


def _ask(proc: subprocess.Popen[str]) -> str:
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write("again\n")
    proc.stdin.flush()
    return proc.stdout.readline().strip()


@pytest.mark.slow  # a dbt run of its own
def test_reader_of_the_published_file_never_blocks_the_build(fixture_db: Path,
                                                              tmp_path: Path) -> None:
    working, published = tmp_path / "work.duckdb", tmp_path / "bi" / "published.duckdb"
    shutil.copy(fixture_db, working)  # the fixture built at as_of 2024-07-01 (conftest)
    first = publish(working, published, tmp_path / "parquet")
    # the 5 marts and the 4 dq_* models (docs/funnel_rules.md §6), nothing else
    assert sorted(first.tables) == [
        "analytics.account_funnel_conversion", "analytics.account_stages",
        "analytics.campaign_funnel", "analytics.funnel_conversion",
        "analytics.funnel_volume_daily", "analytics.lead_handoffs",
        "analytics.lead_stage_transitions", "analytics.lead_stages", "analytics.mql_attribution",
        "analytics_data_quality.dq_connector_unmapped_values",
        "analytics_data_quality.dq_crm_mql_differences",
        "analytics_data_quality.dq_quarantined_rows", "analytics_data_quality.dq_run_context",
        "analytics_data_quality.dq_source_reconciliation",
        "analytics_data_quality.dq_unknown_event_types"]
    assert first.tables["analytics.lead_stages"] == 13  # 14 staged contacts, C010 deleted
    assert first.tables["analytics_data_quality.dq_quarantined_rows"] == 17  # 4 + 6 + 4 + 3
    assert len(first.parquet_files) == 15
    with duckdb.connect() as con:
        parquet = tmp_path / "parquet" / "analytics" / "lead_stages.parquet"
        assert con.execute(f"select count(*) from '{parquet}'").fetchone() == (13,)

    reader, first_read = _reader(published)
    try:
        assert first_read == "2024-07-01 00:00:00"
        # Tonight's build of the working file, one day later, while the reader holds on.
        run_dbt("build", as_of="2024-07-02T00:00:00Z", database=working,
                extra_args=["--exclude-resource-type", "unit_test"])
        second = publish(working, published)
        assert second.as_of == datetime(2024, 7, 2)
        assert _ask(reader) == "2024-07-01 00:00:00"  # its open snapshot stays consistent
        assert reader.poll() is None
        assert _as_of(published) == datetime(2024, 7, 2)  # a new connection sees the new build
    finally:
        assert reader.stdin is not None
        reader.stdin.close()
        reader.wait(timeout=30)
    assert reader.returncode == 0
    assert not list(published.parent.glob(".*.tmp"))  # no half-written copy left behind


def test_a_reader_of_the_working_file_blocks_a_writer(fixture_db: Path, tmp_path: Path) -> None:
    # The failure publishing avoids: DuckDB allows one writer or many readers of a file.
    working = tmp_path / "work.duckdb"
    shutil.copy(fixture_db, working)
    reader, first_read = _reader(working)
    try:
        assert first_read == "2024-07-01 00:00:00"
        with pytest.raises(duckdb.IOException, match="Could not set lock on file"):
            duckdb.connect(str(working))
    finally:
        assert reader.stdin is not None
        reader.stdin.close()
        reader.wait(timeout=30)


def test_publish_refuses_a_database_without_marts(tmp_path: Path) -> None:
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    with pytest.raises(PublishError, match="relation\\(s\\) missing"):
        publish(empty, tmp_path / "published.duckdb")
    assert not (tmp_path / "published.duckdb").exists()
    with pytest.raises(PublishError, match="must not be the working file"):
        publish(empty, empty)
