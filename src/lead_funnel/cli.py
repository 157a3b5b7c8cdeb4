"""Command line: ``lead-funnel <subcommand>``, one entry of :data:`SUBCOMMANDS` each (name ->
help, arguments, handler); the arguments and handlers are in :mod:`lead_funnel.commands`."""

from __future__ import annotations

import argparse
import sys
from types import MappingProxyType
from typing import Callable, Final, Mapping, NamedTuple, Sequence

import duckdb

from lead_funnel import __version__, commands
from lead_funnel.dbt_runner import locked_database_message
from lead_funnel.warehouse.connections import default_database


class Subcommand(NamedTuple):
    """One row of the table: what `lead-funnel --help` says of the subcommand, how its parser is
    filled in, and the handler it runs."""
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    handler: Callable[[argparse.Namespace], int]  # returns the exit status
    description: str | None = None  # the subcommand's own --help text, when it needs one


# The subcommands in the order `lead-funnel --help` lists them; read-only.
SUBCOMMANDS: Final[Mapping[str, Subcommand]] = MappingProxyType({
    "generate": Subcommand(
        "write synthetic raw CSVs and manifest.json",
        commands.add_generate_arguments, commands.run_generate),
    "load": Subcommand(
        "load the raw CSVs into DuckDB, PostgreSQL or Spark (replaces the tables "
        "unless --append)",
        commands.add_load_arguments, commands.run_load,
        description="Load DIR/<table>.csv of the four raw tables (docs/funnel_rules.md §2) into "
        "DuckDB, PostgreSQL or Spark, every column as text. It REPLACES the tables unless "
        "--append is given. Every file is checked before any table is touched: UTF-8 (a "
        "byte-order mark is fine), comma, semicolon, tab or pipe separated, the contract's "
        "columns in the header; a non-empty table is never replaced by an extract with no rows "
        "unless --allow-empty."),
    "build": Subcommand(
        "run `dbt build` on the project (models, seeds and data tests; unit tests are CI's: "
        "`make dbt-test`)",
        commands.add_build_arguments, commands.run_build),
    "summary": Subcommand(
        "print the funnel summary from the marts",
        commands.add_summary_arguments, commands.run_summary),
    "validate": Subcommand(
        "run the Great Expectations suite on the marts (exit 1 on failure)",
        commands.add_validate_arguments, commands.run_validate),
    "demo": Subcommand(
        "generate -> load -> build -> summary",
        commands.add_demo_arguments, commands.run_demo),
    "report": Subcommand(
        "write the funnel report: one self-contained HTML page (opens offline)",
        commands.add_report_arguments, commands.run_report),
    "publish": Subcommand(
        "copy the marts to a published DuckDB file swapped in atomically (BI tools read it; "
        "they never block the build)",
        commands.add_publish_arguments, commands.run_publish),
    "calibrate": Subcommand(
        "propose scoring-rule seeds calibrated on won and lost history (a logistic regression "
        "turned into integer points), with a report; never touches the live seeds",
        commands.add_calibrate_arguments, commands.run_calibrate,
        description="Observe every contact --horizon-days after its creation and fit the fit "
        "and behavioural rules (the current ones and candidates for frequent attribute values "
        "and behaviour) to whether it reached the target within the window, on the older "
        "cohorts; compare current and proposed rules on the newer ones and say whether to keep "
        "the current rules. Writes fit_scoring_rules.csv, behavioral_scoring_rules.csv, "
        "calibration_report.md, calibration.json and calibration_scores.csv to --out."),
    "benchmark": Subcommand(
        "time dbt build on the fixture (T0), a full and an incremental build on generated "
        "data, and the floor query",
        commands.add_benchmark_arguments, commands.run_benchmark),
})


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lead-funnel", description="Synthetic raw data and orchestration for lead_funnel.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, subcommand in SUBCOMMANDS.items():
        subcommand.add_arguments(sub.add_parser(name, help=subcommand.help,
                                                description=subcommand.description))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return SUBCOMMANDS[args.command].handler(args)
    except commands.REPORTED_ERRORS as exc:
        print(f"lead-funnel {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except duckdb.IOException as exc:  # a DuckDB file another process holds: one line, no traceback
        database = getattr(args, "database", None) or default_database()
        message = locked_database_message(exc, database)
        if message is None:
            raise
        print(f"lead-funnel {args.command}: error: {message}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
