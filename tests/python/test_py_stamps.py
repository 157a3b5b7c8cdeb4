"""Build stamps (tests/python/stamps.py): an engine build is reused only when it was made from
the current inputs; the Makefile brackets each engine build with one; `make help` lists
targets."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

import stamps
from conftest import FIXTURE_AS_OF, FIXTURE_BUILDS, PROJECT_DIR, stamped_build


def make_project(root: Path) -> Path:
    for relative, text in {
        "dbt_project.yml": "name: p\n",
        "models/staging/a.sql": "select 1\n",
        "macros/m.sql": "{% macro m() %}1{% endmacro %}\n",
        "seeds/s.csv": "a\n1\n",
        "tests/fixtures/raw/contacts.csv": "contact_id\nC1\n",
        "tests/generic/t.sql": "{% test t(model) %}select 1 where false{% endtest %}\n",
        "profiles/profiles.yml": "p: {}\n",
        "README.md": "not an input\n",
        "tests/python/test_x.py": "not an input either\n",
    }.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("LEAD_FUNNEL_STAMP_DIR", raising=False)
    return make_project(tmp_path / "project")


@pytest.mark.parametrize("relative", ["models/staging/a.sql", "macros/m.sql", "seeds/s.csv",
                                      "tests/fixtures/raw/contacts.csv", "tests/generic/t.sql",
                                      "profiles/profiles.yml", "dbt_project.yml"])
def test_every_input_changes_the_hash(project: Path, relative: str) -> None:
    before = stamps.inputs_hash(project)
    with (project / relative).open("a", encoding="utf-8") as handle:
        handle.write("-- edited\n")
    assert stamps.inputs_hash(project) != before


def test_new_renamed_and_ignored_files(project: Path) -> None:
    before = stamps.inputs_hash(project)
    (project / "README.md").write_text("edited\n", encoding="utf-8")
    (project / "tests/python/test_x.py").write_text("edited\n", encoding="utf-8")
    (project / "profiles/.user.yml").write_text("id: 1\n", encoding="utf-8")
    (project / "macros/__pycache__").mkdir()
    (project / "macros/__pycache__/x.pyc").write_bytes(b"\0")
    assert stamps.inputs_hash(project) == before  # none of these is a build input
    (project / "models/staging/b.sql").write_text("select 2\n", encoding="utf-8")
    added = stamps.inputs_hash(project)
    assert added != before
    (project / "models/staging/b.sql").rename(project / "models/staging/c.sql")
    assert stamps.inputs_hash(project) not in (before, added)


def test_begin_commit_check(project: Path) -> None:
    assert not stamps.check("duckdb", project=project).current  # no stamp yet
    stamps.begin("duckdb", {"as_of": FIXTURE_AS_OF, "database": "/x.duckdb"}, project=project)
    assert not stamps.check("duckdb", project=project).current  # build not finished
    stamp = stamps.commit("duckdb", project=project)
    assert stamp == project / "target" / "stamps" / "duckdb.json"
    record = json.loads(stamp.read_text())
    assert record["inputs_hash"] == stamps.inputs_hash(project)
    assert record["database"] == "/x.duckdb"
    result = stamps.check("duckdb", {"as_of": FIXTURE_AS_OF}, project=project)
    assert result.current, result.reason
    wrong_as_of = stamps.check("duckdb", {"as_of": "2025-01-01T00:00:00Z"}, project=project)
    assert not wrong_as_of.current and "as_of" in wrong_as_of.reason

    (project / "models/staging/a.sql").write_text("select 3\n", encoding="utf-8")
    stale = stamps.check("duckdb", {"as_of": FIXTURE_AS_OF}, project=project)
    assert not stale.current and stale.reason.startswith("stale build stamp")

    # A new build removes the old stamp first: if it fails, no stamp claims the old build.
    stamps.begin("duckdb", project=project)
    assert not stamp.exists()
    assert "no build stamp" in stamps.check("duckdb", project=project).reason


def test_postgres_stamp_names_its_server(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEAD_FUNNEL_PG_HOST", "db-one")
    stamps.begin("postgres", project=project)
    stamps.commit("postgres", project=project)
    assert stamps.check("postgres", project=project).current
    monkeypatch.setenv("LEAD_FUNNEL_PG_HOST", "db-two")
    other = stamps.check("postgres", project=project)
    assert not other.current and "pg_host='db-one'" in other.reason


def test_cli(project: Path, monkeypatch: pytest.MonkeyPatch,
             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("LEAD_FUNNEL_PROJECT_DIR", str(project))
    assert stamps.main(["hash"]) == 0
    assert capsys.readouterr().out.strip() == stamps.inputs_hash(project)
    assert stamps.main(["begin", "spark", f"as_of={FIXTURE_AS_OF}"]) == 0
    assert stamps.main(["commit", "spark"]) == 0
    assert stamps.main(["check", "spark", f"as_of={FIXTURE_AS_OF}"]) == 0
    assert stamps.main(["check", "spark", "as_of=other"]) == 1
    assert "matches" not in capsys.readouterr().out.splitlines()[-1]
    with pytest.raises(FileNotFoundError, match="begin duckdb"):
        stamps.main(["commit", "duckdb"])


def test_conftest_reuses_only_a_current_stamp(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """conftest's decision for a real engine stamp of this project (in a private stamp dir)."""
    monkeypatch.setenv("LEAD_FUNNEL_STAMP_DIR", str(tmp_path / "stamps"))
    monkeypatch.delenv("LEAD_FUNNEL_FIXTURE_SPARK", raising=False)
    config: Any = SimpleNamespace(pluginmanager=SimpleNamespace(get_plugin=lambda name: None))
    start = len(FIXTURE_BUILDS)
    try:
        check_decisions(config, tmp_path / "stamps" / "spark.json")
    finally:
        del FIXTURE_BUILDS[start:]  # not decisions of this session


def check_decisions(config: Any, stamp: Path) -> None:
    assert not stamped_build(config, "spark").current
    assert FIXTURE_BUILDS[-1].startswith("spark: building the fixture in this session (no build")
    stamps.begin("spark", {"as_of": FIXTURE_AS_OF}, project=PROJECT_DIR)
    stamps.commit("spark", project=PROJECT_DIR)
    assert stamped_build(config, "spark").current
    assert FIXTURE_BUILDS[-1].startswith("spark: reusing the prebuilt fixture")
    record = json.loads(stamp.read_text())
    stamp.write_text(json.dumps({**record, "inputs_hash": "0" * 64}))
    assert not stamped_build(config, "spark").current
    assert "stale build stamp" in FIXTURE_BUILDS[-1]


def _make(*args: str) -> str:
    make = shutil.which("make")
    if make is None:
        pytest.fail("make is not installed")
    return subprocess.run([make, "--no-print-directory", "-C", str(PROJECT_DIR), *args],
                          capture_output=True, text=True, check=True).stdout


def test_make_help_lists_every_target() -> None:
    makefile = (PROJECT_DIR / "Makefile").read_text(encoding="utf-8")
    phony = re.search(r"^\.PHONY:(.*)$", makefile, re.M)
    assert phony is not None
    lines = _make("help").splitlines()
    listed = {line.split()[0]: line for line in lines}
    assert set(listed) == set(phony.group(1).split())
    assert all(len(line.split()) > 1 for line in lines)  # a description on each line


def test_make_brackets_each_engine_build_with_its_stamp() -> None:
    plan = _make("-n", "-B", "test", "LEAD_FUNNEL_PG_HOST=elsewhere",
                 "LEAD_FUNNEL_PG_PASSWORD=x").splitlines()
    builds = [i for i, line in enumerate(plan) if re.search(r"/dbt build ", line)]
    assert len(builds) == 3  # each engine built once, by its make target
    for engine in stamps.ENGINES:
        begin = next(i for i, line in enumerate(plan) if f"stamps begin {engine}" in line)
        commit = next(i for i, line in enumerate(plan) if f"stamps commit {engine}" in line)
        assert begin < commit
        assert sum(begin < i < commit for i in builds) == 1
    # pytest runs once per lane, after the builds that lane reads: the DuckDB fixture build
    # (every lane) and its own engine's; the DuckDB lane after lint and the semantic layer too.
    # Nothing is declared built.
    pytest_lines = [line for line in plan if "/pytest" in line]
    lanes = {re.sub(r".*LEAD_FUNNEL_TEST_LANE=(\w+) .*", r"\1", line): plan.index(line)
             for line in pytest_lines}
    assert sorted(lanes) == ["duckdb", "postgres", "spark"] and len(pytest_lines) == 3, pytest_lines
    assert all("LEAD_FUNNEL_FIXTURE" not in line for line in pytest_lines)
    committed = {engine: next(i for i, line in enumerate(plan) if f"stamps commit {engine}" in line)
                 for engine in stamps.ENGINES}
    for lane, index in lanes.items():
        assert index > committed["duckdb"] and index > committed[lane], (lane, plan)
    checks = [i for i, line in enumerate(plan) if "sqlfluff lint" in line or "mf validate-configs" in line]
    assert len(checks) == 2 and lanes["duckdb"] > max(checks), plan
