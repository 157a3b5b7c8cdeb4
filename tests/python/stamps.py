"""Build stamps: which inputs an engine's fixture build was made from.

`make dbt-test`, `dbt-test-postgres` and `dbt-test-spark` each build the project on the fixture
of tests/fixtures/raw. Before building they run ``python -m stamps begin ENGINE`` (with
tests/python on PYTHONPATH), which deletes the engine's stamp and notes the hash of the inputs
as they are now, and after a successful build ``python -m stamps commit ENGINE``, which puts
the stamp in place. A failed or interrupted build therefore leaves no stamp. The pytest session
(tests/python/conftest.py) reuses a prebuilt engine only when its stamp's hash equals the hash
of the current inputs, and builds the engine itself otherwise. A cache of the test builds, so
it lives with the tests and is not part of the installed package.

The inputs are every file under :data:`INPUT_DIRS` plus :data:`INPUT_FILES`, relative to the
project directory: their paths and bytes go into one SHA-256.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Mapping, Sequence

from lead_funnel.dbt_runner import project_dir

INPUT_DIRS: tuple[str, ...] = ("models", "macros", "seeds", "tests/fixtures", "tests/generic",
                               "profiles")
# The loading code (engines, CSV rewriting) and the contract shape the raw tables the build
# reads, so they count too.
INPUT_FILES: tuple[str, ...] = ("dbt_project.yml", "src/lead_funnel/warehouse/loading.py",
                                "src/lead_funnel/warehouse/engines.py",
                                "src/lead_funnel/warehouse/csv_files.py",
                                "src/lead_funnel/contract.py")
# Files that tools write beside the inputs and that do not change a build.
IGNORED_NAMES = frozenset({".user.yml", "__pycache__", ".DS_Store"})
IGNORED_SUFFIXES = (".pyc", ".swp", "~")
ENGINES: tuple[str, ...] = ("duckdb", "postgres", "spark")


def input_files(project: Path) -> list[Path]:
    """Every input file of a build, sorted by its path relative to ``project``."""
    files: list[Path] = []
    for name in INPUT_DIRS:
        root = project / name
        if root.is_dir():
            for path in root.rglob("*"):
                parts = path.relative_to(project).parts
                if (path.is_file() and not IGNORED_NAMES.intersection(parts)
                        and not path.name.endswith(IGNORED_SUFFIXES)):
                    files.append(path)
    files += [project / name for name in INPUT_FILES if (project / name).is_file()]
    return sorted(set(files), key=lambda p: p.relative_to(project).as_posix())


def inputs_hash(project: Path | None = None) -> str:
    """SHA-256 of the relative path and the bytes of every input file."""
    root = (project or project_dir()).resolve()
    digest = hashlib.sha256()
    for path in input_files(root):
        relative = path.relative_to(root).as_posix().encode()
        content = path.read_bytes()
        digest.update(len(relative).to_bytes(8, "big") + relative)
        digest.update(len(content).to_bytes(8, "big") + content)
    return digest.hexdigest()


def stamp_dir(project: Path | None = None) -> Path:
    """Where stamps live: $LEAD_FUNNEL_STAMP_DIR, else <project>/target/stamps."""
    given = os.environ.get("LEAD_FUNNEL_STAMP_DIR")
    if given:
        return Path(given)
    return (project or project_dir()).resolve() / "target" / "stamps"


def stamp_path(engine: str, project: Path | None = None) -> Path:
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r} (available: {', '.join(ENGINES)})")
    return stamp_dir(project) / f"{engine}.json"


def target_identity(engine: str, project: Path | None = None) -> dict[str, str]:
    """What tells one engine target from another, recorded in the stamp and compared on check:
    the PostgreSQL server and database, the Spark warehouse directory. (A DuckDB stamp names
    its file itself, as `database`.)"""
    if engine == "postgres":
        from lead_funnel.warehouse.connections import postgres_settings

        return {f"pg_{key}": value for key, value in postgres_settings().items()}
    if engine == "spark":
        return {"warehouse": str((project or project_dir()).resolve() / "spark-warehouse")}
    return {}


def _pending_path(engine: str, project: Path | None) -> Path:
    return stamp_path(engine, project).with_suffix(".pending.json")


def begin(engine: str, details: Mapping[str, Any] | None = None,
          project: Path | None = None) -> Path:
    """Before a build: drop the engine's stamp and note the inputs' hash as they are now (an
    edit made during the build then makes the stamp stale, as it should)."""
    stamp = stamp_path(engine, project)
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.unlink(missing_ok=True)
    pending = _pending_path(engine, project)
    record = {"engine": engine, "inputs_hash": inputs_hash(project),
              "started_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
              **target_identity(engine, project), **(details or {})}
    pending.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return pending


def commit(engine: str, project: Path | None = None) -> Path:
    """After a successful build: the noted record becomes the engine's stamp."""
    pending = _pending_path(engine, project)
    if not pending.is_file():
        raise FileNotFoundError(f"no pending stamp {pending}: run `begin {engine}` before the build")
    stamp = stamp_path(engine, project)
    pending.replace(stamp)
    return stamp


@dataclass(frozen=True)
class StampCheck:
    engine: str
    current: bool
    reason: str
    record: dict[str, Any]


def check(engine: str, expected: Mapping[str, Any] | None = None, project: Path | None = None,
          current_hash: str | None = None) -> StampCheck:
    """Whether the engine's stamp matches the current inputs, the engine's target identity and
    every ``expected`` detail (e.g. the as_of it was built with), with a one-line reason."""
    stamp = stamp_path(engine, project)
    if not stamp.is_file():
        return StampCheck(engine, False, f"no build stamp {stamp}", {})
    try:
        record: dict[str, Any] = json.loads(stamp.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return StampCheck(engine, False, f"unreadable build stamp {stamp}: {exc}", {})
    now = current_hash if current_hash is not None else inputs_hash(project)
    if record.get("inputs_hash") != now:
        return StampCheck(engine, False,
                          f"stale build stamp {stamp}: inputs changed since the build of "
                          f"{record.get('started_at', '?')}", record)
    for key, value in {**target_identity(engine, project), **(expected or {})}.items():
        if record.get(key) != value:
            return StampCheck(engine, False, f"build stamp {stamp} has {key}="
                              f"{record.get(key)!r}, not {value!r}", record)
    return StampCheck(engine, True, f"build stamp {stamp} matches the current inputs", record)


def _details(pairs: Sequence[str]) -> dict[str, str]:
    details: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise SystemExit(f"stamps: expected NAME=VALUE, got {pair!r}")
        details[name] = value
    return details


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stamps",
                                     description="Stamps of the engine fixture builds.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("hash", help="print the hash of the current build inputs")
    for name, text in (("begin", "before a build: drop the stamp, note the inputs' hash"),
                       ("commit", "after a successful build: put the stamp in place"),
                       ("check", "exit 0 when the stamp matches the current inputs")):
        command = sub.add_parser(name, help=text)
        command.add_argument("engine", choices=ENGINES)
        if name in ("begin", "check"):
            command.add_argument("details", nargs="*", metavar="NAME=VALUE",
                                 help="recorded (begin) or required (check) build details")
    args = parser.parse_args(argv)
    if args.command == "hash":
        print(inputs_hash())
    elif args.command == "begin":
        begin(args.engine, _details(args.details))
    elif args.command == "commit":
        print(f"stamped {commit(args.engine)}")
    else:
        result = check(args.engine, _details(args.details))
        print(result.reason)
        return 0 if result.current else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
