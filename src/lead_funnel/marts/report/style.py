"""The look of `lead-funnel report`: plotly access, the common layout, colours and number formats,
shared by the funnel charts (charts.py) and the account and campaign charts (account_charts.py)."""

from __future__ import annotations

import importlib
from typing import Any, Final, Mapping

COLOURS = ("#2b59c3", "#3f8efc", "#58b4ae", "#7ac74f", "#e3b505", "#d1495b")
LEGEND: Final[Mapping[str, Any]] = {"orientation": "h", "y": 1.01, "yanchor": "bottom", "x": 0, "xanchor": "left"}


def fmt_int(value: int) -> str:
    return f"{value:,}"


def fmt_pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def plural(n: int, word: str) -> str:
    return f"{fmt_int(n)} {word}{'' if n == 1 else 's'}"


def go() -> Any:
    return importlib.import_module("plotly.graph_objects")


def layout(fig: Any, title: str, height: int = 380, **extra: Any) -> Any:
    fig.update_layout(title={"text": title, "x": 0.01, "y": 0.97, "yanchor": "top",
                             "font": {"size": 15}}, height=height,
                      margin={"l": 60, "r": 30, "t": 90, "b": 50}, template="plotly_white",
                      font={"family": "Helvetica, Arial, sans-serif", "size": 12},
                      separators=".,", **extra)
    return fig


def empty(fig: Any, text: str) -> Any:
    fig.add_annotation(text=text, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper",
                       font={"size": 14, "color": "#777"})
    return fig
