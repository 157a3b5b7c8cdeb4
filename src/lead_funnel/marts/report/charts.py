"""The funnel charts of the report, one plotly figure each, drawn from :class:`ReportData`
(the account and campaign charts are in :mod:`.account_charts`)."""

from __future__ import annotations

import importlib
from types import MappingProxyType
from typing import Any, Callable, Final, Mapping

from lead_funnel.marts.rates import WATERFALL, ratio
from lead_funnel.marts.report.account_charts import account_funnel_figure, campaigns_figure
from lead_funnel.marts.report.data import ReportData
from lead_funnel.marts.report.style import (COLOURS, LEGEND, empty, fmt_int, fmt_pct, go,
                                            layout, plural)

WATERFALL_LABELS = ("Lead", "MQL", "SAL", "SQL", "Opportunity", "Customer")
# Chart ids, in page order: the page test checks that each one rendered with data.
CHARTS = ("waterfall", "by_source", "mql_weeks", "response_times", "scores", "pqls",
          "account_funnel", "campaigns", "data_quality")


def response_bins(sla_hours: float) -> list[float]:
    """Upper edges of the response-time bins, (lo, hi] hours: eight per SLA up to three SLAs;
    beyond the last edge one overflow bin. An edge falls on the SLA, so a response of exactly
    the SLA (within it, <=) is in the bin left of the SLA line."""
    width = sla_hours / 8 if sla_hours > 0 else 1.0
    return [width * (i + 1) for i in range(24)]


def waterfall_figure(data: ReportData) -> Any:
    graph = go()
    counts = [data.totals[c] for c in WATERFALL]
    text = [fmt_int(counts[0])] + [
        f"{fmt_int(n)} · {fmt_pct(ratio(n, counts[i]))} of {WATERFALL_LABELS[i]}"
        for i, n in enumerate(counts[1:])]
    fig = graph.Figure(graph.Bar(y=list(WATERFALL_LABELS), x=counts, orientation="h", text=text,
                                 textposition="outside", cliponaxis=False,
                                 marker={"color": list(COLOURS)},
                                 hovertemplate="%{y}: %{x:,}<extra></extra>"))
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(range=[0, 1.45 * max(counts + [1])], tickformat=",d", title_text="contacts")
    lead_to_customer = fmt_pct(data.rate("customers", "leads"))
    return layout(fig, f"Conversion waterfall · lead → customer {lead_to_customer}")


def by_source_figure(data: ReportData) -> Any:
    graph = go()
    names = [s.lead_source for s in data.sources]
    fig = graph.Figure()
    for label, num, den, colour in (("lead → MQL", "mqls", "leads", COLOURS[1]),
                                    ("MQL → SAL", "sals", "mqls", COLOURS[2]),
                                    ("lead → customer", "customers", "leads", COLOURS[5])):
        rates = [s.rate(num, den) for s in data.sources]
        fig.add_trace(graph.Bar(
            name=label, x=names, y=[r if r is not None else 0 for r in rates],
            marker_color=colour, text=[fmt_pct(r) for r in rates], textposition="outside",
            textfont={"size": 10}, cliponaxis=False,
            customdata=[[fmt_int(s.counts[num]), fmt_int(s.counts[den])] for s in data.sources],
            hovertemplate="%{x}: %{text} (%{customdata[0]} of %{customdata[1]})"
                          f"<extra>{label}</extra>"))
    fig.update_yaxes(tickformat=".0%", rangemode="tozero")
    return layout(fig, "Conversion by lead source (ratio of totals)", barmode="group",
                  legend=LEGEND)


def mql_weeks_figure(data: ReportData) -> Any:
    graph = go()
    plotly_subplots: Any = importlib.import_module("plotly.subplots")
    fig = plotly_subplots.make_subplots(specs=[[{"secondary_y": True}]])
    weeks = [w.week.isoformat() for w in data.weeks]
    fig.add_trace(graph.Bar(name="MQLs (handoffs)", x=weeks, y=[w.mqls for w in data.weeks],
                            marker_color=COLOURS[1],
                            customdata=[[w.accepted, w.rejected, w.pending] for w in data.weeks],
                            hovertemplate="week of %{x}: %{y:,} MQLs<br>accepted %{customdata[0]:,}"
                            ", rejected %{customdata[1]:,}, pending %{customdata[2]:,}"
                            "<extra></extra>"), secondary_y=False)
    rates = [w.acceptance_rate for w in data.weeks]
    fig.add_trace(graph.Scatter(name="acceptance rate (accepted / (accepted + rejected))",
                                x=weeks, y=rates, mode="lines+markers", connectgaps=False,
                                line={"color": COLOURS[5], "width": 2},
                                hovertemplate="week of %{x}: %{y:.1%} accepted<extra></extra>"),
                  secondary_y=True)
    fig.update_yaxes(title_text="MQLs", secondary_y=False, rangemode="tozero")
    fig.update_yaxes(title_text="accepted", tickformat=".0%", range=[0, 1.05], secondary_y=True,
                     tickvals=[0, 0.25, 0.5, 0.75, 1],
                     showgrid=False)
    overall = fmt_pct(data.acceptance_rate)
    return layout(fig, f"MQLs per week and acceptance · {plural(data.handoffs, 'handoff')}, "
                  f"{overall} of the answered accepted",
                  legend=LEGEND)


def response_times_figure(data: ReportData) -> Any:
    graph = go()
    edges = response_bins(data.sla_hours)
    labels = [f"{lo:g}–{hi:g} h" for lo, hi in zip([0.0] + edges[:-1], edges)]
    labels.append(f"> {edges[-1]:g} h")
    fig = graph.Figure()
    for label, within, colour in (("within SLA", True, COLOURS[3]),
                                  ("over SLA", False, COLOURS[5])):
        counts = [0] * len(labels)
        for hours, ok in data.response_hours:
            if ok is within:
                counts[next((i for i, hi in enumerate(edges) if hours <= hi), len(edges))] += 1
        fig.add_trace(graph.Bar(name=f"{label} ({fmt_int(sum(counts))})", x=labels, y=counts,
                                marker_color=colour,
                                hovertemplate="%{x}: %{y:,} handoffs<extra>" + label + "</extra>"))
    sla_at = next((i for i, hi in enumerate(edges) if hi >= data.sla_hours), len(edges))
    fig.add_vline(x=sla_at + 0.5, line_dash="dash", line_color="#333",
                  annotation_text=f"SLA {data.sla_hours:g} h", annotation_position="top right")
    if not data.response_hours:
        empty(fig, "no handoff has been answered yet")
    fig.update_xaxes(title_text="hours from MQL to the sales response", type="category",
                     tickangle=-45)
    fig.update_yaxes(title_text="handoffs", rangemode="tozero")
    pending = (f"pending: {fmt_int(data.pending_inside_sla)} inside the SLA, "
               f"{fmt_int(data.pending_past_sla)} past it")
    return layout(fig, f"Handoff response times · {fmt_pct(data.within_sla_rate)} within SLA "
                  f"· {pending}", barmode="stack", legend=LEGEND)


def scores_figure(data: ReportData) -> Any:
    graph = go()
    fig = graph.Figure()
    for label, reached, colour in (("never MQL", False, "#9aa5b1"),
                                   ("reached MQL", True, COLOURS[0])):
        points = [(f, e) for f, e, m in data.scores if m is reached]
        fig.add_trace(graph.Scatter(name=f"{label} ({fmt_int(len(points))})",
                                    x=[f for f, _ in points], y=[e for _, e in points],
                                    mode="markers", marker={"color": colour, "size": 5,
                                                         "opacity": 0.45},
                                    hovertemplate="fit %{x:.0f}, engagement %{y:.1f}"
                                    "<extra></extra>"))
    fits = [f for f, _, _ in data.scores] or [0.0]
    lo, hi = min(fits + [0.0]), max(fits + [data.mql_threshold])
    fig.add_trace(graph.Scatter(name=f"MQL threshold: fit + engagement = {data.mql_threshold:g}",
                                x=[lo, hi], y=[data.mql_threshold - lo, data.mql_threshold - hi],
                                mode="lines", line={"color": COLOURS[5], "dash": "dash"},
                                hoverinfo="skip"))
    engagement = [e for _, e, _ in data.scores] or [0.0]
    fig.update_yaxes(title_text="engagement score at as_of",
                     range=[min(0.0, min(engagement)) - 5,
                            max(max(engagement), data.mql_threshold - lo) + 5])
    fig.update_xaxes(title_text="fit score")
    return layout(fig, "Fit × engagement of every contact (scores at as_of; the MQL was judged "
                  "at each event)", height=420,
                  legend=LEGEND)


def pqls_figure(data: ReportData) -> Any:
    graph = go()
    months = [m.strftime("%Y-%m") for m, _ in data.pql_months]
    fig = graph.Figure(graph.Bar(name="PQLs", x=months, y=[n for _, n in data.pql_months],
                                 marker_color=COLOURS[2], text=[fmt_int(n) for _, n in data.pql_months],
                                 textposition="outside",
                                 hovertemplate="%{x}: %{y:,} PQLs<extra></extra>"))
    if not data.pql_months:
        empty(fig, "no product-qualified lead yet")
    fig.update_yaxes(title_text="PQLs (by month of pql_at)", rangemode="tozero")
    fig.update_xaxes(type="category")
    pqls = data.totals["pqls"]
    return layout(fig, f"Product-qualified leads · {plural(pqls, 'PQL')}, "
                  f"{fmt_pct(ratio(data.conversions.pql_customers, pqls))} became customers")


def data_quality_figure(data: ReportData) -> Any:
    graph = go()
    fig = graph.Figure()
    tables = sorted({t for t, _, _ in data.quarantine})
    reasons = sorted({r for _, r, _ in data.quarantine},
                     key=lambda r: (-sum(n for _, rr, n in data.quarantine if rr == r), r))
    for i, table in enumerate(tables):
        by_reason = {r: n for t, r, n in data.quarantine if t == table}
        fig.add_trace(graph.Bar(name=table, orientation="h", y=reasons,
                                x=[by_reason.get(r, 0) for r in reasons],
                                marker_color=COLOURS[i % len(COLOURS)],
                                hovertemplate="%{y}: %{x:,} rows<extra>" + table + "</extra>"))
    if not data.quarantine:
        empty(fig, "no quarantined rows")
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title_text="quarantined raw rows")
    share = fmt_pct(ratio(data.quarantined_rows, data.raw_rows))
    return layout(fig, f"Data quality · {fmt_int(data.quarantined_rows)} of "
                  f"{fmt_int(data.raw_rows)} raw rows quarantined ({share}), by reason",
                  height=max(300, 60 + 28 * len(reasons)), barmode="stack",
                  legend=LEGEND)


# Read-only: the page draws exactly these, in CHARTS order.
FIGURES: Final[Mapping[str, Callable[[ReportData], Any]]] = MappingProxyType({
    "waterfall": waterfall_figure, "by_source": by_source_figure, "mql_weeks": mql_weeks_figure,
    "response_times": response_times_figure, "scores": scores_figure, "pqls": pqls_figure,
    "account_funnel": lambda data: account_funnel_figure(data.accounts),
    "campaigns": lambda data: campaigns_figure(data.accounts),
    "data_quality": data_quality_figure,
})
