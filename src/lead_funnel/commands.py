"""The subcommands of ``lead-funnel``: for each one the arguments it takes
(``add_<name>_arguments``) and what it does with them (``run_<name>``, returning the exit
status). :mod:`lead_funnel.cli` lists them in its table of subcommands with their help texts."""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from lead_funnel.benchmarking import duckdb_run, engine_run
from lead_funnel.calibration.history import CalibrationError
from lead_funnel.calibration.report import DEFAULT_OUT as CALIBRATE_OUT
from lead_funnel.calibration.report import project_config, run_calibration
from lead_funnel.dbt_runner import DAILY_BUILD_ARGS, DbtError, parse_vars, project_dir, run_dbt
from lead_funnel.generation.dataset import DEFAULT_CHUNK_SIZE, GeneratorConfig, generate_to_dir
from lead_funnel.generation.next_day import generate_next_day
from lead_funnel.generation.shapes import CONNECTOR_SHAPES, SHAPES, restrict_to_shape, write_shape
from lead_funnel.generation.text import DEFAULT_AS_OF
from lead_funnel.generation.writer import FORMATS
from lead_funnel.marts.publish import PublishError, default_published, publish
from lead_funnel.marts.report.data import ReportError
from lead_funnel.marts.report.page import DEFAULT_OUT as REPORT_OUT
from lead_funnel.marts.report.page import write_report
from lead_funnel.marts.summary import SummaryError, summarize
from lead_funnel.marts.validation.results import ValidationError
from lead_funnel.marts.validation.run import run_validation
from lead_funnel.warehouse.connections import LoaderError, default_database
from lead_funnel.warehouse.engines import ENGINES
from lead_funnel.warehouse.loading import DEFAULT_SCHEMA, load_tables

# What a subcommand raises when it cannot do its job for a reason the user can fix: reported
# in one line (`lead-funnel <command>: error: ...`, exit 1), not as a traceback.
REPORTED_ERRORS: tuple[type[Exception], ...] = (
    ValueError, LoaderError, DbtError, SummaryError, ValidationError, CalibrationError,
    ReportError, PublishError)


def _add_generate_arguments(p: argparse.ArgumentParser, default_out: str | None) -> None:
    """The arguments `generate` and `demo` share."""
    p.add_argument("--contacts", type=int, default=10_000, help="number of contacts (10000)")
    p.add_argument("--seed", type=int, default=42, help="random seed (42)")
    if default_out is None:
        p.add_argument("--out", required=True, help="output directory")
    else:
        p.add_argument("--out", default=default_out, help=f"output directory ({default_out})")


def _generate(out: str, contacts: int, seed: int, dirty_rate: float, as_of: str,
              output_format: str = "csv", chunk_size: int = DEFAULT_CHUNK_SIZE) -> str:
    started = time.perf_counter()
    manifest = generate_to_dir(out, GeneratorConfig(contacts, seed, dirty_rate, as_of, chunk_size),
                               output_format)
    elapsed = time.perf_counter() - started
    rows = ", ".join(f"{t}={n:,}" for t, n in manifest["raw_rows"].items())
    print(f"wrote {out} in {elapsed:.1f}s: {rows}")
    return str(manifest["as_of"])


def _generate_shape(out: str, contacts: int, seed: int, dirty_rate: float, as_of: str,
                    shape: str, chunk_size: int = DEFAULT_CHUNK_SIZE) -> str:
    """The world generated in a scratch directory, written in ``out`` as ``shape`` lands it,
    with its restricted raw rendition in ``out``/restricted."""
    if shape == "raw":
        return _generate(out, contacts, seed, dirty_rate, as_of, chunk_size=chunk_size)
    with tempfile.TemporaryDirectory(prefix="lead_funnel_shape_") as scratch:
        generated = _generate(scratch, contacts, seed, dirty_rate, as_of, chunk_size=chunk_size)
        # Every CSV of the folder is a table to `lead-funnel load --shape`: none left from before.
        for stale in Path(out).glob("*.csv"):
            stale.unlink()
        write_shape(shape, Path(scratch), Path(out))
        restrict_to_shape(shape, Path(scratch), Path(out) / "restricted")
    tables = ", ".join(sorted(path.stem for path in Path(out).glob("*.csv")))
    print(f"wrote {out} as {shape} lands it ({tables}) and {out}/restricted (its raw rendition)")
    return generated


def _next_day(out: str, day_out: str | None, output_format: str) -> None:
    if not day_out:
        raise ValueError("--next-day needs --day-out NEWDIR (the existing set stays in --out)")
    started = time.perf_counter()
    manifest = generate_next_day(out, day_out, output_format)
    elapsed = time.perf_counter() - started
    rows = ", ".join(f"{t}={n:,}" for t, n in manifest["raw_rows"].items())
    print(f"wrote day {manifest['day']} of {out} to {day_out} in {elapsed:.1f}s: {rows}; "
          f"as_of {manifest['previous_as_of']} -> {manifest['as_of']}")


def _load(data: str, database: str, schema: str, engine: str = "duckdb", append: bool = False,
          allow_empty: bool = False, shape: str = "raw") -> None:
    loads = load_tables(data, database, schema, engine, append, allow_empty, shape)
    for load in loads:
        notes = load.source.notes()
        if notes:
            print(f"note: {load.source.path}: read as {'; '.join(notes)}")
    for load in loads:
        if load.emptied:
            print(f"WARNING: {schema}.{load.table} held {load.previous_rows:,} rows and is now "
                  f"EMPTY: replaced by the empty extract {load.source.path} (--allow-empty)",
                  file=sys.stderr)
        if load.loaded_empty:
            print(f"WARNING: {schema}.{load.table} is EMPTY: the extract {load.source.path} has a "
                  "header but no rows (check the export; the funnel has nothing from this table)",
                  file=sys.stderr)
        if load.appended:
            print(f"appended {load.rows_loaded:,} rows to {schema}.{load.table}: "
                  f"{load.rows_in_table:,} rows now")
        else:
            print(f"loaded {schema}.{load.table}: {load.rows_in_table:,} rows")
    print(f"into {database if engine == 'duckdb' else engine}")
    if any(not load.appended for load in loads):
        print("note: raw tables were replaced, not appended to: the next dbt build notices the "
              "rows it parsed that are gone, parses every raw row again and recomputes every "
              "contact (docs/funnel_rules.md §7)")


def add_generate_arguments(p: argparse.ArgumentParser) -> None:
    _add_generate_arguments(p, None)
    p.add_argument("--dirty-rate", type=float, default=0.02,
                   help="share of bad rows per table (0.02)")
    p.add_argument("--as-of", default=DEFAULT_AS_OF, help=f"ISO timestamp ({DEFAULT_AS_OF})")
    p.add_argument("--format", default="csv", choices=FORMATS, dest="output_format",
                   help="files to write: csv (default), parquet or both")
    p.add_argument("--chunk-size", type=int, default=DEFAULT_CHUNK_SIZE,
                   help=f"contacts generated (and held in memory) at a time "
                   f"({DEFAULT_CHUNK_SIZE}); a set larger than one chunk depends on it")
    p.add_argument("--next-day", action="store_true",
                   help="instead of a new set: write to --day-out only the rows the EL tool "
                   "would append on the day after the set in --out (as_of + 1 day)")
    p.add_argument("--day-out", default=None, metavar="NEWDIR",
                   help="with --next-day: directory for the day's rows")
    p.add_argument("--shape", default="raw", choices=SHAPES,
                   help="raw (default): the four raw tables; hubspot / salesforce: the same "
                   "world as Fivetran's connector lands it (one CSV per table in --out) and, in "
                   "--out/restricted, its raw rendition restricted to what the connector can "
                   "express (docs/connect_your_crm.md)")


def run_generate(args: argparse.Namespace) -> int:
    if args.next_day:
        _next_day(args.out, args.day_out, args.output_format)
    elif args.shape != "raw":
        if args.output_format != "csv":
            raise ValueError("--shape writes CSV files only (drop --format)")
        _generate_shape(args.out, args.contacts, args.seed, args.dirty_rate, args.as_of,
                        args.shape, args.chunk_size)
    else:
        _generate(args.out, args.contacts, args.seed, args.dirty_rate, args.as_of,
                  args.output_format, args.chunk_size)
    return 0


def add_load_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", required=True, metavar="DIR", help="directory with the four CSVs")
    p.add_argument("--database", default=None,
                   help="DuckDB file (env LEAD_FUNNEL_DUCKDB, else lead_funnel.duckdb)")
    p.add_argument("--schema", default=None,
                   help="target schema (raw; with --shape: the connector's name)")
    p.add_argument("--shape", default="raw", choices=SHAPES,
                   help="raw (default): DIR holds the four raw tables; hubspot / salesforce: "
                   "every CSV of DIR is a table of the connector (lead-funnel generate --shape)")
    p.add_argument("--engine", default="duckdb", choices=ENGINES,
                   help="warehouse: duckdb (default), postgres (reads the LEAD_FUNNEL_PG_* "
                   "variables) or spark (the local session of the dbt profile)")
    p.add_argument("--append", action="store_true",
                   help="append the rows to the tables instead of replacing them")
    p.add_argument("--allow-empty", action="store_true",
                   help="allow replacing a non-empty table with an extract that has no rows")


def run_load(args: argparse.Namespace) -> int:
    _load(args.data, args.database or default_database(),
          args.schema or (DEFAULT_SCHEMA if args.shape == "raw" else args.shape),
          args.engine, args.append, args.allow_empty, args.shape)
    return 0


def add_build_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--as-of", default=None, help="ISO timestamp passed as var as_of")
    p.add_argument("--var", action="append", default=[], metavar="NAME=VALUE",
                   help="another dbt var (repeatable), VALUE read as YAML: numbers stay "
                   "numbers, null is null; e.g. --var mql_threshold=50")
    p.add_argument("--select", nargs="+", default=[], help="dbt selection")
    p.add_argument("--full-refresh", action="store_true",
                   help="recompute everything (after raw tables were replaced rather than "
                   "appended to, or to rebuild from scratch); default: the daily "
                   "incremental build")
    p.add_argument("--database", default=None,
                   help="DuckDB file for the profile (default: env LEAD_FUNNEL_DUCKDB)")
    p.add_argument("--connector", default=None, choices=SHAPES,
                   help="read the CRM through this connector (var crm_connector: raw, "
                   "hubspot or salesforce)")


def run_build(args: argparse.Namespace) -> int:
    dbt_vars = parse_vars(args.var)
    if args.connector:
        dbt_vars["crm_connector"] = args.connector
    run_dbt("build", as_of=args.as_of, select=args.select, database=args.database,
            dbt_vars=dbt_vars,
            extra_args=[*DAILY_BUILD_ARGS, *(["--full-refresh"] if args.full_refresh else [])])
    return 0


def add_summary_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--database", default=None,
                   help="DuckDB file (env LEAD_FUNNEL_DUCKDB, else lead_funnel.duckdb)")


def run_summary(args: argparse.Namespace) -> int:
    print(summarize(args.database or default_database()))
    return 0


def add_validate_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--database", default=None,
                   help="DuckDB file (env LEAD_FUNNEL_DUCKDB, else lead_funnel.duckdb)")
    p.add_argument("--max-quarantine-share", type=float, default=0.05,
                   help="ceiling on quarantined_rows / raw_rows (0.05)")
    p.add_argument("--max-staleness-days", type=float, default=7.0,
                   help="max days between the newest event and as_of (7)")
    p.add_argument("--max-shrink", type=float, default=0.5,
                   help="largest share of rows a raw table or mart may lose since the "
                   "last validated run (0.5); 1 accepts any drop")
    p.add_argument("--raw-schema", default=DEFAULT_SCHEMA,
                   help="schema of the raw tables counted by the volume check (raw)")
    p.add_argument("--no-history", action="store_true",
                   help="compare with the run history but do not record this run")


def run_validate(args: argparse.Namespace) -> int:
    report = run_validation(args.database or default_database(), args.max_quarantine_share,
                            args.max_staleness_days, args.max_shrink, args.raw_schema,
                            not args.no_history)
    print(report.render())
    return 0 if report.success else 1


def add_demo_arguments(p: argparse.ArgumentParser) -> None:
    _add_generate_arguments(p, "data/sample")
    p.add_argument("--database", default=None,
                   help="DuckDB file (env LEAD_FUNNEL_DUCKDB, else lead_funnel.duckdb)")
    p.add_argument("--connector", default="raw", choices=SHAPES,
                   help="run the demo through a connector's adapter: the sample is written as "
                   "the connector lands it, loaded into its schema and built with "
                   "crm_connector set (raw: the four raw tables)")


def run_demo(args: argparse.Namespace) -> int:
    database = args.database or default_database()
    connector = args.connector
    as_of = _generate_shape(args.out, args.contacts, args.seed, 0.02, DEFAULT_AS_OF, connector)
    _load(args.out, database, DEFAULT_SCHEMA if connector == "raw" else connector,
          shape=connector)
    # The sample replaced the raw tables: rebuild from scratch, not incrementally.
    run_dbt("build", as_of=as_of, database=database,
            extra_args=[*DAILY_BUILD_ARGS, "--full-refresh"],
            dbt_vars={"crm_connector": connector} if connector in CONNECTOR_SHAPES else None)
    print(summarize(database))
    return 0


def add_report_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--database", default=None,
                   help="DuckDB file (env LEAD_FUNNEL_DUCKDB, else lead_funnel.duckdb)")
    p.add_argument("--out", default=REPORT_OUT, help=f"HTML file to write ({REPORT_OUT})")
    p.add_argument("--sla-hours", type=float, default=None,
                   help="SLA line of the response-time chart (default: handoff_sla_hours "
                   "of dbt_project.yml)")
    p.add_argument("--mql-threshold", type=float, default=None,
                   help="threshold line of the score chart (default: mql_threshold of "
                   "dbt_project.yml)")


def run_report(args: argparse.Namespace) -> int:
    path = write_report(args.database or default_database(), args.out, args.sla_hours,
                        args.mql_threshold)
    print(f"wrote the funnel report {path}")
    return 0


def add_publish_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--database", default=None,
                   help="working DuckDB file dbt builds (env LEAD_FUNNEL_DUCKDB, else "
                   "lead_funnel.duckdb)")
    p.add_argument("--to", default=None, dest="published",
                   help="published file (env LEAD_FUNNEL_PUBLISHED_DUCKDB, else "
                   "<database>_published.duckdb)")
    p.add_argument("--parquet", default=None, metavar="DIR",
                   help="also write every mart as DIR/<schema>/<table>.parquet")


def run_publish(args: argparse.Namespace) -> int:
    database = args.database or default_database()
    print(publish(database, args.published or default_published(database), args.parquet).render())
    return 0


def add_calibrate_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--database", default=None,
                   help="built DuckDB file (env LEAD_FUNNEL_DUCKDB, else lead_funnel.duckdb)")
    p.add_argument("--out", default=CALIBRATE_OUT,
                   help=f"directory for the proposal ({CALIBRATE_OUT}); never seeds/")
    p.add_argument("--target", choices=("sql", "customer"), default="sql",
                   help="the outcome predicted: reaching SQL (default) or customer")
    p.add_argument("--window-days", type=float, default=180.0,
                   help="the target counts when reached this many days after creation (180)")
    p.add_argument("--horizon-days", type=float, default=7.0,
                   help="every contact is scored this many days after its creation, from "
                   "the events before then; contacts that reached the target sooner are "
                   "left out (7)")
    p.add_argument("--test-share", type=float, default=0.3,
                   help="share of the newest cohorts held out for the comparison (0.3)")
    p.add_argument("--mql-volume", type=float, default=None, metavar="SHARE",
                   help="MQL share of contacts the threshold aims at (default: the current "
                   "rules' MQL volume)")
    p.add_argument("--min-support", type=float, default=0.01,
                   help="share of training contacts a candidate rule needs (0.01; at least 20)")
    p.add_argument("--mql-threshold", type=float, default=None,
                   help="the current rules' threshold (default: mql_threshold of "
                   "dbt_project.yml)")
    p.add_argument("--half-life-days", type=float, default=None,
                   help="engagement half-life (default: score_half_life_days of "
                   "dbt_project.yml)")


def run_calibrate(args: argparse.Namespace) -> int:
    project = project_dir()
    config = project_config(
        project, target=args.target, window_days=args.window_days,
        horizon_days=args.horizon_days, test_share=args.test_share, mql_share=args.mql_volume,
        min_support=args.min_support, mql_threshold=args.mql_threshold,
        half_life_days=args.half_life_days)
    print(run_calibration(args.database or default_database(), args.out, config, project))
    return 0


def add_benchmark_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--contacts", type=int, default=10_000, help="number of contacts (10000)")
    p.add_argument("--seed", type=int, default=42, help="random seed (42)")
    p.add_argument("--repeat", type=int, default=3, help="timed runs of each query (3)")
    p.add_argument("--engine", default="duckdb", choices=("duckdb",) + engine_run.OTHER_ENGINES,
                   help="duckdb (default): every figure above; postgres, spark, "
                   "spark_cluster: a full build and a one-day refresh there")
    p.add_argument("--work-dir", default=None,
                   help="keep the scratch files (data, DuckDB files, dbt targets) here "
                   "(default: a temporary directory, removed)")
    p.add_argument("--no-reference", dest="reference", action="store_false",
                   help="with --engine other than duckdb: skip the T0 builds and DuckDB's "
                   "build of the same set (the ratio against DuckDB is then not printed)")
    p.add_argument("--no-score-comparison", dest="score_comparison", action="store_false",
                   help="DuckDB: skip the window pass vs self-join timing, which fetches every "
                   "moment of the built tables into Python (several GB at 10M contacts)")


def run_benchmark(args: argparse.Namespace) -> int:
    if args.engine == "duckdb":
        print(duckdb_run.run_benchmark(args.contacts, args.seed, args.repeat,
                                       args.work_dir, args.score_comparison).report())
    else:
        print(engine_run.run_engine_benchmark(args.engine, args.contacts, args.seed,
                                              args.work_dir, args.reference).report())
    return 0
