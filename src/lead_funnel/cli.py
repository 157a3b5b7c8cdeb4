"""Command line: ``lead-funnel generate | load | build | summary | validate | demo``."""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Sequence

import duckdb

from lead_funnel import __version__
from lead_funnel.benchmarking.duckdb_run import run_benchmark
from lead_funnel.benchmarking.engine_run import OTHER_ENGINES, run_engine_benchmark
from lead_funnel.calibration.history import CalibrationError
from lead_funnel.calibration.report import DEFAULT_OUT as CALIBRATE_OUT
from lead_funnel.calibration.report import project_config, run_calibration
from lead_funnel.dbt_runner import (
    DAILY_BUILD_ARGS, DbtError, locked_database_message, parse_vars, project_dir, run_dbt)
from lead_funnel.generation.next_day import generate_next_day
from lead_funnel.generation.shapes import CONNECTOR_SHAPES, SHAPES, restrict_to_shape, write_shape
from lead_funnel.generation.dataset import DEFAULT_CHUNK_SIZE, GeneratorConfig, generate_to_dir
from lead_funnel.generation.text import DEFAULT_AS_OF
from lead_funnel.generation.writer import FORMATS
from lead_funnel.warehouse.connections import LoaderError, default_database
from lead_funnel.warehouse.engines import ENGINES
from lead_funnel.warehouse.loading import DEFAULT_SCHEMA, load_tables
from lead_funnel.marts.summary import SummaryError, summarize
from lead_funnel.marts.validation.results import ValidationError
from lead_funnel.marts.validation.run import run_validation
from lead_funnel.marts.publish import PublishError, default_published, publish
from lead_funnel.marts.report.data import ReportError
from lead_funnel.marts.report.page import DEFAULT_OUT as REPORT_OUT, write_report


def _add_generate_args(p: argparse.ArgumentParser, default_out: str | None) -> None:
    p.add_argument("--contacts", type=int, default=10_000, help="number of contacts (10000)")
    p.add_argument("--seed", type=int, default=42, help="random seed (42)")
    if default_out is None:
        p.add_argument("--out", required=True, help="output directory")
    else:
        p.add_argument("--out", default=default_out, help=f"output directory ({default_out})")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lead-funnel", description="Synthetic raw data and orchestration for lead_funnel.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    gen = sub.add_parser("generate", help="write synthetic raw CSVs and manifest.json")
    _add_generate_args(gen, None)
    gen.add_argument("--dirty-rate", type=float, default=0.02,
                     help="share of bad rows per table (0.02)")
    gen.add_argument("--as-of", default=DEFAULT_AS_OF, help=f"ISO timestamp ({DEFAULT_AS_OF})")
    gen.add_argument("--format", default="csv", choices=FORMATS, dest="output_format",
                     help="files to write: csv (default), parquet or both")
    gen.add_argument("--chunk-size", type=int, default=DEFAULT_CHUNK_SIZE,
                     help=f"contacts generated (and held in memory) at a time "
                     f"({DEFAULT_CHUNK_SIZE}); a set larger than one chunk depends on it")
    gen.add_argument("--next-day", action="store_true",
                     help="instead of a new set: write to --day-out only the rows the EL tool "
                     "would append on the day after the set in --out (as_of + 1 day)")
    gen.add_argument("--day-out", default=None, metavar="NEWDIR",
                     help="with --next-day: directory for the day's rows")
    gen.add_argument("--shape", default="raw", choices=SHAPES,
                     help="raw (default): the four raw tables; hubspot / salesforce: the same "
                     "world as Fivetran's connector lands it (one CSV per table in --out) and, in "
                     "--out/restricted, its raw rendition restricted to what the connector can "
                     "express (docs/connect_your_crm.md)")

    load = sub.add_parser(
        "load", help="load the raw CSVs into DuckDB, PostgreSQL or Spark (replaces the tables "
        "unless --append)",
        description="Load DIR/<table>.csv of the four raw tables (docs/funnel_rules.md §2) into DuckDB, "
        "PostgreSQL or Spark, every column as text. It REPLACES the tables unless --append is "
        "given. Every file is checked before any table is touched: UTF-8 (a byte-order mark is "
        "fine), comma, semicolon, tab or pipe separated, the contract's columns in the header; "
        "a non-empty table is never replaced by an extract with no rows unless --allow-empty.")
    load.add_argument("--data", required=True, metavar="DIR", help="directory with the four CSVs")
    load.add_argument("--database", default=None,
                      help="DuckDB file (env LEAD_FUNNEL_DUCKDB, else lead_funnel.duckdb)")
    load.add_argument("--schema", default=None,
                      help="target schema (raw; with --shape: the connector's name)")
    load.add_argument("--shape", default="raw", choices=SHAPES,
                      help="raw (default): DIR holds the four raw tables; hubspot / salesforce: "
                      "every CSV of DIR is a table of the connector (lead-funnel generate --shape)")
    load.add_argument("--engine", default="duckdb", choices=ENGINES,
                      help="warehouse: duckdb (default), postgres (reads the LEAD_FUNNEL_PG_* "
                      "variables) or spark (the local session of the dbt profile)")
    load.add_argument("--append", action="store_true",
                      help="append the rows to the tables instead of replacing them")
    load.add_argument("--allow-empty", action="store_true",
                      help="allow replacing a non-empty table with an extract that has no rows")

    build = sub.add_parser("build", help="run `dbt build` on the project (models, seeds and "
                           "data tests; unit tests are CI's: `make dbt-test`)")
    build.add_argument("--as-of", default=None, help="ISO timestamp passed as var as_of")
    build.add_argument("--var", action="append", default=[], metavar="NAME=VALUE",
                       help="another dbt var (repeatable), VALUE read as YAML: numbers stay "
                       "numbers, null is null; e.g. --var mql_threshold=50")
    build.add_argument("--select", nargs="+", default=[], help="dbt selection")
    build.add_argument("--full-refresh", action="store_true",
                       help="recompute everything (after raw tables were replaced rather than "
                       "appended to, or to rebuild from scratch); default: the daily incremental build")
    build.add_argument("--database", default=None,
                       help="DuckDB file for the profile (default: env LEAD_FUNNEL_DUCKDB)")
    build.add_argument("--connector", default=None, choices=SHAPES,
                       help="read the CRM through this connector (var crm_connector: raw, "
                       "hubspot or salesforce)")

    summary = sub.add_parser("summary", help="print the funnel summary from the marts")
    summary.add_argument("--database", default=None,
                         help="DuckDB file (env LEAD_FUNNEL_DUCKDB, else lead_funnel.duckdb)")

    validate = sub.add_parser(
        "validate", help="run the Great Expectations suite on the marts (exit 1 on failure)")
    validate.add_argument("--database", default=None,
                          help="DuckDB file (env LEAD_FUNNEL_DUCKDB, else lead_funnel.duckdb)")
    validate.add_argument("--max-quarantine-share", type=float, default=0.05,
                          help="ceiling on quarantined_rows / raw_rows (0.05)")
    validate.add_argument("--max-staleness-days", type=float, default=7.0,
                          help="max days between the newest event and as_of (7)")
    validate.add_argument("--max-shrink", type=float, default=0.5,
                          help="largest share of rows a raw table or mart may lose since the "
                          "last validated run (0.5); 1 accepts any drop")
    validate.add_argument("--raw-schema", default=DEFAULT_SCHEMA,
                          help="schema of the raw tables counted by the volume check (raw)")
    validate.add_argument("--no-history", action="store_true",
                          help="compare with the run history but do not record this run")

    demo = sub.add_parser("demo", help="generate -> load -> build -> summary")
    _add_generate_args(demo, "data/sample")
    demo.add_argument("--database", default=None,
                      help="DuckDB file (env LEAD_FUNNEL_DUCKDB, else lead_funnel.duckdb)")
    demo.add_argument("--connector", default="raw", choices=SHAPES,
                      help="run the demo through a connector's adapter: the sample is written as "
                      "the connector lands it, loaded into its schema and built with "
                      "crm_connector set (raw: the four raw tables)")
    report = sub.add_parser(
        "report", help="write the funnel report: one self-contained HTML page (opens offline)")
    report.add_argument("--database", default=None,
                        help="DuckDB file (env LEAD_FUNNEL_DUCKDB, else lead_funnel.duckdb)")
    report.add_argument("--out", default=REPORT_OUT, help=f"HTML file to write ({REPORT_OUT})")
    report.add_argument("--sla-hours", type=float, default=None,
                        help="SLA line of the response-time chart (default: handoff_sla_hours "
                        "of dbt_project.yml)")
    report.add_argument("--mql-threshold", type=float, default=None,
                        help="threshold line of the score chart (default: mql_threshold of "
                        "dbt_project.yml)")
    pub = sub.add_parser(
        "publish", help="copy the marts to a published DuckDB file swapped in atomically "
        "(BI tools read it; they never block the build)")
    pub.add_argument("--database", default=None,
                     help="working DuckDB file dbt builds (env LEAD_FUNNEL_DUCKDB, else "
                     "lead_funnel.duckdb)")
    pub.add_argument("--to", default=None, dest="published",
                     help="published file (env LEAD_FUNNEL_PUBLISHED_DUCKDB, else "
                     "<database>_published.duckdb)")
    pub.add_argument("--parquet", default=None, metavar="DIR",
                     help="also write every mart as DIR/<schema>/<table>.parquet")
    cal = sub.add_parser(
        "calibrate", help="propose scoring-rule seeds calibrated on won and lost history "
        "(a logistic regression turned into integer points), with a report; never touches "
        "the live seeds",
        description="Observe every contact --horizon-days after its creation and fit the fit "
        "and behavioural rules (the current ones and candidates for frequent attribute values "
        "and behaviour) to whether it reached the target within the window, on the older "
        "cohorts; compare current and proposed rules on the newer ones and say whether to keep "
        "the current rules. Writes fit_scoring_rules.csv, behavioral_scoring_rules.csv, "
        "calibration_report.md, calibration.json and calibration_scores.csv to --out.")
    cal.add_argument("--database", default=None,
                     help="built DuckDB file (env LEAD_FUNNEL_DUCKDB, else lead_funnel.duckdb)")
    cal.add_argument("--out", default=CALIBRATE_OUT,
                     help=f"directory for the proposal ({CALIBRATE_OUT}); never seeds/")
    cal.add_argument("--target", choices=("sql", "customer"), default="sql",
                     help="the outcome predicted: reaching SQL (default) or customer")
    cal.add_argument("--window-days", type=float, default=180.0,
                     help="the target counts when reached this many days after creation (180)")
    cal.add_argument("--horizon-days", type=float, default=7.0,
                     help="every contact is scored this many days after its creation, from "
                     "the events before then; contacts that reached the target sooner are "
                     "left out (7)")
    cal.add_argument("--test-share", type=float, default=0.3,
                     help="share of the newest cohorts held out for the comparison (0.3)")
    cal.add_argument("--mql-volume", type=float, default=None, metavar="SHARE",
                     help="MQL share of contacts the threshold aims at (default: the current "
                     "rules' MQL volume)")
    cal.add_argument("--min-support", type=float, default=0.01,
                     help="share of training contacts a candidate rule needs (0.01; at least 20)")
    cal.add_argument("--mql-threshold", type=float, default=None,
                     help="the current rules' threshold (default: mql_threshold of "
                     "dbt_project.yml)")
    cal.add_argument("--half-life-days", type=float, default=None,
                     help="engagement half-life (default: score_half_life_days of "
                     "dbt_project.yml)")
    bench = sub.add_parser(
        "benchmark", help="time dbt build on the fixture (T0), a full and an incremental build "
        "on generated data, and the floor query")
    bench.add_argument("--contacts", type=int, default=10_000, help="number of contacts (10000)")
    bench.add_argument("--seed", type=int, default=42, help="random seed (42)")
    bench.add_argument("--repeat", type=int, default=3, help="timed runs of each query (3)")
    bench.add_argument("--engine", default="duckdb", choices=("duckdb",) + OTHER_ENGINES,
                       help="duckdb (default): every figure above; postgres, spark, "
                       "spark_cluster: a full build and a one-day refresh there")
    bench.add_argument("--work-dir", default=None,
                       help="keep the scratch files (data, DuckDB files, dbt targets) here "
                       "(default: a temporary directory, removed)")
    return parser


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


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "generate" and args.next_day:
            _next_day(args.out, args.day_out, args.output_format)
        elif args.command == "generate" and args.shape != "raw":
            if args.output_format != "csv":
                raise ValueError("--shape writes CSV files only (drop --format)")
            _generate_shape(args.out, args.contacts, args.seed, args.dirty_rate, args.as_of,
                            args.shape, args.chunk_size)
        elif args.command == "generate":
            _generate(args.out, args.contacts, args.seed, args.dirty_rate, args.as_of,
                      args.output_format, args.chunk_size)
        elif args.command == "load":
            _load(args.data, args.database or default_database(),
                  args.schema or (DEFAULT_SCHEMA if args.shape == "raw" else args.shape),
                  args.engine, args.append, args.allow_empty, args.shape)
        elif args.command == "build":
            dbt_vars = parse_vars(args.var)
            if args.connector:
                dbt_vars["crm_connector"] = args.connector
            run_dbt("build", as_of=args.as_of, select=args.select, database=args.database,
                    dbt_vars=dbt_vars,
                    extra_args=[*DAILY_BUILD_ARGS, *(["--full-refresh"] if args.full_refresh else [])])
        elif args.command == "summary":
            print(summarize(args.database or default_database()))
        elif args.command == "validate":
            report = run_validation(args.database or default_database(),
                                    args.max_quarantine_share, args.max_staleness_days,
                                    args.max_shrink, args.raw_schema, not args.no_history)
            print(report.render())
            return 0 if report.success else 1
        elif args.command == "demo":
            database = args.database or default_database()
            connector = args.connector
            as_of = _generate_shape(args.out, args.contacts, args.seed, 0.02, DEFAULT_AS_OF,
                                    connector)
            _load(args.out, database, DEFAULT_SCHEMA if connector == "raw" else connector,
                  shape=connector)
            # The sample replaced the raw tables: rebuild from scratch, not incrementally.
            run_dbt("build", as_of=as_of, database=database,
                    extra_args=[*DAILY_BUILD_ARGS, "--full-refresh"],
                    dbt_vars={"crm_connector": connector} if connector in CONNECTOR_SHAPES
                    else None)
            print(summarize(database))
        elif args.command == "report":
            path = write_report(args.database or default_database(), args.out,
                                args.sla_hours, args.mql_threshold)
            print(f"wrote the funnel report {path}")
        elif args.command == "publish":
            database = args.database or default_database()
            print(publish(database, args.published or default_published(database),
                          args.parquet).render())
        elif args.command == "calibrate":
            project = project_dir()
            config = project_config(
                project, target=args.target, window_days=args.window_days,
                horizon_days=args.horizon_days, test_share=args.test_share,
                mql_share=args.mql_volume, min_support=args.min_support, mql_threshold=args.mql_threshold,
                half_life_days=args.half_life_days)
            print(run_calibration(args.database or default_database(), args.out, config,
                                  project))
        elif args.command == "benchmark":
            if args.engine == "duckdb":
                print(run_benchmark(args.contacts, args.seed, args.repeat,
                                    args.work_dir).report())
            else:
                print(run_engine_benchmark(args.engine, args.contacts, args.seed,
                                           args.work_dir).report())
    except (ValueError, LoaderError, DbtError, SummaryError, ValidationError,
            CalibrationError, ReportError,
            PublishError) as exc:
        print(f"lead-funnel {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except duckdb.IOException as exc:  # a DuckDB file another process holds: one line, no traceback
        database = getattr(args, "database", None) or default_database()
        message = locked_database_message(exc, database)
        if message is None:
            raise
        print(f"lead-funnel {args.command}: error: {message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
