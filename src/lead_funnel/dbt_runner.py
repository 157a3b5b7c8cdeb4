"""Thin wrapper around the ``dbt`` executable of this environment."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Mapping, Sequence


class DbtError(RuntimeError):
    """dbt is missing or exited with a non-zero status."""


def project_dir(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    return Path(env.get("LEAD_FUNNEL_PROJECT_DIR") or os.getcwd()).resolve()


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


def build_command(command: str = "build", as_of: str | None = None,
                  select: Sequence[str] = (), extra_args: Sequence[str] = (),
                  project: Path | None = None, executable: str | None = None) -> list[str]:
    root = project if project is not None else project_dir()
    # A command may be several words ("source freshness"): the flags go after all of them.
    argv = [executable or dbt_executable(), *command.split(),
            "--project-dir", str(root), "--profiles-dir", str(root / "profiles")]
    if as_of is not None:
        argv += ["--vars", json.dumps({"as_of": as_of})]
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
            database: str | Path | None = None) -> None:
    """Run dbt, streaming its output to ours; raise DbtError on a non-zero exit."""
    argv = build_command(command, as_of, select, extra_args, project)
    print("$ " + " ".join(argv), flush=True)
    try:
        completed = subprocess.run(argv, env=dbt_env(database=database), check=False)
    except OSError as exc:
        raise DbtError(f"could not start dbt: {exc}") from exc
    if completed.returncode != 0:
        raise DbtError(f"dbt {command} failed with exit code {completed.returncode}")
