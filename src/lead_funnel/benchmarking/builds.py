"""Timing a ``dbt build``: its wall time, peak memory (:mod:`.proc_memory`) and slowest models,
read from a target path of the benchmark's own (``DBT_TARGET_PATH``) so that concurrent dbt
runs never overwrite it; and the scratch directory a benchmark run works in."""

from __future__ import annotations

import json
import subprocess
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Mapping

from lead_funnel.benchmarking.proc_memory import PeakSampler
from lead_funnel.dbt_runner import DAILY_BUILD_ARGS, DbtError, build_command, dbt_env, project_dir
from lead_funnel.warehouse.loading import load_directory

SLOWEST = 8
# the as_of of the tiny fixture (tests/fixtures/raw), whose build is T0, dbt's fixed cost
FIXTURE_AS_OF = "2024-07-01T00:00:00Z"


@dataclass(frozen=True)
class BuildFigures:
    """One ``dbt build``: wall time, peak memory and its slowest models."""
    label: str
    seconds: float
    peak_rss_mb: float
    tree_rss_mb: float
    hwm_mb: float
    slowest_models: list[tuple[str, float]]
    models: int
    target: Path
    # the most DuckDB had spilled to <database>.tmp/ at one time; None on the other engines
    spill_mb: float | None = None

    def line(self) -> str:
        spilled = "" if self.spill_mb is None else f"   peak spill {self.spill_mb:,.0f} MB"
        return (f"{self.seconds:7.1f} s   peak RSS {self.peak_rss_mb:7,.0f} MB "
                f"(process tree {self.tree_rss_mb:,.0f} MB, dbt VmHWM {self.hwm_mb:,.0f} MB)"
                f"{spilled}   {self.models} models")


def row_counts_text(counts: Mapping[str, int]) -> str:
    """``table n, table n, ...`` of a set's raw row counts, for a report."""
    return ", ".join(f"{table} {count:,}" for table, count in counts.items())


def slowest_models_lines(*builds: BuildFigures) -> list[str]:
    """The report lines of each build's slowest models."""
    lines: list[str] = []
    for build in builds:
        lines.append(f"slowest models, {build.label} (execution_time, s):")
        lines += [f"  {seconds:8.2f}  {name}" for name, seconds in build.slowest_models]
    return lines


def slowest_models(run_results: Path, n: int = SLOWEST) -> tuple[list[tuple[str, float]], int]:
    """The ``n`` models with the longest execution_time in a run_results.json, and the number
    of models it holds."""
    results = json.loads(run_results.read_text(encoding="utf-8"))["results"]
    models = [(str(r["unique_id"]).split(".")[-1], float(r.get("execution_time") or 0.0))
              for r in results if str(r["unique_id"]).startswith("model.")]
    models.sort(key=lambda item: (-item[1], item[0]))
    return models[:n], len(models)


def timed_build(label: str, database: Path | None, as_of: str, work: Path,
                project: Path | None = None, engine: str = "duckdb",
                env_overrides: Mapping[str, str] | None = None,
                cwd: Path | None = None) -> BuildFigures:
    """``dbt build`` with ``as_of`` on ``engine`` (the profile output of that name; for DuckDB
    the file ``database``); target and log paths under ``work``; run from ``cwd`` (default:
    the project; a local Spark session keeps its catalog there)."""
    root = project if project is not None else project_dir()
    target, logs = work / f"target_{label}", work / f"logs_{label}"
    env = dbt_env(database=database)
    env.update(env_overrides or {})
    env["LEAD_FUNNEL_TARGET"] = engine
    env["DBT_TARGET_PATH"], env["DBT_LOG_PATH"] = str(target), str(logs)
    # the daily command (unit tests are CI's), for T0, the full build and the refresh alike
    argv = build_command("build", as_of=as_of, project=root, extra_args=DAILY_BUILD_ARGS)
    output = work / f"dbt_{label}.log"
    with open(output, "wb") as log:
        started = time.perf_counter()
        process = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   cwd=cwd or root)
        # DuckDB's temp_directory default: the database file's name + ".tmp"
        spill_dir = database.with_name(database.name + ".tmp") if database is not None else None
        sampler = PeakSampler(process.pid, spill_dir=spill_dir)
        sampler.start()
        process.wait()
        elapsed = time.perf_counter() - started
        sampler.done.set()
        sampler.join()
    if process.returncode != 0:
        tail = output.read_text(encoding="utf-8", errors="replace")[-3000:]
        raise DbtError(f"dbt build ({label}) failed during the benchmark:\n{tail}")
    slowest, n_models = slowest_models(target / "run_results.json")
    tree_mb, hwm_mb = sampler.peak_kb / 1024, sampler.hwm_kb / 1024
    return BuildFigures(label, elapsed, max(tree_mb, hwm_mb), tree_mb, hwm_mb, slowest,
                        n_models, target,
                        None if spill_dir is None else sampler.spill_bytes / 2**20)


def duckdb_fixture_build(label: str, work: Path, project: Path) -> BuildFigures:
    """T0 on DuckDB: the fixture (tests/fixtures/raw) loaded into a fresh ``work/<label>.duckdb``
    and built at FIXTURE_AS_OF."""
    database = work / f"{label}.duckdb"
    database.unlink(missing_ok=True)
    load_directory(project / "tests" / "fixtures" / "raw", str(database), "raw")
    return timed_build(label, database, FIXTURE_AS_OF, work, project)


@contextmanager
def work_directory(work_dir: Path | str | None, prefix: str) -> Iterator[Path]:
    """Where a benchmark keeps its scratch files: ``work_dir`` (made if missing, kept), or a
    temporary directory removed afterwards."""
    if work_dir is None:
        with tempfile.TemporaryDirectory(prefix=prefix) as scratch:
            yield Path(scratch).resolve()
        return
    work = Path(work_dir)
    work.mkdir(parents=True, exist_ok=True)
    yield work.resolve()
