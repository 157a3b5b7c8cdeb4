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

Each check is a GX expectation on a pandas frame (a mart's columns, or a one-row frame of a
scalar derived from several columns) with a function that words what was observed when it
fails; :mod:`.run` reads the marts and validates the frames.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Callable, Final, Mapping

from lead_funnel.contract import FUNNEL_STAGES, VOLUME_STAGES
from lead_funnel.marts.access import relation
from lead_funnel.marts.validation.results import ValidationError
from lead_funnel.warehouse.run_history import Volumes

if TYPE_CHECKING:
    import pandas as pd

LEAD_STAGE_TIMESTAMPS = ("created_at", "mql_at", "sal_at", "sql_at", "opportunity_at",
                         "customer_at", "current_stage_entered_at", "last_mql_at", "pql_at")
HANDOFF_TIMESTAMPS = ("mql_at", "responded_at", "sal_at", "rejected_at", "sql_at")

# The columns read from each relation (a mart, or a dq_* model in DATA_QUALITY_SCHEMA, see
# lead_funnel.marts.access.relation): the validator needs nothing else.
COLUMNS: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType({
    "dq_run_context": ("as_of", "newest_event_at", "active_contacts", "raw_rows",
                       "quarantined_rows"),
    "funnel_conversion": ("leads", "mqls", "lead_to_mql_rate", "pqls"),
    "lead_stages": ("contact_id", "current_stage", "product_score") + LEAD_STAGE_TIMESTAMPS,
    "lead_handoffs": HANDOFF_TIMESTAMPS + ("response_hours",),
    "funnel_volume_daily": ("day", "stage", "entries", "contacts"),
})

Observer = Callable[[dict[str, Any]], str]


@dataclass
class Check:
    """One expectation, the mart it is reported under, and how to word what it observed."""
    mart: str
    description: str
    expectation: Any  # a great_expectations Expectation
    observe: Observer


@dataclass
class Frame:
    """A pandas frame GX validates as one asset, with the checks of its suite."""
    name: str
    df: pd.DataFrame
    checks: list[Check] = field(default_factory=list)


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


def _volume_frame(volumes: Volumes, max_shrink: float) -> Frame:
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

    frame = Frame("volume", df)
    frame.checks.append(Check(
        "volume", f"row counts of raw tables and marts not down more than {max_shrink:.0%} since "
        "the last validated run",
        gxe.ExpectColumnValuesToBeBetween(column="shrink", min_value=0, max_value=max_shrink,
                                          mostly=1.0), observe))
    return frame


def build_frames(marts: dict[str, pd.DataFrame], max_quarantine_share: float,
                 max_staleness_days: float, volumes: Volumes | None = None,
                 max_shrink: float = 0.5,
                 negative_product_rules: list[str] | None = None) -> list[Frame]:
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
    frames: list[Frame] = []

    # 1. funnel_conversion: cohort rates usable at all, and an overall rate that is neither 0
    #    nor 1 (a funnel where nobody or everybody becomes an MQL is a broken build).
    conversion = Frame("funnel_conversion", marts["funnel_conversion"])
    conversion.checks += [
        Check("funnel_conversion", "lead_to_mql_rate in [0, 1] (mostly=1.0)",
              gxe.ExpectColumnValuesToBeBetween(column="lead_to_mql_rate", min_value=0,
                                                 max_value=1, mostly=1.0), _unexpected),
        Check("funnel_conversion", "mean(lead_to_mql_rate) in [0, 1], i.e. not all null",
              gxe.ExpectColumnMeanToBeBetween(column="lead_to_mql_rate", min_value=0,
                                               max_value=1), _observed_value),
    ]
    frames.append(conversion)
    leads = float(conversion.df["leads"].sum())
    mqls = float(conversion.df["mqls"].sum())
    totals = Frame("funnel_conversion_totals", pd.DataFrame(
        {"overall_lead_to_mql_rate": [mqls / leads if leads else None]}, dtype="float64"))
    totals.checks.append(Check(
        "funnel_conversion", "overall MQL rate sum(mqls)/sum(leads) strictly in (0, 1)",
        gxe.ExpectColumnMaxToBeBetween(column="overall_lead_to_mql_rate", min_value=0,
                                       max_value=1, strict_min=True, strict_max=True),
        lambda r: f"{_fmt(r.get('observed_value'))} ({int(mqls)} mqls / {int(leads)} leads)"))
    frames.append(totals)

    # 2. lead_stages: one row per active staged contact, known stages, nothing after as_of.
    stages = Frame("lead_stages", marts["lead_stages"])
    active = int(run["active_contacts"])
    stages.checks += [
        Check("lead_stages", f"row count = dq_run_context.active_contacts ({active})",
              gxe.ExpectTableRowCountToEqual(value=active), _observed_value),
        Check("lead_stages", f"current_stage in the {len(FUNNEL_STAGES)} funnel stages",
              gxe.ExpectColumnValuesToBeInSet(column="current_stage",
                                               value_set=list(FUNNEL_STAGES)),
              _unexpected),
    ]
    frames.append(stages)
    frames += _pql_frames(marts, stages, negative_product_rules)

    # 3. lead_handoffs: nothing after as_of, response times not negative.
    handoffs = Frame("lead_handoffs", marts["lead_handoffs"])
    frames.append(handoffs)
    for frame, columns in ((stages, LEAD_STAGE_TIMESTAMPS), (handoffs, HANDOFF_TIMESTAMPS)):
        # Per-row (nulls ignored): the column max would fail on a column that is all null.
        for column in columns:
            frame.checks.append(Check(
                frame.name, f"{column} not after as_of ({as_of})",
                gxe.ExpectColumnValuesToBeBetween(column=column, max_value=as_of, mostly=1.0),
                _after_as_of(frame.df, column)))
    handoffs.checks.append(Check(
        "lead_handoffs", "response_hours >= 0 (mostly=1.0)",
        gxe.ExpectColumnValuesToBeBetween(column="response_hours", min_value=0, mostly=1.0),
        _unexpected))

    # 4. and 5. The build context: share of quarantined raw rows, age of the newest event.
    raw_rows = int(run["raw_rows"]) if not pd.isna(run["raw_rows"]) else 0
    quarantined = int(run["quarantined_rows"]) if not pd.isna(run["quarantined_rows"]) else 0
    newest = pd.Timestamp(run["newest_event_at"])
    staleness = None if pd.isna(newest) else (as_of - newest).total_seconds() / 86_400
    derived = Frame("dq_run_context", pd.DataFrame({
        "quarantine_share": [quarantined / raw_rows if raw_rows else None],
        "staleness_days": [staleness],
    }, dtype="float64"))
    derived.checks += [
        Check("dq_run_context",
              f"quarantined_rows / raw_rows <= {max_quarantine_share:g}",
              gxe.ExpectColumnMaxToBeBetween(column="quarantine_share", min_value=0,
                                              max_value=max_quarantine_share),
              lambda r: f"{_fmt(r.get('observed_value'))} ({quarantined} of {raw_rows} rows)"),
        Check("dq_run_context",
              f"as_of - newest_event_at <= {max_staleness_days:g} days",
              gxe.ExpectColumnMaxToBeBetween(column="staleness_days",
                                              max_value=max_staleness_days),
              lambda r: (f"{_fmt(r.get('observed_value'))} days (newest event "
                          f"{_fmt(newest)}, as_of {as_of})")),
    ]
    frames.append(derived)

    # 6. funnel_volume_daily: no day after as_of's date, distinct contacts never exceed entries.
    volume = Frame("funnel_volume_daily", marts["funnel_volume_daily"])
    as_of_day = as_of.normalize()
    volume.checks += [
        Check("funnel_volume_daily", f"day not after as_of's date ({as_of_day.date()})",
              gxe.ExpectColumnValuesToBeBetween(column="day", max_value=as_of_day, mostly=1.0),
              lambda r: (f"{r.get('unexpected_count')} of {r.get('element_count')} rows "
                          f"after it, latest {_fmt(volume.df['day'].max().date())}")),
        Check("funnel_volume_daily", "entries >= contacts",
              gxe.ExpectColumnPairValuesAToBeGreaterThanB(column_A="entries",
                                                           column_B="contacts", or_equal=True),
              lambda r: f"{_unexpected(r)} as (entries, contacts)"),
        Check("funnel_volume_daily",
              f"stage in the {len(VOLUME_STAGES)} volume stages ({', '.join(VOLUME_STAGES)})",
              gxe.ExpectColumnValuesToBeInSet(column="stage", value_set=list(VOLUME_STAGES)),
              _unexpected),
    ]
    frames.append(volume)

    # 7. Volume: no raw table or mart lost more than max_shrink of its rows since the baseline.
    if volumes is not None:
        frames.append(_volume_frame(volumes, max_shrink))
    return frames


def _pql_frames(marts: dict[str, pd.DataFrame], stages: Frame,
                negative_product_rules: list[str] | None) -> list[Frame]:
    """The PQL checks (§4, PQL contract). Per row on lead_stages: pql_at >= created_at
    (pql_at is greatest(t, created_at)), product_score >= 0 unless a product-usage rule has
    negative points. Across rows and marts, on derived frames: every PQL has an mql_at at or
    before its pql_at (the PQL moment is one of the cycle's MQL candidates); the pqls of
    funnel_conversion add up to the contacts of lead_stages with a pql_at; funnel_volume_daily
    has at least that many pql entries (one per cycle's PQL moment)."""
    import great_expectations.expectations as gxe
    import pandas as pd

    df = stages.df
    stages.checks.append(Check(
        "lead_stages", "pql_at >= created_at (where pql_at is set)",
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(column_A="pql_at", column_B="created_at",
                                                    or_equal=True,
                                                    ignore_row_if="either_value_is_missing"),
        lambda r: f"{_unexpected(r)} as (pql_at, created_at)"))
    if not negative_product_rules:  # else not checked (run_validation adds a note)
        assumed = " (no scoring-rules seed: assumed)" if negative_product_rules is None else ""
        stages.checks.append(Check(
            "lead_stages", "product_score >= 0 (no product-usage rule has negative points"
            + assumed + ")",
            gxe.ExpectColumnValuesToBeBetween(column="product_score", min_value=0, mostly=1.0),
            _unexpected))

    pql = df[df["pql_at"].notna()]
    # The contact id of a PQL whose mql_at is missing or later than its pql_at, else null.
    broken = pql["mql_at"].isna() | (pql["mql_at"] > pql["pql_at"])
    mql_first = Frame("lead_stages_pqls", pd.DataFrame(
        {"pql_without_earlier_mql": pql["contact_id"].where(broken)}, dtype="object"))
    mql_first.checks.append(Check(
        "lead_stages", "every PQL has an mql_at at or before its pql_at",
        gxe.ExpectColumnValuesToBeNull(column="pql_without_earlier_mql"),
        lambda r: f"{_unexpected(r)} of the PQLs"))

    pqls = len(pql)
    counted = int(marts["funnel_conversion"]["pqls"].fillna(0).sum())
    volume = marts["funnel_volume_daily"]
    entries = int(volume.loc[volume["stage"] == "pql", "entries"].fillna(0).sum())
    totals = Frame("pql_totals", pd.DataFrame({"pqls_minus_lead_stages": [counted - pqls],
                                               "pql_entries_minus_pqls": [entries - pqls]},
                                              dtype="float64"))
    totals.checks.append(Check(
        "funnel_conversion", "sum(pqls) = lead_stages rows with a pql_at",
        gxe.ExpectColumnMaxToBeBetween(column="pqls_minus_lead_stages", min_value=0,
                                       max_value=0),
        lambda r: f"{counted} pqls in funnel_conversion, {pqls} in lead_stages"))
    totals.checks.append(Check(
        "funnel_volume_daily", "pql entries >= lead_stages rows with a pql_at",
        gxe.ExpectColumnMaxToBeBetween(column="pql_entries_minus_pqls", min_value=0),
        lambda r: f"{entries} pql entries for {pqls} PQLs"))
    return [mql_first, totals]


def ordered_checks(frames: list[Frame]) -> list[Check]:
    """All checks in report order: marts as in the brief (conversion, stages, handoffs,
    run context, volume)."""
    rank = {"funnel_conversion": 0, "lead_stages": 1, "lead_handoffs": 2, "dq_run_context": 3,
            "funnel_volume_daily": 4, "volume": 5}
    checks = [c for f in frames for c in f.checks]
    return sorted(checks, key=lambda c: rank.get(c.mart, len(rank)))
