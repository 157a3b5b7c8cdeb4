"""``lead-funnel report``: the funnel as one self-contained HTML page.

The page is one file that opens with no network: plotly.js is embedded once, every chart is a
plotly figure drawn from numbers read here from the marts (schema ``analytics``) and the
quarantine (``analytics_data_quality.dq_quarantined_rows``):

- the conversion waterfall (leads -> MQL -> SAL -> SQL -> opportunity -> customer), counts and
  the rate from the stage before, ratios of the totals of ``funnel_conversion``;
- conversion by lead source (lead -> MQL, MQL -> SAL, lead -> customer);
- MQLs per week (handoffs by the week of ``mql_at``, re-MQLs count again) with the acceptance
  rate of that week's handoffs: accepted / (accepted + rejected), pending ones left out. It is
  read from ``lead_handoffs`` per handoff, never as SALs-of-a-week over MQLs-of-a-week (an MQL
  of Friday accepted on Monday belongs to Friday's week);
- handoff response times against the SLA (``within_sla`` as the mart judged it; pending
  handoffs counted beside the histogram, inside or past the SLA);
- fit x engagement scores of every contact at as_of, with the MQL threshold (fit + engagement
  = ``mql_threshold``) drawn in;
- PQLs: ``funnel_conversion.pqls`` and ``lead_stages.pql_at`` (PQLs per month, PQL -> customer);
- the account funnel (accounts -> MQA -> opportunity -> customer, totals of
  ``account_funnel_conversion``) and the campaigns by attributed MQLs and customers
  (``campaign_funnel``, one attribution model at a time): lead_funnel.report_accounts;
- data quality: quarantined raw rows by reason and source table.

`collect` reads the numbers (testable on their own), `render` turns them into the page.
"""

from __future__ import annotations

import html
import importlib
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from lead_funnel.accounts import AccountsView, has_account_marts, read_accounts
from lead_funnel.marts import connect_marts, relation
from lead_funnel.report_accounts import account_funnel_figure, campaigns_figure
from lead_funnel.report_style import (
    COLOURS,
    LEGEND as _LEGEND,
    empty as _empty,
    fmt_int,
    fmt_pct,
    go as _go,
    layout as _layout,
    plural,
    ratio as _ratio,
)

WATERFALL = ("leads", "mqls", "sals", "sqls", "opportunities", "customers")
WATERFALL_LABELS = ("Lead", "MQL", "SAL", "SQL", "Opportunity", "Customer")
REQUIRED = ("funnel_conversion", "lead_stages", "lead_handoffs", "dq_quarantined_rows",
            "dq_run_context")
# Chart ids, in page order: the page test checks that each one rendered with data.
CHARTS = ("waterfall", "by_source", "mql_weeks", "response_times", "scores", "pqls",
          "account_funnel", "campaigns", "data_quality")
DEFAULT_OUT = "funnel_report.html"


class ReportError(RuntimeError):
    """The database or a mart the report reads is missing."""


@dataclass
class SourceRow:
    lead_source: str
    counts: dict[str, int]

    def rate(self, numerator: str, denominator: str) -> float | None:
        return _ratio(self.counts[numerator], self.counts[denominator])


@dataclass
class MqlWeek:
    week: date  # the Monday of the ISO week of mql_at (UTC)
    mqls: int
    accepted: int
    rejected: int
    pending: int

    @property
    def acceptance_rate(self) -> float | None:
        return _ratio(self.accepted, self.accepted + self.rejected)


@dataclass
class ReportData:
    database: str
    as_of: datetime
    created_from: datetime | None
    created_to: datetime | None
    totals: dict[str, int]  # WATERFALL counts + pqls, summed over funnel_conversion
    sources: list[SourceRow]
    weeks: list[MqlWeek]
    response_hours: list[tuple[float, bool]]  # responded handoffs: (hours, within_sla)
    pending_inside_sla: int
    pending_past_sla: int
    sla_hours: float
    scores: list[tuple[float, float, bool]]  # contact: (fit, engagement at as_of, ever MQL)
    mql_threshold: float
    pql_months: list[tuple[date, int]]
    pqls_customers: int  # contacts with both pql_at and customer_at
    quarantine: list[tuple[str, str, int]]  # (source_table, reason, rows)
    raw_rows: int
    accounts: AccountsView | None = None  # None when the account marts are not built

    def rate(self, numerator: str, denominator: str) -> float | None:
        return _ratio(self.totals[numerator], self.totals[denominator])

    @property
    def handoffs(self) -> int:
        return sum(w.mqls for w in self.weeks)

    @property
    def acceptance_rate(self) -> float | None:
        return _ratio(sum(w.accepted for w in self.weeks),
                      sum(w.accepted + w.rejected for w in self.weeks))

    @property
    def within_sla_rate(self) -> float | None:
        """Share of judged handoffs (responded, or pending past the SLA) answered in time."""
        ok = sum(1 for _, within in self.response_hours if within)
        return _ratio(ok, len(self.response_hours) + self.pending_past_sla)

    @property
    def quarantined_rows(self) -> int:
        return sum(n for _, _, n in self.quarantine)


def fmt_hours(value: float) -> str:
    return f"{value:,.1f} h" if value < 48 else f"{value / 24:,.1f} days"


def _project_var(name: str, fallback: float) -> float:
    """A var's default from dbt_project.yml (what a build without --vars used)."""
    from lead_funnel.dbt_runner import project_dir

    yaml: Any = importlib.import_module("yaml")  # PyYAML, a dbt dependency (no type stubs)
    path = project_dir() / "dbt_project.yml"
    if not path.is_file():
        return fallback
    value = (yaml.safe_load(path.read_text()) or {}).get("vars", {}).get(name)
    return fallback if value is None else float(value)


def collect(database: str | Path, sla_hours: float | None = None,
            mql_threshold: float | None = None) -> ReportData:
    """Read every number of the report from the marts of `database` (read-only)."""
    con = connect_marts(database, [relation(name) for name in REQUIRED], ReportError)
    try:
        return _collect(con, str(database),
                        _project_var("handoff_sla_hours", 24) if sla_hours is None else sla_hours,
                        _project_var("mql_threshold", 100) if mql_threshold is None
                        else mql_threshold)
    finally:
        con.close()


def _collect(con: Any, database: str, sla_hours: float, mql_threshold: float) -> ReportData:
    def rows(sql: str) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in con.execute(sql).fetchall()]

    conversion = relation("funnel_conversion")
    stages = relation("lead_stages")
    handoffs = relation("lead_handoffs")
    counted = WATERFALL + ("pqls",)
    total = rows("select " + ", ".join(f"coalesce(sum({c}), 0)" for c in counted)
                 + f" from {conversion}")[0]
    totals = {c: int(v) for c, v in zip(counted, total)}
    sources = [SourceRow(str(r[0]), {c: int(v) for c, v in zip(WATERFALL, r[1:])})
               for r in rows(f"select lead_source, {', '.join(f'sum({c})' for c in WATERFALL)} "
                             f"from {conversion} group by 1 order by 2 desc, 1")]
    weeks = [MqlWeek(r[0], int(r[1]), int(r[2]), int(r[3]), int(r[4])) for r in rows(
        "select cast(date_trunc('week', mql_at) as date), count(*), "
        "count(*) filter (where outcome = 'accepted'), "
        "count(*) filter (where outcome = 'rejected'), "
        "count(*) filter (where outcome = 'pending') "
        f"from {handoffs} group by 1 order by 1")]
    responded = [(float(r[0]), bool(r[1])) for r in rows(
        f"select response_hours, within_sla from {handoffs} "
        "where outcome <> 'pending' and response_hours is not null order by 1")]
    pending = rows("select count(*) filter (where within_sla is null), "
                   "count(*) filter (where within_sla = false) "
                   f"from {handoffs} where outcome = 'pending'")[0]
    context = rows(f"select as_of, raw_rows from {relation('dq_run_context')}")
    if not context:
        raise ReportError(f"{relation('dq_run_context')} is empty in {database}")
    created = rows(f"select min(created_at), max(created_at) from {stages}")[0]
    return ReportData(
        database=database, as_of=context[0][0], created_from=created[0], created_to=created[1],
        totals=totals, sources=sources, weeks=weeks, response_hours=responded,
        pending_inside_sla=int(pending[0]), pending_past_sla=int(pending[1]),
        sla_hours=sla_hours,
        scores=[(float(r[0]), float(r[1]), bool(r[2])) for r in rows(
            "select fit_score, coalesce(engagement_score, 0), mql_at is not null "
            f"from {stages} order by contact_id")],
        mql_threshold=mql_threshold,
        pql_months=[(r[0], int(r[1])) for r in rows(
            "select cast(date_trunc('month', pql_at) as date), count(*) "
            f"from {stages} where pql_at is not null group by 1 order by 1")],
        pqls_customers=int(rows(f"select count(*) from {stages} "
                                "where pql_at is not null and customer_at is not null")[0][0]),
        quarantine=[(str(r[0]), str(r[1]), int(r[2])) for r in rows(
            "select source_table, quarantine_reason, count(*) "
            f"from {relation('dq_quarantined_rows')} group by 1, 2 order by 3 desc, 1, 2")],
        raw_rows=int(context[0][1] or 0),
        accounts=read_accounts(con) if has_account_marts(con) else None,
    )


# --- rendering --------------------------------------------------------------------------------

def response_bins(sla_hours: float) -> list[float]:
    """Upper edges of the response-time bins, (lo, hi] hours: eight per SLA up to three SLAs;
    beyond the last edge one overflow bin. An edge falls on the SLA, so a response of exactly
    the SLA (within it, <=) is in the bin left of the SLA line."""
    width = sla_hours / 8 if sla_hours > 0 else 1.0
    return [width * (i + 1) for i in range(24)]


def waterfall_figure(data: ReportData) -> Any:
    go = _go()
    counts = [data.totals[c] for c in WATERFALL]
    text = [fmt_int(counts[0])] + [
        f"{fmt_int(n)} · {fmt_pct(_ratio(n, counts[i]))} of {WATERFALL_LABELS[i]}"
        for i, n in enumerate(counts[1:])]
    fig = go.Figure(go.Bar(y=list(WATERFALL_LABELS), x=counts, orientation="h", text=text,
                           textposition="outside", cliponaxis=False,
                           marker={"color": list(COLOURS)},
                           hovertemplate="%{y}: %{x:,}<extra></extra>"))
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(range=[0, 1.45 * max(counts + [1])], tickformat=",d", title_text="contacts")
    lead_to_customer = fmt_pct(data.rate("customers", "leads"))
    return _layout(fig, f"Conversion waterfall · lead → customer {lead_to_customer}")


def by_source_figure(data: ReportData) -> Any:
    go = _go()
    names = [s.lead_source for s in data.sources]
    fig = go.Figure()
    for label, num, den, colour in (("lead → MQL", "mqls", "leads", COLOURS[1]),
                                    ("MQL → SAL", "sals", "mqls", COLOURS[2]),
                                    ("lead → customer", "customers", "leads", COLOURS[5])):
        rates = [s.rate(num, den) for s in data.sources]
        fig.add_trace(go.Bar(
            name=label, x=names, y=[r if r is not None else 0 for r in rates],
            marker_color=colour, text=[fmt_pct(r) for r in rates], textposition="outside",
            textfont={"size": 10}, cliponaxis=False,
            customdata=[[fmt_int(s.counts[num]), fmt_int(s.counts[den])] for s in data.sources],
            hovertemplate="%{x}: %{text} (%{customdata[0]} of %{customdata[1]})"
                          f"<extra>{label}</extra>"))
    fig.update_yaxes(tickformat=".0%", rangemode="tozero")
    return _layout(fig, "Conversion by lead source (ratio of totals)", barmode="group",
                   legend=_LEGEND)


def mql_weeks_figure(data: ReportData) -> Any:
    go = _go()
    plotly_subplots: Any = importlib.import_module("plotly.subplots")
    fig = plotly_subplots.make_subplots(specs=[[{"secondary_y": True}]])
    weeks = [w.week.isoformat() for w in data.weeks]
    fig.add_trace(go.Bar(name="MQLs (handoffs)", x=weeks, y=[w.mqls for w in data.weeks],
                         marker_color=COLOURS[1],
                         customdata=[[w.accepted, w.rejected, w.pending] for w in data.weeks],
                         hovertemplate="week of %{x}: %{y:,} MQLs<br>accepted %{customdata[0]:,}"
                                       ", rejected %{customdata[1]:,}, pending %{customdata[2]:,}"
                                       "<extra></extra>"), secondary_y=False)
    rates = [w.acceptance_rate for w in data.weeks]
    fig.add_trace(go.Scatter(name="acceptance rate (accepted / (accepted + rejected))",
                             x=weeks, y=rates, mode="lines+markers", connectgaps=False,
                             line={"color": COLOURS[5], "width": 2},
                             hovertemplate="week of %{x}: %{y:.1%} accepted<extra></extra>"),
                  secondary_y=True)
    fig.update_yaxes(title_text="MQLs", secondary_y=False, rangemode="tozero")
    fig.update_yaxes(title_text="accepted", tickformat=".0%", range=[0, 1.05], secondary_y=True,
                     tickvals=[0, 0.25, 0.5, 0.75, 1],
                     showgrid=False)
    overall = fmt_pct(data.acceptance_rate)
    return _layout(fig, f"MQLs per week and acceptance · {plural(data.handoffs, 'handoff')}, "
                   f"{overall} of the answered accepted",
                   legend=_LEGEND)


def response_times_figure(data: ReportData) -> Any:
    go = _go()
    edges = response_bins(data.sla_hours)
    labels = [f"{lo:g}–{hi:g} h" for lo, hi in zip([0.0] + edges[:-1], edges)]
    labels.append(f"> {edges[-1]:g} h")
    fig = go.Figure()
    for label, within, colour in (("within SLA", True, COLOURS[3]),
                                  ("over SLA", False, COLOURS[5])):
        counts = [0] * len(labels)
        for hours, ok in data.response_hours:
            if ok is within:
                counts[next((i for i, hi in enumerate(edges) if hours <= hi), len(edges))] += 1
        fig.add_trace(go.Bar(name=f"{label} ({fmt_int(sum(counts))})", x=labels, y=counts,
                             marker_color=colour,
                             hovertemplate="%{x}: %{y:,} handoffs<extra>" + label + "</extra>"))
    sla_at = next((i for i, hi in enumerate(edges) if hi >= data.sla_hours), len(edges))
    fig.add_vline(x=sla_at + 0.5, line_dash="dash", line_color="#333",
                  annotation_text=f"SLA {data.sla_hours:g} h", annotation_position="top right")
    if not data.response_hours:
        _empty(fig, "no handoff has been answered yet")
    fig.update_xaxes(title_text="hours from MQL to the sales response", type="category",
                     tickangle=-45)
    fig.update_yaxes(title_text="handoffs", rangemode="tozero")
    pending = (f"pending: {fmt_int(data.pending_inside_sla)} inside the SLA, "
               f"{fmt_int(data.pending_past_sla)} past it")
    return _layout(fig, f"Handoff response times · {fmt_pct(data.within_sla_rate)} within SLA "
                   f"· {pending}", barmode="stack", legend=_LEGEND)


def scores_figure(data: ReportData) -> Any:
    go = _go()
    fig = go.Figure()
    for label, reached, colour in (("never MQL", False, "#9aa5b1"),
                                   ("reached MQL", True, COLOURS[0])):
        points = [(f, e) for f, e, m in data.scores if m is reached]
        fig.add_trace(go.Scatter(name=f"{label} ({fmt_int(len(points))})",
                                 x=[f for f, _ in points], y=[e for _, e in points],
                                 mode="markers", marker={"color": colour, "size": 5,
                                                         "opacity": 0.45},
                                 hovertemplate="fit %{x:.0f}, engagement %{y:.1f}"
                                               "<extra></extra>"))
    fits = [f for f, _, _ in data.scores] or [0.0]
    lo, hi = min(fits + [0.0]), max(fits + [data.mql_threshold])
    fig.add_trace(go.Scatter(name=f"MQL threshold: fit + engagement = {data.mql_threshold:g}",
                             x=[lo, hi], y=[data.mql_threshold - lo, data.mql_threshold - hi],
                             mode="lines", line={"color": COLOURS[5], "dash": "dash"},
                             hoverinfo="skip"))
    engagement = [e for _, e, _ in data.scores] or [0.0]
    fig.update_yaxes(title_text="engagement score at as_of",
                     range=[min(0.0, min(engagement)) - 5,
                            max(max(engagement), data.mql_threshold - lo) + 5])
    fig.update_xaxes(title_text="fit score")
    return _layout(fig, "Fit × engagement of every contact (scores at as_of; the MQL was judged "
                   "at each event)", height=420,
                   legend=_LEGEND)


def pqls_figure(data: ReportData) -> Any:
    go = _go()
    months = [m.strftime("%Y-%m") for m, _ in data.pql_months]
    fig = go.Figure(go.Bar(name="PQLs", x=months, y=[n for _, n in data.pql_months],
                           marker_color=COLOURS[2], text=[fmt_int(n) for _, n in data.pql_months],
                           textposition="outside",
                           hovertemplate="%{x}: %{y:,} PQLs<extra></extra>"))
    if not data.pql_months:
        _empty(fig, "no product-qualified lead yet")
    fig.update_yaxes(title_text="PQLs (by month of pql_at)", rangemode="tozero")
    fig.update_xaxes(type="category")
    pqls = data.totals["pqls"]
    return _layout(fig, f"Product-qualified leads · {plural(pqls, 'PQL')}, "
                   f"{fmt_pct(_ratio(data.pqls_customers, pqls))} became customers")


def data_quality_figure(data: ReportData) -> Any:
    go = _go()
    fig = go.Figure()
    tables = sorted({t for t, _, _ in data.quarantine})
    reasons = sorted({r for _, r, _ in data.quarantine},
                     key=lambda r: (-sum(n for _, rr, n in data.quarantine if rr == r), r))
    for i, table in enumerate(tables):
        by_reason = {r: n for t, r, n in data.quarantine if t == table}
        fig.add_trace(go.Bar(name=table, orientation="h", y=reasons,
                             x=[by_reason.get(r, 0) for r in reasons],
                             marker_color=COLOURS[i % len(COLOURS)],
                             hovertemplate="%{y}: %{x:,} rows<extra>" + table + "</extra>"))
    if not data.quarantine:
        _empty(fig, "no quarantined rows")
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title_text="quarantined raw rows")
    share = fmt_pct(_ratio(data.quarantined_rows, data.raw_rows))
    return _layout(fig, f"Data quality · {fmt_int(data.quarantined_rows)} of "
                   f"{fmt_int(data.raw_rows)} raw rows quarantined ({share}), by reason",
                   height=max(300, 60 + 28 * len(reasons)), barmode="stack",
                   legend=_LEGEND)


FIGURES = {
    "waterfall": waterfall_figure, "by_source": by_source_figure, "mql_weeks": mql_weeks_figure,
    "response_times": response_times_figure, "scores": scores_figure, "pqls": pqls_figure,
    "account_funnel": lambda data: account_funnel_figure(data.accounts),
    "campaigns": lambda data: campaigns_figure(data.accounts),
    "data_quality": data_quality_figure,
}


def title(data: ReportData) -> str:
    span = ("no contacts" if data.created_from is None or data.created_to is None else
            f"leads created {data.created_from:%d %b %Y} – {data.created_to:%d %b %Y}")
    return f"Lead funnel · {span} · as of {data.as_of:%d %b %Y %H:%M} UTC"


def headline(data: ReportData) -> list[tuple[str, str, str]]:
    """(label, value, detail) of the cards at the top of the page."""
    t = data.totals
    return [
        ("Leads", fmt_int(t["leads"]), "contacts in the marts"),
        ("MQLs", fmt_int(t["mqls"]), f"{fmt_pct(data.rate('mqls', 'leads'))} of leads"),
        ("SALs", fmt_int(t["sals"]), f"{fmt_pct(data.rate('sals', 'mqls'))} of MQLs"),
        ("Customers", fmt_int(t["customers"]),
         f"{fmt_pct(data.rate('customers', 'leads'))} of leads"),
        ("Handoffs accepted", fmt_pct(data.acceptance_rate),
         "accepted / (accepted + rejected)"),
        ("Within SLA", fmt_pct(data.within_sla_rate), f"response ≤ {data.sla_hours:g} h"),
        ("PQLs", fmt_int(t["pqls"]), f"{fmt_pct(data.rate('pqls', 'leads'))} of leads"),
        ("Quarantined rows", fmt_int(data.quarantined_rows),
         f"{fmt_pct(_ratio(data.quarantined_rows, data.raw_rows))} of raw rows"),
    ]


_CSS = """
body{font-family:Helvetica,Arial,sans-serif;margin:0;background:#f4f6f9;color:#1f2933}
header{background:#1f2d3d;color:#fff;padding:18px 28px}
header h1{margin:0;font-size:21px;font-weight:600} header p{margin:6px 0 0;color:#c7d2de;font-size:13px}
main{padding:18px 28px;max-width:1400px;margin:auto}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:12px;margin-bottom:16px}
.card{background:#fff;border-radius:8px;padding:12px 14px;box-shadow:0 1px 2px rgba(0,0,0,.08)}
.card .label{font-size:12px;color:#52606d;text-transform:uppercase;letter-spacing:.04em}
.card .value{font-size:26px;font-weight:600;margin:4px 0}
.card .detail{font-size:12px;color:#7b8794}
.grid{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:16px}
@media (max-width:1100px){.grid{grid-template-columns:minmax(0,1fr)}}
.panel{background:#fff;border-radius:8px;padding:6px;box-shadow:0 1px 2px rgba(0,0,0,.08);min-width:0;overflow:hidden}
footer{font-size:12px;color:#7b8794;padding:8px 28px 24px}
"""


def render(data: ReportData) -> str:
    """The page: one HTML string with plotly.js inlined (no network needed to open it)."""
    offline: Any = importlib.import_module("plotly.offline")
    cards = "\n".join(
        f'<div class="card" data-kpi="{html.escape(label)}"><div class="label">'
        f'{html.escape(label)}</div><div class="value">{html.escape(value)}</div>'
        f'<div class="detail">{html.escape(detail)}</div></div>'
        for label, value, detail in headline(data))
    panels = "\n".join(
        '<section class="panel">' + FIGURES[name](data).to_html(
            full_html=False, include_plotlyjs=False, div_id=f"chart-{name}",
            config={"displaylogo": False, "responsive": True}) + "</section>"
        for name in CHARTS)
    page_title = title(data)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(page_title)}</title>
<style>{_CSS}</style>
<script type="text/javascript">{offline.get_plotlyjs()}</script>
</head><body>
<header><h1>{html.escape(page_title)}</h1>
<p>Read from {html.escape(data.database)} (schemas analytics and analytics_data_quality).
Rates are ratios of totals; a cohort is the month a lead was created.</p></header>
<main><div class="cards">{cards}</div>
<div class="grid">{panels}</div></main>
<script>window.addEventListener("load", function () {{
  document.querySelectorAll(".js-plotly-plot").forEach(function (d) {{ Plotly.Plots.resize(d); }});
}});</script>
<footer>Generated by lead-funnel report. MQL threshold {data.mql_threshold:g}, handoff SLA
{data.sla_hours:g} h (dbt vars mql_threshold, handoff_sla_hours).</footer>
</body></html>
"""


def write_report(database: str | Path, out: str | Path = DEFAULT_OUT,
                 sla_hours: float | None = None, mql_threshold: float | None = None) -> Path:
    data = collect(database, sla_hours, mql_threshold)
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(data), encoding="utf-8")
    return path.resolve()
