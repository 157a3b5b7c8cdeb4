"""Thin wrapper around the ``dbt`` executable of this environment."""

from __future__ import annotations

import datetime
import importlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Mapping, Sequence


class DbtError(RuntimeError):
    """dbt is missing or exited with a non-zero status."""


# The daily build's extra flags: unit tests check the code, not the day's data, so they run in
# CI (`make dbt-test`) and not in every build (docs/funnel_rules.md §7).
DAILY_BUILD_ARGS: tuple[str, ...] = ("--exclude-resource-type", "unit_test")

# DuckDB's error when another process holds the file: "... Conflicting lock is held in
# /usr/bin/python3 (PID 4242) ..." (the holder's program and process id).
_LOCK_HOLDER = re.compile(r"Conflicting lock is held in (?P<program>.+?) \(PID (?P<pid>\d+)\)")


def locked_database_message(error: BaseException, database: str | Path) -> str | None:
    """One line for a DuckDB file another process holds (DuckDB allows one writer process):
    who holds it and what to do, or None when `error` is something else."""
    found = _LOCK_HOLDER.search(str(error))
    if found is None:
        return None
    return (f"the DuckDB file {database} is locked by process {found['pid']} "
            f"({found['program']}): close that process (a BI tool or notebook holding the working "
            "file open), and let readers use the copy `lead-funnel publish` writes, which never "
            "blocks a build")


def check_duckdb_unlocked(database: str | Path) -> None:
    """Raise DbtError with :func:`locked_database_message` when another process holds the
    DuckDB file dbt is about to open read-write (nothing when the file does not exist yet)."""
    if not Path(database).exists():
        return
    duckdb: Any = importlib.import_module("duckdb")
    try:
        duckdb.connect(str(database)).close()
    except duckdb.IOException as exc:
        message = locked_database_message(exc, database)
        if message is None:
            raise
        raise DbtError(message) from exc


def project_dir(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    return Path(env.get("LEAD_FUNNEL_PROJECT_DIR") or os.getcwd()).resolve()


def project_vars(project: Path | None = None) -> dict[str, Any]:
    """The ``vars:`` of dbt_project.yml: the values a build without --vars uses."""
    yaml: Any = importlib.import_module("yaml")  # PyYAML, a dbt dependency (no type stubs)
    root = project if project is not None else project_dir()
    loaded = yaml.safe_load((root / "dbt_project.yml").read_text(encoding="utf-8")) or {}
    return dict(loaded.get("vars") or {})


def dbt_executable() -> str:
    """The ``dbt`` next to the running interpreter (a venv's bin/), else the one on PATH."""
    for name in ("dbt", "dbt.exe"):
        candidate = Path(sys.executable).parent / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which("dbt")
    if found is None:
        raise DbtError("dbt executable not found next to the Python interpreter or on PATH")
    return found


_VAR_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def parse_vars(pairs: Sequence[str]) -> dict[str, Any]:
    """``NAME=VALUE`` pairs (``lead-funnel build --var``) as dbt vars. VALUE is read as YAML, as
    dbt reads --vars, so numbers stay numbers and ``null`` / an empty VALUE is null; timestamps
    and dates stay text (an ISO as_of is passed on as written)."""
    yaml: Any = importlib.import_module("yaml")  # PyYAML, a dbt dependency (no type stubs)
    parsed: dict[str, Any] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        name = name.strip()
        if not sep or not _VAR_NAME.match(name):
            raise ValueError(f"--var expects NAME=VALUE (e.g. mql_threshold=50), got {pair!r}")
        try:
            parsed[name] = yaml.safe_load(value)
        except yaml.YAMLError as exc:
            raise ValueError(f"--var {name}: VALUE is not YAML: {value!r}") from exc
        if isinstance(parsed[name], (datetime.date, datetime.datetime)):
            parsed[name] = value.strip()  # YAML reads ISO text as a date: keep it as written
    return parsed


def merged_vars(as_of: str | None, dbt_vars: Mapping[str, Any] | None) -> dict[str, Any]:
    """``as_of`` (when given) first, then the other vars; as_of given twice must agree."""
    rest = dict(dbt_vars or {})
    if as_of is None:
        return rest
    if "as_of" in rest and rest["as_of"] != as_of:
        raise ValueError(f"as_of given twice: --as-of {as_of} and --var as_of={rest['as_of']}")
    rest.pop("as_of", None)
    return {"as_of": as_of, **rest}


def build_command(command: str = "build", as_of: str | None = None,
                  select: Sequence[str] = (), extra_args: Sequence[str] = (),
                  project: Path | None = None, executable: str | None = None,
                  dbt_vars: Mapping[str, Any] | None = None) -> list[str]:
    root = project if project is not None else project_dir()
    # A command may be several words ("source freshness"): the flags go after all of them.
    argv = [executable or dbt_executable(), *command.split(),
            "--project-dir", str(root), "--profiles-dir", str(root / "profiles")]
    merged = merged_vars(as_of, dbt_vars)
    if merged:
        argv += ["--vars", json.dumps(merged)]
    if select:
        argv += ["--select", *select]
    argv += list(extra_args)
    return argv


def dbt_env(base: Mapping[str, str] | None = None,
            database: str | Path | None = None) -> dict[str, str]:
    """The environment for dbt: no tracking; the DuckDB path when one is given."""
    env = dict(os.environ if base is None else base)
    env["DO_NOT_TRACK"] = "1"
    if database is not None:
        env["LEAD_FUNNEL_DUCKDB"] = str(Path(database).resolve())
    return env


def run_dbt(command: str = "build", as_of: str | None = None, select: Sequence[str] = (),
            extra_args: Sequence[str] = (), project: Path | None = None,
            database: str | Path | None = None,
            dbt_vars: Mapping[str, Any] | None = None) -> None:
    """Run dbt, streaming its output to ours; raise DbtError on a non-zero exit. The command is
    printed first, quoted so that it can be pasted into a shell."""
    argv = build_command(command, as_of, select, extra_args, project, dbt_vars=dbt_vars)
    env = dbt_env(database=database)
    if env.get("LEAD_FUNNEL_TARGET", "duckdb") == "duckdb":
        check_duckdb_unlocked(env.get("LEAD_FUNNEL_DUCKDB", "lead_funnel.duckdb"))
    print("$ " + shlex.join(argv), flush=True)
    try:
        completed = subprocess.run(argv, env=env, check=False)
    except OSError as exc:
        raise DbtError(f"could not start dbt: {exc}") from exc
    if completed.returncode != 0:
        raise DbtError(f"dbt {command} failed with exit code {completed.returncode}")
