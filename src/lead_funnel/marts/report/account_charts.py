"""The account and campaign charts of `lead-funnel report` (docs/funnel_rules.md §8, §9), drawn from
the marts as lead_funnel.marts.accounts reads them: the account funnel (accounts -> MQA ->
opportunity -> customer, totals of account_funnel_conversion) and the campaigns by attributed
MQLs and customers (campaign_funnel), one attribution model at a time (a menu switches it)."""

from __future__ import annotations

from typing import Any

from lead_funnel.marts.accounts import ACCOUNT_FUNNEL, ACCOUNT_FUNNEL_LABELS, AccountsView
from lead_funnel.marts.rates import ratio
from lead_funnel.marts.report.style import COLOURS, LEGEND, empty, fmt_int, fmt_pct, go, layout

CAMPAIGN_CHART_LIMIT = 10
DEFAULT_CHART_MODEL = "position_based"


def account_funnel_figure(view: AccountsView | None) -> Any:
    graph = go()
    if view is None:
        return layout(empty(graph.Figure(), "account marts not built"), "Account funnel")
    counts = [view.funnel[c] for c in ACCOUNT_FUNNEL]
    text = [fmt_int(counts[0])] + [
        f"{fmt_int(n)} · {fmt_pct(ratio(n, counts[0]))} of accounts" for n in counts[1:]]
    fig = graph.Figure(graph.Bar(y=list(ACCOUNT_FUNNEL_LABELS), x=counts, orientation="h", text=text,
                                 textposition="outside", cliponaxis=False,
                                 marker={"color": [COLOURS[0], COLOURS[2], COLOURS[4], COLOURS[5]]},
                                 hovertemplate="%{y}: %{x:,}<extra></extra>"))
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(range=[0, 1.45 * max(counts + [1])], tickformat=",d", title_text="accounts")
    mqa_to_customer = fmt_pct(ratio(view.mqa_customers, view.funnel["mqas"]))
    return layout(fig, f"Account funnel · MQA → customer {mqa_to_customer} "
                  f"({fmt_int(view.mqa_customers)} of {fmt_int(view.funnel['mqas'])} MQAs)")


def campaigns_figure(view: AccountsView | None) -> Any:
    """Top campaigns by attributed MQLs, with their attributed customers; a menu per model."""
    graph = go()
    fig = graph.Figure()
    models = [] if view is None else view.models()
    if not models or view is None:
        return layout(empty(fig, "no attributed MQL yet"), "Campaigns by attributed MQLs and customers")
    shown = DEFAULT_CHART_MODEL if DEFAULT_CHART_MODEL in models else models[0]
    for model in models:
        top = view.top_campaigns(model, "mqls", CAMPAIGN_CHART_LIMIT)
        names = [c.campaign_id for c in top]
        for label, values, colour in (("attributed MQLs", [c.mqls for c in top], COLOURS[1]),
                                      ("attributed customers", [c.customers for c in top], COLOURS[5])):
            fig.add_trace(graph.Bar(name=label, orientation="h", y=names, x=values,
                                    marker_color=colour, visible=model == shown,
                                    text=[f"{v:,.1f}" for v in values], textposition="outside",
                                    cliponaxis=False,
                                    hovertemplate="%{y}: %{x:,.2f}<extra>" + f"{label} ({model})</extra>"))
    buttons = [{"label": model, "method": "update",
                "args": [{"visible": [m == model for m in models for _ in range(2)]}]}
               for model in models]
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title_text="credit (each handoff gives 1 per model)", rangemode="tozero")
    none = view.no_campaign(shown)
    return layout(fig, f"Campaigns by attributed MQLs and customers · top {CAMPAIGN_CHART_LIMIT} · "
                  f"{none.mqls:,.0f} MQLs without a campaign touch ({shown})",
                  height=520, barmode="group", legend=LEGEND,
                  updatemenus=[{"buttons": buttons, "active": models.index(shown), "x": 1.0,
                                "xanchor": "right", "y": 1.12, "yanchor": "bottom"}])
