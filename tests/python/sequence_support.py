"""Helpers of tests/python/test_refresh_cases.py and test_build_sequences.py: any dbt command on
one DuckDB file (a build may be stopped half-way, as an orchestrator's timeout does), the days
of a tiny generated set with their `_loaded_at` scrambled, and the check that a plain build
equals `--full-refresh` on the same raw rows and as_of (docs/funnel_rules.md §7).

Every database gets its own work directory (dbt target and logs), so that `dbt retry` reads the
run results of that database's previous command and nothing is shared with other tests.
"""

from __future__ import annotations

import csv
import os
import random
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from lead_funnel.contract import TABLES
from lead_funnel.dbt_runner import build_command, dbt_env
from lead_funnel.generation.next_day import generate_next_day
from lead_funnel.generation.dataset import GeneratorConfig, generate_to_dir
from lead_funnel.generation.text import format_utc, parse_as_of

from conftest import PROJECT_DIR
from incremental_support import BuildResult, compare_databases, load_raw

# The daily command (docs/funnel_rules.md §7): unit tests are CI's, not the day's.
NO_UNIT_TESTS = ("--exclude-resource-type", "unit_test")
DAY_SECONDS = 86_400


@dataclass
class Warehouse:
    """One DuckDB file and the dbt work directory of the commands run on it."""

    database: Path
    work: Path
    commands: list[BuildResult] = field(default_factory=list)

    def env(self) -> dict[str, str]:
        env = dbt_env(database=self.database)
        env.update(DBT_TARGET_PATH=str(self.work / "target"), DBT_LOG_PATH=str(self.work / "logs"),
                   LEAD_FUNNEL_TARGET="duckdb")
        return env

    def argv(self, args: Sequence[str], as_of: str | None) -> list[str]:
        return build_command(args[0], as_of=as_of, project=PROJECT_DIR, extra_args=list(args[1:]))

    def dbt(self, args: Sequence[str], as_of: str | None) -> BuildResult:
        """Run `dbt <args>` at `as_of` (None: no vars, as `dbt retry` takes its run's own)."""
        argv = self.argv(args, as_of)
        started = time.perf_counter()
        done = subprocess.run(argv, env=self.env(), capture_output=True, text=True, check=False,
                              cwd=PROJECT_DIR)
        result = BuildResult(" ".join(args), " ".join(argv[1:]), time.perf_counter() - started,
                             done.returncode, done.stdout + done.stderr[-2000:])
        self.commands.append(result)
        return result

    def dbt_stopped(self, args: Sequence[str], as_of: str, after_models: int,
                    hard: bool) -> BuildResult:
        """Start `dbt <args>` and stop it once `after_models` models have finished: SIGINT
        (dbt cancels, as on Ctrl-C or a polite timeout), or SIGKILL when `hard` (nothing of
        dbt's own runs after it)."""
        argv = self.argv(args, as_of)
        started = time.perf_counter()
        lines: list[str] = []
        with subprocess.Popen(argv, env=self.env(), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, cwd=PROJECT_DIR,
                              start_new_session=True) as process:
            assert process.stdout is not None
            finished = 0
            for line in process.stdout:
                lines.append(line)
                if " OK created " in line:
                    finished += 1
                    if finished >= after_models:
                        os.killpg(process.pid, signal.SIGKILL if hard else signal.SIGINT)
                        break
            try:
                rest, _ = process.communicate(timeout=120)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                rest, _ = process.communicate()
            lines.append(rest or "")
        result = BuildResult(f"{' '.join(args)} stopped after {after_models} models"
                             f"{' (killed)' if hard else ''}", " ".join(argv[1:]),
                             time.perf_counter() - started, process.returncode,
                             "".join(lines)[-6000:])
        self.commands.append(result)
        return result

    def history(self) -> str:
        return "\n".join(f"  {command.step}: exit {command.returncode}" for command in self.commands)


def new_warehouse(work: Path, name: str) -> Warehouse:
    (work / name).mkdir(parents=True, exist_ok=True)
    return Warehouse(work / name / "warehouse.duckdb", work / name)


# --- data -----------------------------------------------------------------------------------

def tiny_set(out: Path, contacts: int = 60, seed: int = 5,
             as_of: str = "2025-06-30T00:00:00Z") -> str:
    """A generated set of `contacts` (5% dirty rows); returns its as_of."""
    manifest = generate_to_dir(out, GeneratorConfig(contacts=contacts, seed=seed,
                                                    dirty_rate=0.05, as_of=as_of))
    return str(manifest["as_of"])


def next_days(base: Path, out: Path, count: int) -> list[tuple[Path, str]]:
    """`count` generator days on top of `base` (each on top of the previous one): their
    directories and as_of."""
    days: list[tuple[Path, str]] = []
    previous = base
    for number in range(1, count + 1):
        manifest = generate_next_day(previous, out / f"day{number}")
        days.append((out / f"day{number}", str(manifest["as_of"])))
        previous = out / f"day{number}"
    return days


def scrambled_day(day_dir: Path, out: Path, seed: int, as_of: str) -> Path:
    """A copy of a day whose `_loaded_at` is scrambled on a third of its rows (every third row
    of the day, counted across its tables from an offset the seed picks), in turn as an EL
    tool gets it wrong: blank, 40 days after `as_of`, 12 days before it (before the rows of
    earlier days: out of `_loaded_at` order). A day of 9 rows or more has all three."""
    offset = random.Random(seed).randrange(3)
    moment = parse_as_of(as_of)
    choices = ("", format_utc(moment + 40 * DAY_SECONDS), format_utc(moment - 12 * DAY_SECONDS))
    out.mkdir(parents=True, exist_ok=True)
    number = 0
    for table in TABLES:
        with (day_dir / f"{table}.csv").open(newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
        loaded_at = rows[0].index("_loaded_at")
        for row in rows[1:]:
            if number % 3 == offset:
                row[loaded_at] = choices[(number // 3) % 3]
            number += 1
        with (out / f"{table}.csv").open("w", newline="", encoding="utf-8") as handle:
            csv.writer(handle, lineterminator="\n").writerows(rows)
    return out


def append_day(warehouse: Warehouse, day_dir: Path) -> dict[str, int]:
    return load_raw(day_dir, warehouse.database, append=True)


# --- the property ---------------------------------------------------------------------------

def plain_build_equals_full_refresh(warehouse: Warehouse, as_of: str) -> list[str]:
    """Run a plain `dbt build` (the daily command) at `as_of`, then `dbt run --full-refresh`
    on a copy of the file (same raw rows, seeds and as_of; the plain build ran the data
    tests); return what failed or differs (every mart and data-quality model compared;
    doubles within 1e-9 relative)."""
    plain = warehouse.dbt(["build", *NO_UNIT_TESTS], as_of)
    copy = new_warehouse(warehouse.work, "full_refresh")
    shutil.copyfile(warehouse.database, copy.database)
    full = copy.dbt(["run", "--full-refresh"], as_of)
    problems = [result.failure for result in (plain, full) if result.failure]
    problems += [comparison.problem for comparison in
                 compare_databases(warehouse.database, copy.database) if comparison.problem]
    return [problem for problem in problems if problem]
