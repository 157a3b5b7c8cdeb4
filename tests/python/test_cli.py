from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pytest

from lead_funnel import dbt_runner
from lead_funnel.marts.accounts import AccountsView, CampaignCredit
from lead_funnel.cli import main
from lead_funnel.dbt_runner import DbtError, build_command, dbt_env, run_dbt
from lead_funnel.marts.access import DATA_QUALITY_SCHEMA
from lead_funnel.marts.summary import summarize


def test_dbt_command_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEAD_FUNNEL_PROJECT_DIR", str(tmp_path))
    argv = build_command("build", as_of="2025-12-31T00:00:00Z", select=["staging+", "marts"],
                         executable="/opt/venv/bin/dbt")
    assert argv == [
        "/opt/venv/bin/dbt", "build",
        "--project-dir", str(tmp_path.resolve()),
        "--profiles-dir", str(tmp_path.resolve() / "profiles"),
        "--vars", '{"as_of": "2025-12-31T00:00:00Z"}',
        "--select", "staging+", "marts",
    ]
    assert json.loads(argv[argv.index("--vars") + 1]) == {"as_of": "2025-12-31T00:00:00Z"}


def test_dbt_subcommand_words_come_before_the_flags(tmp_path: Path) -> None:
    argv = build_command("source freshness", project=tmp_path, executable="dbt")
    assert argv[:3] == ["dbt", "source", "freshness"]
    assert argv[3:] == ["--project-dir", str(tmp_path), "--profiles-dir", str(tmp_path / "profiles")]


def test_dbt_command_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LEAD_FUNNEL_PROJECT_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    argv = build_command()
    # The dbt that sits next to the running interpreter (the venv's), when there is one.
    next_to_python = Path(sys.executable).parent / "dbt"
    if next_to_python.is_file():
        assert argv[0] == str(next_to_python)
    assert argv[1:] == ["build", "--project-dir", str(tmp_path.resolve()),
                        "--profiles-dir", str(tmp_path.resolve() / "profiles")]


def test_dbt_env_and_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = dbt_env({"PATH": "/bin"}, database=tmp_path / "w.duckdb")
    assert env == {"PATH": "/bin", "DO_NOT_TRACK": "1",
                   "LEAD_FUNNEL_DUCKDB": str((tmp_path / "w.duckdb").resolve())}
    seen: dict[str, Any] = {}

    def fake_run(argv: list[str], env: dict[str, str], check: bool) -> Any:
        seen.update(argv=argv, env=env)
        return subprocess.CompletedProcess(argv, 2)

    monkeypatch.setattr(dbt_runner, "dbt_executable", lambda: "dbt")
    monkeypatch.setattr(dbt_runner.subprocess, "run", fake_run)
    with pytest.raises(DbtError, match="exit code 2"):
        run_dbt("build", as_of="2025-01-01T00:00:00Z", project=tmp_path)
    assert seen["argv"][:2] == ["dbt", "build"]
    assert seen["env"]["DO_NOT_TRACK"] == "1"


def test_summary_without_marts_is_a_clear_error(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    database = tmp_path / "raw_only.duckdb"
    with duckdb.connect(str(database)) as con:
        con.execute("create schema raw; create table raw.contacts (contact_id varchar)")
    assert main(["summary", "--database", str(database)]) == 1
    captured = capsys.readouterr()
    assert "analytics.funnel_conversion" in captured.err
    assert f"{DATA_QUALITY_SCHEMA}.dq_quarantined_rows" in captured.err
    assert "Traceback" not in captured.err
    assert main(["summary", "--database", str(tmp_path / "absent.duckdb")]) == 1
    assert "database not found" in capsys.readouterr().err


def test_summary_reads_the_marts(tmp_path: Path) -> None:
    database = tmp_path / "marts.duckdb"
    with duckdb.connect(str(database)) as con:
        con.execute(f"""
            create schema analytics;
            create schema {DATA_QUALITY_SCHEMA};
            create table analytics.funnel_conversion as
                select * from (values ('organic_search', 100, 40, 20, 10, 5, 2, 1),
                                      ('paid_search', 100, 10, 5, 2, 1, 0, 1))
                    t(lead_source, leads, mqls, sals, sqls, opportunities, customers, pqls);
            create table analytics.lead_stages as
                select contact_id, current_stage, mql_at::timestamp as mql_at,
                       pql_at::timestamp as pql_at, customer_at::timestamp as customer_at
                from (values ('C1', 'lead', null, null, null),
                             ('C2', 'lead', null, null, null),
                             ('C3', 'mql', '2024-06-01', '2024-06-01', null),
                             ('C4', 'customer', '2024-05-01', '2024-05-02', '2024-06-01'),
                             ('C5', 'customer', '2024-05-01', null, '2024-06-15'),
                             ('C6', 'sal', '2024-05-03', null, null),
                             ('C7', 'mql', '2024-05-04', null, null))
                    t(contact_id, current_stage, mql_at, pql_at, customer_at);
            create table analytics.lead_handoffs as
                select * from (values ('accepted', true, 'score_threshold'),
                                      ('accepted', false, 'product_usage'),
                                      ('pending', null::boolean, 'product_usage'))
                    t(outcome, within_sla, mql_reason);
            create table analytics.funnel_volume_daily as
                select day::date as day, stage, lead_source, entries, contacts
                from (values ('2024-06-01', 'pql', 'organic_search', 1, 1),
                             ('2024-05-02', 'pql', 'paid_search', 2, 1),
                             ('2024-05-02', 'mql', 'paid_search', 3, 3))
                    t(day, stage, lead_source, entries, contacts);
            create table {DATA_QUALITY_SCHEMA}.dq_quarantined_rows as
                select * from (values ('contacts', 'missing_key'), ('contacts', 'missing_key'))
                    t(source_table, quarantine_reason);
        """)
    text = summarize(database)
    assert re.search(r"leads\s+200\b", text)
    assert re.search(r"leads -> mqls\s+25\.0%", text)  # 50 mqls / 200 leads
    assert re.search(r"leads -> customers\s+1\.0%", text)  # 2 / 200
    assert re.search(r"\n  lead\s+2\s+28\.6%", text)  # 2 of 7 contacts are leads
    assert "50.0%" in text  # 1 of 2 judged handoffs within SLA
    # PQLs: C3 and C4 have a pql_at; 3 pql entries (1 + 2, the mql row is not one).
    assert re.search(r"pqls\s+2\s+contacts with a pql_at", text)
    assert re.search(r"pql moments\s+3\s", text)
    # C4 of the 2 PQLs is a customer; C4 and C5 of the 5 contacts with an mql_at (C3-C7).
    assert re.search(r"pqls -> customers\s+50\.0%  \(1 of 2\)", text)
    assert re.search(r"mqls -> customers\s+40\.0%  \(2 of 5\)", text)
    # MQL reasons of the 3 handoffs: product_usage 2 (66.7%), score_threshold 1 (33.3%).
    assert re.search(r"product_usage\s+2\s+66\.7%", text)
    assert re.search(r"score_threshold\s+1\s+33\.3%", text)
    assert text.index("Product-qualified leads") < text.index("Current stage")
    assert "missing_key" in text
    assert f"Quarantined rows ({DATA_QUALITY_SCHEMA}.dq_quarantined_rows)" in text


def test_cli_generate_normalises_as_of(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "raw"
    code = main(["generate", "--out", str(out), "--contacts", "300", "--seed", "5",
                 "--dirty-rate", "0.1", "--as-of", "2025-06-30T14:00:00+02:00"])
    assert code == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["as_of"] == "2025-06-30T12:00:00Z"
    assert manifest["seed"] == 5 and manifest["contacts"] == 300
    assert "wrote" in capsys.readouterr().out
    assert main(["generate", "--out", str(out), "--as-of", "yesterday"]) == 1


FAKE_DBT = """#!{python}
import json, sys
with open({out!r}, "a", encoding="utf-8") as handle:
    handle.write(json.dumps(sys.argv[1:]) + "\\n")
"""


def fake_dbt(directory: Path) -> tuple[Path, Path]:
    """An executable standing in for dbt that appends its argv (as JSON) to a file."""
    directory.mkdir(parents=True)
    record = directory / "argv.jsonl"
    script = directory / "dbt"
    script.write_text(FAKE_DBT.format(python=sys.executable, out=str(record)))
    script.chmod(0o755)
    return script, record


def test_build_prints_a_pasteable_command_with_every_var(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    # Spaces and quotes in paths, JSON in --vars: nothing survives a shell unquoted.
    script, record = fake_dbt(tmp_path / "venv's bin")
    project = tmp_path / "my project"
    monkeypatch.setenv("LEAD_FUNNEL_PROJECT_DIR", str(project))
    monkeypatch.setattr(dbt_runner, "dbt_executable", lambda: str(script))
    code = main(["build", "--as-of", "2025-12-31T00:00:00Z", "--var", "mql_threshold=50",
                 "--var", "score_half_life_days=null", "--var", "fit_grade_a=42.5",
                 "--var", "raw_schema=my raw", "--select", "staging+", "marts"])
    assert code == 0
    printed = [line for line in capsys.readouterr().out.splitlines() if line.startswith("$ ")]
    assert len(printed) == 1
    ran = json.loads(record.read_text().splitlines()[0])
    argv = shlex.split(printed[0][2:])
    assert argv == [str(script), *ran]  # the printed line is exactly what ran
    assert json.loads(argv[argv.index("--vars") + 1]) == {
        "as_of": "2025-12-31T00:00:00Z", "mql_threshold": 50, "score_half_life_days": None,
        "fit_grade_a": 42.5, "raw_schema": "my raw"}
    assert argv[argv.index("--project-dir") + 1] == str(project.resolve())

    # Pasted into a shell, the line runs the same command.
    subprocess.run(["bash", "-c", printed[0][2:]], check=True)
    assert json.loads(record.read_text().splitlines()[1]) == ran


def test_build_full_refresh_only_when_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The daily build is incremental; --full-refresh recomputes everything.
    script, record = fake_dbt(tmp_path / "bin")
    monkeypatch.setenv("LEAD_FUNNEL_PROJECT_DIR", str(tmp_path / "project"))
    monkeypatch.setattr(dbt_runner, "dbt_executable", lambda: str(script))
    assert main(["build", "--as-of", "2025-12-31T00:00:00Z"]) == 0
    assert main(["build", "--as-of", "2025-12-31T00:00:00Z", "--full-refresh"]) == 0
    plain, full = (json.loads(line) for line in record.read_text().splitlines())
    assert "--full-refresh" not in plain and "--full-refresh" in full
    # The daily build leaves unit tests to CI (make dbt-test), both ways.
    for argv in (plain, full):
        assert argv[argv.index("--exclude-resource-type") + 1] == "unit_test"


HOLD_DUCKDB = "import duckdb, sys, time; con = duckdb.connect(sys.argv[1]); print('held', flush=True); time.sleep(60)"


def test_a_duckdb_file_another_process_holds_is_one_line_naming_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Another process (a notebook, a BI tool) holds the working file open: `lead-funnel
    build` and `lead-funnel load` exit 1 with one line naming the holder's process id and
    pointing at `lead-funnel publish`; dbt is not even started."""
    script, record = fake_dbt(tmp_path / "bin")
    monkeypatch.setenv("LEAD_FUNNEL_PROJECT_DIR", str(tmp_path / "project"))
    monkeypatch.setattr(dbt_runner, "dbt_executable", lambda: str(script))
    database = tmp_path / "working.duckdb"
    duckdb.connect(str(database)).close()
    with subprocess.Popen([sys.executable, "-c", HOLD_DUCKDB, str(database)],
                          stdout=subprocess.PIPE, text=True) as holder:
        try:
            assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
            fixture = Path(__file__).resolve().parents[1] / "fixtures" / "raw"
            for argv in (["build", "--database", str(database)],
                         ["load", "--data", str(fixture), "--database", str(database)]):
                assert main(argv) == 1
                err = capsys.readouterr().err
                assert err.count("\n") == 1 and "Traceback" not in err
                assert err.startswith(f"lead-funnel {argv[0]}: error: the DuckDB file {database} "
                                      f"is locked by process {holder.pid} (")
                assert "lead-funnel publish" in err
        finally:
            holder.kill()
    assert not record.exists()


def test_build_var_values_and_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert dbt_runner.parse_vars(["mql_threshold=50", "max_engagement_score=", "as_of=2025-06-30",
                                  "handoff_sla_hours= 36 ", "note=hello=world"]) == {
        "mql_threshold": 50, "max_engagement_score": None, "as_of": "2025-06-30",
        "handoff_sla_hours": 36, "note": "hello=world"}
    argv = build_command(dbt_vars={"mql_threshold": 50}, project=tmp_path, executable="dbt")
    assert argv[-2:] == ["--vars", '{"mql_threshold": 50}']
    monkeypatch.setattr(dbt_runner, "dbt_executable", lambda: "dbt")
    for args, message in [
        (["--var", "mql_threshold"], "--var expects NAME=VALUE (e.g. mql_threshold=50), got "
                                     "'mql_threshold'"),
        (["--var", "=50"], "--var expects NAME=VALUE (e.g. mql_threshold=50), got '=50'"),
        (["--var", "x=[1, 2"], "--var x: VALUE is not YAML: '[1, 2'"),
        (["--as-of", "2025-01-01T00:00:00Z", "--var", "as_of=2024-01-01T00:00:00Z"],
         "as_of given twice: --as-of 2025-01-01T00:00:00Z and --var as_of=2024-01-01T00:00:00Z"),
    ]:
        assert main(["build", *args]) == 1
        captured = capsys.readouterr()
        assert captured.err.strip() == f"lead-funnel build: error: {message}"
        assert "$ " not in captured.out  # refused before dbt runs


def test_summary_accounts_and_campaigns_of_the_fixture(fixture_db: Path) -> None:
    text = summarize(fixture_db)
    accounts = text[text.index("Accounts ("):text.index("Campaigns (")]
    # 12 accounts; 1 MQA (acme.com: C001 and C002 MQL'd together), 1/12 = 8.3%; it is no
    # customer (0 of 1), while 1 of the 11 contacts with an mql_at (C012) is one: 9.1%.
    assert re.search(r"accounts\s+12\n", accounts)
    assert re.search(r"mqas\s+1\s+8\.3% of accounts", accounts)
    assert re.search(r"mqas -> customers\s+0\.0%  \(0 of 1\)  accounts", accounts)
    assert re.search(r"mqls -> customers\s+9\.1%  \(1 of 11\)  contacts", accounts)
    campaigns = text[text.index("Campaigns ("):text.index("Current stage")]
    # Under first_touch and last_touch alike: WEB1 (C012-1, the customer) first, then CMP1
    # (C001-1, accepted, no customer); the other 8 handoffs have no campaign touch, C002-1 of
    # them accepted -> (none) 8 MQLs, 1 SAL, 0 customers.
    for model in ("first_touch", "last_touch"):
        block = campaigns[campaigns.index(model):].splitlines()[1:4]
        assert [line.split() for line in block] == [
            ["WEB1", "1.0", "1.0", "1.0"], ["CMP1", "1.0", "1.0", "0.0"],
            ["(none):", "no", "campaign", "touch", "8.0", "1.0", "0.0"]]


def test_top_campaigns_rank_by_credit_then_mqls_then_id() -> None:
    view = AccountsView(funnel={}, mqa_customers=0, campaigns=[
        CampaignCredit("b", "linear", 3.0, 1.0, 0.5), CampaignCredit("a", "linear", 3.0, 1.0, 0.5),
        CampaignCredit("c", "linear", 9.0, 2.0, 0.5), CampaignCredit("(none)", "linear", 20, 5, 4),
        CampaignCredit("d", "linear", 1.0, 1.0, 1.0), CampaignCredit("z", "first_touch", 1, 1, 9)])
    # customers 1.0 (d) first; then the 0.5s by MQLs (c 9.0), then a before b; (none) and the
    # other model's z left out.
    assert [c.campaign_id for c in view.top_campaigns("linear", "customers", 3)] == ["d", "c", "a"]
    assert view.no_campaign("linear").mqls == 20 and view.no_campaign("last_touch").mqls == 0
