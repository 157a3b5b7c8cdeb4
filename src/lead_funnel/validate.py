"""``lead-funnel validate``: a Great Expectations suite over the marts (schema ``analytics``)
and the build context (``analytics_data_quality.dq_run_context``).

It complements the dbt tests, which already check keys, accepted values, relationships, the
order of stage timestamps, per-row rates and monotone funnel counts. What it adds are checks
that look across a whole mart or across marts and the build context
(``dq_run_context``): rates that are all null, an overall MQL rate of 0 or 1, a
lead_stages row count that does not match the staged contacts, timestamps later than as_of,
negative response times, too many quarantined raw rows and stale engagement events; and the
product-qualified leads (§4, PQL contract): pql_at never before created_at nor before the
contact's mql_at (a PQL hands the lead to sales as an MQL at the same moment, so a PQL without
an earlier or equal mql_at is a broken build), product_score not negative while no
product-usage rule has negative points (seed behavioral_scoring_rules, when the database has
it), funnel_conversion's pqls adding up to lead_stages' PQLs, at least one pql entry in
funnel_volume_daily per PQL, and its stages those of funnel_volume_daily (``VOLUME_STAGES``).

GX runs on pandas frames (its SQL datasource does not support DuckDB): each mart is read
read-only with DuckDB, handed to an ephemeral GX context as a dataframe asset and validated
against one suite per frame. Scalars derived from several columns (the overall MQL rate, the
quarantine share, the staleness) are put into one-row frames and checked with
``expect_column_max_to_be_between``, which, unlike the per-row expectations, fails on null.

Volume check. A wiped or truncated extract builds cleanly (fewer rows break no dbt test), so the
row count of every raw table and mart is compared with the last run that passed validation: a
relation with more than ``max_shrink`` (0.5) fewer rows fails. The counts live beside the data,
in ``lead_funnel_meta.run_history`` of the same DuckDB file (validated_at, as_of, relation,
row_count, passed), one row per relation and run. The marts are read on a read-only connection
(as a BI tool or a running dbt may hold the file); only afterwards is the file opened
read-write, briefly, to append this run's counts, and when that is impossible (another process
holds the write lock) the report says so and the run is simply not recorded. Failed runs are
recorded too but never become the baseline, so a wiped extract keeps failing until the data is
back, or until a run with ``--max-shrink 1`` accepts the new volume.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from lead_funnel.contract import FUNNEL_STAGES, TABLES, VOLUME_STAGES
from lead_funnel.marts import DATA_QUALITY_SCHEMA, MART_SCHEMA, connect_marts, qualify, relation

if TYPE_CHECKING:
    import pandas as pd

LEAD_STAGE_TIMESTAMPS = ("created_at", "mql_at", "sal_at", "sql_at", "opportunity_at",
                         "customer_at", "current_stage_entered_at", "last_mql_at", "pql_at")
HANDOFF_TIMESTAMPS = ("mql_at", "responded_at", "sal_at", "rejected_at", "sql_at")

# The columns read from each relation (a mart, or a dq_* model in DATA_QUALITY_SCHEMA, see
# lead_funnel.marts.relation): the validator needs nothing else.
COLUMNS: dict[str, tuple[str, ...]] = {
    "dq_run_context": ("as_of", "newest_event_at", "active_contacts", "raw_rows",
                       "quarantined_rows"),
    "funnel_conversion": ("leads", "mqls", "lead_to_mql_rate", "pqls"),
    "lead_stages": ("contact_id", "current_stage", "product_score") + LEAD_STAGE_TIMESTAMPS,
    "lead_handoffs": HANDOFF_TIMESTAMPS + ("response_hours",),
    "funnel_volume_daily": ("day", "stage", "entries", "contacts"),
}

# The behavioural scoring rules as `dbt seed` loads them (the profile's schema +
# `_scoring_rules`): read, when present, to know whether product_score can be negative.
SCORING_RULES = "analytics_scoring_rules.behavioral_scoring_rules"

# The volume check: every raw table and these marts (dq_run_context always has one row);
# a dq_* name here would be counted in DATA_QUALITY_SCHEMA.
VOLUME_MARTS = ("lead_stages", "lead_handoffs", "lead_stage_transitions", "funnel_conversion",
                "funnel_volume_daily")
META_SCHEMA = "lead_funnel_meta"
HISTORY_TABLE = "run_history"
HISTORY = f"{META_SCHEMA}.{HISTORY_TABLE}"

Observer = Callable[[dict[str, Any]], str]


class ValidationError(RuntimeError):
    """The database, a mart or the run context cannot be read."""


@dataclass(frozen=True)
class CheckResult:
    mart: str
    expectation: str
    success: bool
    observed: str


@dataclass
class ValidationReport:
    database: str
    results: list[CheckResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> int:
        return sum(r.success for r in self.results)

    @property
    def failed(self) -> int:
        return len(self.results) - self.passed

    @property
    def success(self) -> bool:
        return self.failed == 0

    def render(self) -> str:
        width = max((len(r.mart) for r in self.results), default=0)
        lines = [f"Great Expectations suite on {self.database} "
                 f"(schemas {MART_SCHEMA}, {DATA_QUALITY_SCHEMA})"]
        for r in self.results:
            line = f"{'PASS' if r.success else 'FAIL'}  {r.mart:<{width}}  {r.expectation}"
            if not r.success:
                line += f"  -> observed: {r.observed}"
            lines.append(line)
        lines += [f"note: {note}" for note in self.notes]
        lines.append(f"validate: {self.passed} passed, {self.failed} failed")
        return "\n".join(lines)


@dataclass
class _Check:
    mart: str
    description: str
    expectation: Any  # a great_expectations Expectation
    observe: Observer


@dataclass
class _Frame:
    name: str
    df: pd.DataFrame
    checks: list[_Check] = field(default_factory=list)


def _fmt(value: Any) -> str:
    import pandas as pd

    if isinstance(value, tuple):  # a row of a column-pair expectation
        return "(" + ", ".join(_fmt(v) for v in value) + ")"
    try:
        if pd.isna(value):
            return "null"
    except (TypeError, ValueError):  # not a scalar (e.g. a pair of values)
        pass
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _observed_value(result: dict[str, Any]) -> str:
    return _fmt(result.get("observed_value"))


def _unexpected(result: dict[str, Any]) -> str:
    count = result.get("unexpected_count")
    total = result.get("element_count")
    if count is None:
        return _observed_value(result)
    sample: list[str] = []
    for value in result.get("partial_unexpected_list") or []:
        text = _fmt(value)
        if text not in sample:
            sample.append(text)
    shown = ", ".join(sample[:3]) + (", ..." if len(sample) > 3 else "")
    return f"{count} of {total} rows" + (f", e.g. {shown}" if shown else "")


def _after_as_of(df: pd.DataFrame, column: str) -> Observer:
    def observe(result: dict[str, Any]) -> str:
        return (f"{result.get('unexpected_count')} of {result.get('element_count')} rows "
                f"after as_of, latest {_fmt(df[column].max())}")
    return observe


def _quiet_gx() -> None:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    for name in ("great_expectations", "great_expectations.core", "gx"):
        logging.getLogger(name).setLevel(logging.ERROR)


@dataclass
class Volumes:
    """Row counts now and at the baseline (the last run that passed validation)."""

    counts: dict[str, int]
    baseline: dict[str, int] = field(default_factory=dict)
    baseline_at: Any = None  # validated_at of the baseline run (None: no baseline)
    baseline_as_of: Any = None


def _relations(con: Any, raw_schema: str) -> dict[str, int]:
    """Row counts of the volume check's relations that exist, by qualified name."""
    wanted = qualify({raw_schema: TABLES}) + qualify(relation(name) for name in VOLUME_MARTS)
    present = {(r[0], r[1]) for r in con.execute(
        "select table_schema, table_name from information_schema.tables "
        "where list_contains(?, table_schema)",
        [sorted({schema for schema, _ in wanted})]).fetchall()}
    counts: dict[str, int] = {}
    for schema, name in wanted:
        if (schema, name) in present:
            row = con.execute(f'select count(*) from "{schema}"."{name}"').fetchone()
            counts[f"{schema}.{name}"] = int(row[0]) if row else 0
    return counts


def _baseline(con: Any, volumes: Volumes) -> None:
    found = con.execute("select count(*) from information_schema.tables where table_schema = ? "
                        "and table_name = ?", [META_SCHEMA, HISTORY_TABLE]).fetchone()
    if not found or not found[0]:
        return
    rows = con.execute(
        f"select relation, row_count, validated_at, as_of from {HISTORY} where validated_at = "
        f"(select max(validated_at) from {HISTORY} where passed)").fetchall()
    volumes.baseline = {relation: int(count) for relation, count, _, _ in rows}
    if rows:
        volumes.baseline_at, volumes.baseline_as_of = rows[0][2], rows[0][3]


def _negative_product_rules(con: Any) -> list[str] | None:
    """The product-usage rules with negative points (rule_id), or None when the database has no
    scoring-rules seed."""
    schema, name = SCORING_RULES.split(".")
    found = con.execute("select count(*) from information_schema.tables where table_schema = ? "
                        "and table_name = ?", [schema, name]).fetchone()
    if not found or not found[0]:
        return None
    rows = con.execute(f"select rule_id from {SCORING_RULES} where is_product_usage "
                       "and points < 0 order by rule_id").fetchall()
    return [str(row[0]) for row in rows]


def _read(database: str, raw_schema: str = "raw"
          ) -> tuple[dict[str, pd.DataFrame], Volumes, list[str] | None]:
    """The columns the suite reads, the volumes, and the product-usage rules with negative
    points (None without the scoring-rules seed)."""
    import duckdb

    con = connect_marts(database, [relation(name) for name in COLUMNS], ValidationError)
    try:
        frames: dict[str, pd.DataFrame] = {}
        for name, columns in COLUMNS.items():
            sql = f"select {', '.join(columns)} from {relation(name)}"
            try:
                frames[name] = con.sql(sql).df()
            except duckdb.Error as exc:
                first_line = str(exc).splitlines()[0]
                raise ValidationError(f"cannot read {relation(name)}: {first_line}") from exc
        volumes = Volumes(_relations(con, raw_schema))
        _baseline(con, volumes)
        return frames, volumes, _negative_product_rules(con)
    finally:
        con.close()


def _volume_frame(volumes: Volumes, max_shrink: float) -> _Frame:
    """One row per relation counted now or at the baseline: the share of rows lost since."""
    import great_expectations.expectations as gxe
    import pandas as pd

    relations = sorted(set(volumes.counts) | set(volumes.baseline))
    previous = [volumes.baseline.get(r) for r in relations]
    current = [volumes.counts.get(r, 0) for r in relations]  # gone since the baseline: 0 rows
    shrink = [0.0 if not before else max(0.0, (before - now) / before)
              for before, now in zip(previous, current)]
    df = pd.DataFrame({"relation": relations, "shrink": shrink}, dtype="object")
    df["shrink"] = df["shrink"].astype("float64")

    def observe(result: dict[str, Any]) -> str:
        if volumes.baseline_at is None:
            return "no earlier validated run"
        lost = [f"{relation} {before:,} -> {now:,} rows (-{loss:.0%})"
                for relation, before, now, loss in zip(relations, previous, current, shrink)
                if before and loss > max_shrink]
        at = pd.Timestamp(volumes.baseline_at).strftime("%Y-%m-%d %H:%M:%S UTC")
        return (", ".join(lost) + f" since the run validated at {at} "
                f"(as_of {_fmt(volumes.baseline_as_of)})")

    frame = _Frame("volume", df)
    frame.checks.append(_Check(
        "volume", f"row counts of raw tables and marts not down more than {max_shrink:.0%} since "
        "the last validated run",
        gxe.ExpectColumnValuesToBeBetween(column="shrink", min_value=0, max_value=max_shrink,
                                          mostly=1.0), observe))
    return frame


def record_run(database: str, as_of: Any, counts: dict[str, int], passed: bool) -> str | None:
    """Append this run's row counts to lead_funnel_meta.run_history on a short read-write
    connection; the reason as text when the file cannot be written (the run is then simply not
    recorded), else None."""
    import duckdb

    validated_at = datetime.now(timezone.utc).replace(tzinfo=None)
    try:
        con = duckdb.connect(database)
    except duckdb.Error as exc:
        return f"run history not recorded: cannot open {database} for writing: " + \
            str(exc).strip().splitlines()[0]
    try:
        con.execute(f"create schema if not exists {META_SCHEMA}")
        con.execute(f"create table if not exists {HISTORY} (validated_at timestamp, "
                    "as_of timestamp, relation varchar, row_count bigint, passed boolean)")
        con.executemany(f"insert into {HISTORY} values (?, ?, ?, ?, ?)",
                        [(validated_at, as_of, relation, count, passed)
                         for relation, count in sorted(counts.items())])
    finally:
        con.close()
    return None


def _build_frames(marts: dict[str, pd.DataFrame], max_quarantine_share: float,
                  max_staleness_days: float, volumes: Volumes | None = None,
                  max_shrink: float = 0.5,
                  negative_product_rules: list[str] | None = None) -> list[_Frame]:
    import great_expectations.expectations as gxe
    import pandas as pd

    context = marts["dq_run_context"]
    if len(context) != 1:
        raise ValidationError(
            f"{relation('dq_run_context')} must have exactly one row, found {len(context)}")
    run = context.iloc[0]
    as_of = pd.Timestamp(run["as_of"])
    if pd.isna(as_of):
        raise ValidationError(f"{relation('dq_run_context')}.as_of is null")
    frames: list[_Frame] = []

    # 1. funnel_conversion: cohort rates usable at all, and an overall rate that is neither 0
    #    nor 1 (a funnel where nobody or everybody becomes an MQL is a broken build).
    conversion = _Frame("funnel_conversion", marts["funnel_conversion"])
    conversion.checks += [
        _Check("funnel_conversion", "lead_to_mql_rate in [0, 1] (mostly=1.0)",
               gxe.ExpectColumnValuesToBeBetween(column="lead_to_mql_rate", min_value=0,
                                                 max_value=1, mostly=1.0), _unexpected),
        _Check("funnel_conversion", "mean(lead_to_mql_rate) in [0, 1], i.e. not all null",
               gxe.ExpectColumnMeanToBeBetween(column="lead_to_mql_rate", min_value=0,
                                               max_value=1), _observed_value),
    ]
    frames.append(conversion)
    leads = float(conversion.df["leads"].sum())
    mqls = float(conversion.df["mqls"].sum())
    totals = _Frame("funnel_conversion_totals", pd.DataFrame(
        {"overall_lead_to_mql_rate": [mqls / leads if leads else None]}, dtype="float64"))
    totals.checks.append(_Check(
        "funnel_conversion", "overall MQL rate sum(mqls)/sum(leads) strictly in (0, 1)",
        gxe.ExpectColumnMaxToBeBetween(column="overall_lead_to_mql_rate", min_value=0,
                                       max_value=1, strict_min=True, strict_max=True),
        lambda r: f"{_fmt(r.get('observed_value'))} ({int(mqls)} mqls / {int(leads)} leads)"))
    frames.append(totals)

    # 2. lead_stages: one row per active staged contact, known stages, nothing after as_of.
    stages = _Frame("lead_stages", marts["lead_stages"])
    active = int(run["active_contacts"])
    stages.checks += [
        _Check("lead_stages", f"row count = dq_run_context.active_contacts ({active})",
               gxe.ExpectTableRowCountToEqual(value=active), _observed_value),
        _Check("lead_stages", f"current_stage in the {len(FUNNEL_STAGES)} funnel stages",
               gxe.ExpectColumnValuesToBeInSet(column="current_stage",
                                               value_set=list(FUNNEL_STAGES)),
               _unexpected),
    ]
    frames.append(stages)
    frames += _pql_frames(marts, stages, negative_product_rules)

    # 3. lead_handoffs: nothing after as_of, response times not negative.
    handoffs = _Frame("lead_handoffs", marts["lead_handoffs"])
    frames.append(handoffs)
    for frame, columns in ((stages, LEAD_STAGE_TIMESTAMPS), (handoffs, HANDOFF_TIMESTAMPS)):
        # Per-row (nulls ignored): the column max would fail on a column that is all null.
        for column in columns:
            frame.checks.append(_Check(
                frame.name, f"{column} not after as_of ({as_of})",
                gxe.ExpectColumnValuesToBeBetween(column=column, max_value=as_of, mostly=1.0),
                _after_as_of(frame.df, column)))
    handoffs.checks.append(_Check(
        "lead_handoffs", "response_hours >= 0 (mostly=1.0)",
        gxe.ExpectColumnValuesToBeBetween(column="response_hours", min_value=0, mostly=1.0),
        _unexpected))

    # 4. and 5. The build context: share of quarantined raw rows, age of the newest event.
    raw_rows = int(run["raw_rows"]) if not pd.isna(run["raw_rows"]) else 0
    quarantined = int(run["quarantined_rows"]) if not pd.isna(run["quarantined_rows"]) else 0
    newest = pd.Timestamp(run["newest_event_at"])
    staleness = None if pd.isna(newest) else (as_of - newest).total_seconds() / 86_400
    derived = _Frame("dq_run_context", pd.DataFrame({
        "quarantine_share": [quarantined / raw_rows if raw_rows else None],
        "staleness_days": [staleness],
    }, dtype="float64"))
    derived.checks += [
        _Check("dq_run_context",
               f"quarantined_rows / raw_rows <= {max_quarantine_share:g}",
               gxe.ExpectColumnMaxToBeBetween(column="quarantine_share", min_value=0,
                                              max_value=max_quarantine_share),
               lambda r: f"{_fmt(r.get('observed_value'))} ({quarantined} of {raw_rows} rows)"),
        _Check("dq_run_context",
               f"as_of - newest_event_at <= {max_staleness_days:g} days",
               gxe.ExpectColumnMaxToBeBetween(column="staleness_days",
                                              max_value=max_staleness_days),
               lambda r: (f"{_fmt(r.get('observed_value'))} days (newest event "
                          f"{_fmt(newest)}, as_of {as_of})")),
    ]
    frames.append(derived)

    # 6. funnel_volume_daily: no day after as_of's date, distinct contacts never exceed entries.
    volume = _Frame("funnel_volume_daily", marts["funnel_volume_daily"])
    as_of_day = as_of.normalize()
    volume.checks += [
        _Check("funnel_volume_daily", f"day not after as_of's date ({as_of_day.date()})",
               gxe.ExpectColumnValuesToBeBetween(column="day", max_value=as_of_day, mostly=1.0),
               lambda r: (f"{r.get('unexpected_count')} of {r.get('element_count')} rows "
                          f"after it, latest {_fmt(volume.df['day'].max().date())}")),
        _Check("funnel_volume_daily", "entries >= contacts",
               gxe.ExpectColumnPairValuesAToBeGreaterThanB(column_A="entries",
                                                           column_B="contacts", or_equal=True),
               lambda r: f"{_unexpected(r)} as (entries, contacts)"),
        _Check("funnel_volume_daily",
               f"stage in the {len(VOLUME_STAGES)} volume stages ({', '.join(VOLUME_STAGES)})",
               gxe.ExpectColumnValuesToBeInSet(column="stage", value_set=list(VOLUME_STAGES)),
               _unexpected),
    ]
    frames.append(volume)

    # 7. Volume: no raw table or mart lost more than max_shrink of its rows since the baseline.
    if volumes is not None:
        frames.append(_volume_frame(volumes, max_shrink))
    return frames


def _pql_frames(marts: dict[str, pd.DataFrame], stages: _Frame,
                negative_product_rules: list[str] | None) -> list[_Frame]:
    """The PQL checks (§4, PQL contract). Per row on lead_stages: pql_at >= created_at
    (pql_at is greatest(t, created_at)), product_score >= 0 unless a product-usage rule has
    negative points. Across rows and marts, on derived frames: every PQL has an mql_at at or
    before its pql_at (the PQL moment is one of the cycle's MQL candidates); the pqls of
    funnel_conversion add up to the contacts of lead_stages with a pql_at; funnel_volume_daily
    has at least that many pql entries (one per cycle's PQL moment)."""
    import great_expectations.expectations as gxe
    import pandas as pd

    df = stages.df
    stages.checks.append(_Check(
        "lead_stages", "pql_at >= created_at (where pql_at is set)",
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(column_A="pql_at", column_B="created_at",
                                                    or_equal=True,
                                                    ignore_row_if="either_value_is_missing"),
        lambda r: f"{_unexpected(r)} as (pql_at, created_at)"))
    if not negative_product_rules:  # else not checked (run_validation adds a note)
        assumed = " (no scoring-rules seed: assumed)" if negative_product_rules is None else ""
        stages.checks.append(_Check(
            "lead_stages", "product_score >= 0 (no product-usage rule has negative points"
            + assumed + ")",
            gxe.ExpectColumnValuesToBeBetween(column="product_score", min_value=0, mostly=1.0),
            _unexpected))

    pql = df[df["pql_at"].notna()]
    # The contact id of a PQL whose mql_at is missing or later than its pql_at, else null.
    broken = pql["mql_at"].isna() | (pql["mql_at"] > pql["pql_at"])
    mql_first = _Frame("lead_stages_pqls", pd.DataFrame(
        {"pql_without_earlier_mql": pql["contact_id"].where(broken)}, dtype="object"))
    mql_first.checks.append(_Check(
        "lead_stages", "every PQL has an mql_at at or before its pql_at",
        gxe.ExpectColumnValuesToBeNull(column="pql_without_earlier_mql"),
        lambda r: f"{_unexpected(r)} of the PQLs"))

    pqls = len(pql)
    counted = int(marts["funnel_conversion"]["pqls"].fillna(0).sum())
    volume = marts["funnel_volume_daily"]
    entries = int(volume.loc[volume["stage"] == "pql", "entries"].fillna(0).sum())
    totals = _Frame("pql_totals", pd.DataFrame({"pqls_minus_lead_stages": [counted - pqls],
                                                "pql_entries_minus_pqls": [entries - pqls]},
                                               dtype="float64"))
    totals.checks.append(_Check(
        "funnel_conversion", "sum(pqls) = lead_stages rows with a pql_at",
        gxe.ExpectColumnMaxToBeBetween(column="pqls_minus_lead_stages", min_value=0,
                                       max_value=0),
        lambda r: f"{counted} pqls in funnel_conversion, {pqls} in lead_stages"))
    totals.checks.append(_Check(
        "funnel_volume_daily", "pql entries >= lead_stages rows with a pql_at",
        gxe.ExpectColumnMaxToBeBetween(column="pql_entries_minus_pqls", min_value=0),
        lambda r: f"{entries} pql entries for {pqls} PQLs"))
    return [mql_first, totals]


def _order(frames: list[_Frame]) -> list[_Check]:
    """All checks in report order: marts as in the brief (conversion, stages, handoffs,
    run context, volume)."""
    rank = {"funnel_conversion": 0, "lead_stages": 1, "lead_handoffs": 2, "dq_run_context": 3,
            "funnel_volume_daily": 4, "volume": 5}
    checks = [c for f in frames for c in f.checks]
    return sorted(checks, key=lambda c: rank.get(c.mart, len(rank)))


def run_validation(database: str, max_quarantine_share: float = 0.05,
                   max_staleness_days: float = 7.0, max_shrink: float = 0.5,
                   raw_schema: str = "raw", record_history: bool = True) -> ValidationReport:
    """Run the suite against the marts in ``database``; raise ValidationError when the
    database, a mart or one of the columns read is missing. Unless ``record_history`` is
    false, the run's row counts are then appended to lead_funnel_meta.run_history."""
    if not 0 <= max_shrink <= 1:
        raise ValidationError(f"--max-shrink must be between 0 and 1, got {max_shrink:g}")
    marts, volumes, negative_product_rules = _read(database, raw_schema)
    _quiet_gx()
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    frames = _build_frames(marts, max_quarantine_share, max_staleness_days, volumes, max_shrink,
                           negative_product_rules)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False,
                                                         metric_calculations=False)
    source = context.data_sources.add_pandas(name="lead_funnel_marts")
    outcome: dict[str, CheckResult] = {}
    for frame in frames:
        asset = source.add_dataframe_asset(name=frame.name)
        batch = asset.add_batch_definition_whole_dataframe(name=f"{frame.name}_all").get_batch(
            batch_parameters={"dataframe": frame.df})
        suite = context.suites.add(gx.ExpectationSuite(
            name=f"lead_funnel_{frame.name}", expectations=[c.expectation for c in frame.checks]))
        by_id = {c.expectation.id: c for c in frame.checks}
        for result in batch.validate(suite).results:
            config = result.expectation_config
            if config is None or config.id not in by_id:
                raise ValidationError(f"GX returned a result for an unknown expectation: {config}")
            check = by_id[config.id]
            info = result.exception_info or {}
            if info.get("raised_exception"):
                message = str(info.get("exception_message") or "").splitlines()
                observed = "error: " + (message[0] if message else "expectation raised")
            else:
                observed = check.observe(dict(result.result or {}))
            outcome[check.expectation.id] = CheckResult(
                check.mart, check.description, bool(result.success), observed)
    report = ValidationReport(database=str(database))
    report.results = [outcome[c.expectation.id] for c in _order(frames)]
    if negative_product_rules:
        report.notes.append("product_score >= 0 not checked: product-usage rule(s) with "
                            "negative points: " + ", ".join(negative_product_rules))
    if volumes.baseline_at is None:
        report.notes.append(f"no earlier validated run in {HISTORY}: the volume check has "
                            "nothing to compare with yet")
    if record_history:
        as_of = marts["dq_run_context"].iloc[0]["as_of"]
        problem = record_run(str(database), as_of, volumes.counts, report.success)
        report.notes.append(problem or f"row counts of {len(volumes.counts)} relations recorded "
                            f"in {HISTORY}")
    return report
