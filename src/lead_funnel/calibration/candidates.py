"""Candidate rules tried beside the current ones, so the proposal can express what predicts.

- Fit: every value held by at least `min_contacts` training contacts of every fit attribute
  (``equals``; for employee_count the bands of EMPLOYEE_BANDS, ``between``) and frequent nulls
  (``is_null``), whether or not a current rule touches the attribute: a current rule grouping
  values (``in``, ``contains``) cannot weigh them apart, a candidate per value can.
- Behaviour: every event type and every (event type, page URL path) seen before the moment by
  at least `min_contacts` training contacts, twice: per event (no per-day cap) and "did it at
  all" (``max_per_day`` 1: at most one decayed point a day, however many events).

A candidate that states exactly a current rule is not offered; one whose feature column on the
training contacts repeats an earlier column adds nothing and is dropped (``distinct_columns``),
so the regression never splits one signal's points between twins.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import numpy as np
import pandas as pd

from lead_funnel.calibration.features import ScoredEvents, attribute_text, fit_matches
from lead_funnel.calibration.history import BehavioralRule, FitRule
from lead_funnel.contract import FIT_ATTRIBUTES

# employee_count bands offered as `between` candidates
EMPLOYEE_BANDS = ((1, 9), (10, 49), (50, 199), (200, 999), (1000, 4999), (5000, 10_000_000))
PROPOSED = "Proposed by lead-funnel calibrate: "


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:40] or "x"


def _unique_id(base: str, taken: set[str]) -> str:
    rule_id, n = base, 2
    while rule_id in taken:
        rule_id, n = f"{base}_{n}", n + 1
    taken.add(rule_id)
    return rule_id


def url_path(url: str) -> str:
    """The lower-case path of a page URL ('' for none or the bare root)."""
    try:
        path = urlsplit(url.strip().lower()).path
    except ValueError:
        return ""
    path = path.rstrip("/")
    return path if len(path) > 1 else ""


def behavioral_candidates(scored: ScoredEvents, training_rows: np.ndarray,
                          current: list[BehavioralRule], min_contacts: int,
                          taken: set[str]) -> list[BehavioralRule]:
    """Per frequent event type and (event type, page_url path): a per-event rule and a "did it
    at all" rule (max_per_day 1), each unless a current rule states it with the same cap."""
    ev = scored.events
    seen = (scored.weight > 0) & np.isin(scored.row, training_rows)
    frame = pd.DataFrame({"row": scored.row[seen], "etype": ev["etype"].to_numpy()[seen],
                          "path": [url_path(u) for u in ev["url"].to_numpy()[seen]]})
    stated = {(r.event_type.strip().lower(), (r.url_contains or "").strip().lower(),
               r.max_per_day) for r in current}
    per_type = frame.groupby("etype")["row"].nunique()
    per_path = frame[frame["path"] != ""].groupby(["etype", "path"])["row"].nunique()
    frequent = [(str(etype), "", int(n)) for etype, n in per_type.items()]
    frequent += [(str(etype), str(path), int(n)) for (etype, path), n in per_path.items()]
    found: list[BehavioralRule] = []
    for etype, path, n in frequent:
        if n < min_contacts or not etype:
            continue
        base = f"bhv_{slug(etype)}" + (f"_{slug(path)}" if path else "")
        what = f"{etype} event" + (f" on a URL containing {path}" if path else "")
        for cap in (None, 1):
            if (etype, path, cap) in stated:
                continue
            found.append(BehavioralRule(
                _unique_id(base if cap is None else f"{base}_daily", taken), etype,
                path or None, 0.0, max_per_day=cap,
                description=PROPOSED + ("each " + what if cap is None
                                        else "any " + what + " that day (did it at all)")))
    return found


def _equals_candidates(attribute: str, values: pd.Series, min_contacts: int,
                       taken: set[str]) -> list[FitRule]:
    text = attribute_text(values)
    # written as most contacts spell it (the comparison is case-insensitive anyway)
    spelled = pd.DataFrame({"text": text, "as_typed": values.map(
        lambda v: None if pd.isna(v) else str(v).strip())}).dropna()
    spelling = spelled.groupby("text")["as_typed"].agg(lambda s: s.value_counts().index[0])
    found = []
    for value, n in text.dropna().value_counts().items():
        if n >= min_contacts:
            shown = str(spelling.get(value, value))
            found.append(FitRule(_unique_id(f"fit_{attribute}_{slug(str(value))}", taken),
                                 attribute, "equals", shown, 0.0,
                                 f"{PROPOSED}{attribute} is {shown}"))
    return found


def _band_candidates(values: pd.Series, min_contacts: int, taken: set[str]) -> list[FitRule]:
    number = pd.to_numeric(attribute_text(values), errors="coerce")
    found = []
    for lo, hi in EMPLOYEE_BANDS:
        if int(((number >= lo) & (number <= hi)).sum()) >= min_contacts:
            found.append(FitRule(_unique_id(f"fit_employee_count_{lo}_{hi}", taken),
                                 "employee_count", "between", f"{lo}|{hi}", 0.0,
                                 f"{PROPOSED}{lo} to {hi} employees"))
    return found


def fit_candidates(contacts: pd.DataFrame, current: list[FitRule], min_contacts: int,
                   taken: set[str]) -> list[FitRule]:
    """Per fit attribute of these (training) contacts: each value held by at least
    `min_contacts` of them (employee_count: each such band) and a frequent null; a candidate
    that repeats a current rule word for word is left out."""
    stated = {(r.attribute, r.operator, (r.value or "").strip().lower()) for r in current}
    found: list[FitRule] = []
    for attribute in FIT_ATTRIBUTES:
        values = contacts[attribute]
        if int(attribute_text(values).isna().sum()) >= min_contacts:
            found.append(FitRule(_unique_id(f"fit_{attribute}_missing", taken), attribute,
                                 "is_null", None, 0.0, f"{PROPOSED}{attribute} is unknown"))
        if attribute == "employee_count":
            found += _band_candidates(values, min_contacts, taken)
        else:
            found += _equals_candidates(attribute, values, min_contacts, taken)
    return [r for r in found if (r.attribute, r.operator, (r.value or "").strip().lower())
            not in stated and not (r.operator == "is_null" and any(
                fit_matches(pd.Series([None]), c)[0] for c in current
                if c.attribute == r.attribute))]


def distinct_columns(x: np.ndarray, first_candidate: int) -> np.ndarray:
    """Indices of the columns to keep: every column before `first_candidate` (the current
    rules), and each later one that repeats no kept column (on these rows, e.g. the training
    part) and is not constant."""
    keep = list(range(first_candidate))
    seen = {x[:, j].tobytes() for j in keep}
    for j in range(first_candidate, x.shape[1]):
        column = x[:, j]
        key = column.tobytes()
        if key in seen or np.ptp(column) == 0:
            continue
        seen.add(key)
        keep.append(j)
    return np.asarray(keep, dtype=int)
