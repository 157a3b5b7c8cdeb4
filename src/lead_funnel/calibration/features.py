"""Outcomes, candidate rules and the features the rules see at each contact's prediction moment.

A contact's outcome is known when its whole window has passed (created_at + window <= as_of);
it is positive when it reached the target (sql_at or customer_at of lead_stages) within the
window. Its prediction moment is min(window end, target time): every feature is computed from
what happened strictly before that moment, so nothing after the outcome can leak into it.

A behavioural feature is what a rule with 1 point would add to engagement_score at the moment
(docs/funnel_rules.md §4): the rule's matched events of the moment's cycle, each earning 1
within the rule's per-day cap, decayed by 0.5 ^ (age / half-life). A fit feature is 1 when the
fit rule matches the contact's current attributes (the fit score reads no others). Points times
features, summed, is therefore exactly fit_score + engagement_score at the moment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import numpy as np
import pandas as pd

from lead_funnel.calibration.history import (
    FIT_ATTRIBUTES,
    BehavioralRule,
    CalibrationError,
    FitRule,
    History,
)

TARGETS = ("sql", "customer")
# employee_count bands offered as `between` candidates where the current rules leave a gap
EMPLOYEE_BANDS = ((1, 9), (10, 49), (50, 199), (200, 999), (1000, 4999), (5000, 10_000_000))


@dataclass(frozen=True)
class Outcomes:
    """One row per contact whose outcome is known: contact_id, created_at, label, moment
    (the prediction moment) and is_test (the newer cohorts, created at or after split_at)."""
    frame: pd.DataFrame
    split_at: pd.Timestamp
    window_end: pd.Timestamp  # contacts created after window_end - window are too recent


def outcomes(history: History, target: str, window_days: float, test_share: float) -> Outcomes:
    if target not in TARGETS:
        raise CalibrationError(f"unknown target {target!r}; allowed: {', '.join(TARGETS)}")
    if not 0 < test_share < 1:
        raise CalibrationError(f"test share must lie strictly between 0 and 1, got {test_share}")
    window = pd.Timedelta(days=window_days)
    c = history.contacts
    known = c[c["created_at"] + window <= history.as_of]
    reached = known[f"{target}_at"]
    end = known["created_at"] + window
    label = reached.notna() & (reached <= end)
    moment = end.where(~label, reached)
    frame = pd.DataFrame({"contact_id": known["contact_id"].to_numpy(),
                          "created_at": known["created_at"].to_numpy(),
                          "label": label.to_numpy(), "moment": moment.to_numpy()})
    frame = frame.sort_values(["created_at", "contact_id"], kind="stable").reset_index(drop=True)
    if len(frame) < 20:
        raise CalibrationError(
            f"only {len(frame)} contacts were created at least {window_days:g} days before "
            f"as_of {history.as_of}: too little history (shorten --window-days)")
    split_at = pd.Timestamp(frame["created_at"].quantile(1 - test_share))
    frame["is_test"] = frame["created_at"] >= split_at
    for part, rows in (("training", frame[~frame["is_test"]]), ("test", frame[frame["is_test"]])):
        if rows["label"].nunique() < 2:
            raise CalibrationError(
                f"the {part} part ({len(rows)} contacts) has no "
                f"{'positive' if not rows['label'].any() else 'negative'} outcome: nothing to "
                "learn or measure (change --window-days, --target or --test-share)")
    return Outcomes(frame, split_at, history.as_of - window)


# --------------------------------------------------------------------------------------
# Fit rules
# --------------------------------------------------------------------------------------
def attribute_text(values: pd.Series) -> pd.Series:
    """lower(trim(cast(attribute as text))), null kept (the fit macro's comparison text)."""
    def one(v: object) -> object:
        if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
            return None
        if isinstance(v, (float, np.floating)) and float(v).is_integer():
            v = int(v)
        return str(v).strip().lower()
    return values.map(one)


def fit_matches(values: pd.Series, rule: FitRule) -> np.ndarray:
    """Does `rule` match each attribute value? As macro fit_rule_matches: text trimmed and
    case-insensitive, a null matches only is_null, an unknown operator matches nothing."""
    text = attribute_text(values)
    present = text.notna().to_numpy()
    value = (rule.value or "").strip().lower()
    if rule.operator == "is_null":
        return ~present
    if rule.operator == "equals":
        hit = text == value
    elif rule.operator == "in":
        listed = {part.strip(" ") for part in value.split("|")}
        hit = text.isin(listed)
    elif rule.operator == "contains":
        hit = text.map(lambda t: t is not None and value in t)
    elif rule.operator == "between":
        number = pd.to_numeric(text, errors="coerce")
        lo, _, hi = (rule.value or "").partition("|")
        low, high = pd.to_numeric(pd.Series([lo, hi]), errors="coerce")
        hit = (number >= low) & (number <= high)
    else:
        return np.zeros(len(values), dtype=bool)
    return np.asarray(hit.fillna(False), dtype=bool) & present


def fit_feature_matrix(contacts: pd.DataFrame, rules: list[FitRule]) -> np.ndarray:
    matrix = np.zeros((len(contacts), len(rules)))
    for j, rule in enumerate(rules):
        if rule.attribute in contacts.columns:
            matrix[:, j] = fit_matches(contacts[rule.attribute], rule)
    return matrix


# --------------------------------------------------------------------------------------
# Behavioural rules
# --------------------------------------------------------------------------------------
def cycle_numbers(contact_ids: pd.Series, times: pd.Series, rejections: pd.DataFrame
                  ) -> np.ndarray:
    """1 + the number of the contact's sales_rejected activities strictly before each time
    (macro assign_cycle_numbers)."""
    rows = pd.DataFrame({"c": contact_ids.to_numpy(), "t": times.to_numpy(), "rej": 0,
                         "pos": np.arange(len(contact_ids))})
    rej = pd.DataFrame({"c": rejections["contact_id"].to_numpy(),
                        "t": rejections["occurred_at"].to_numpy(), "rej": 1, "pos": -1})
    timeline = pd.concat([rows, rej], ignore_index=True)
    # at one instant the row sorts before the rejections, so only earlier ones are counted
    timeline = timeline.sort_values(["c", "t", "rej"], kind="stable")
    timeline["n"] = timeline.groupby("c", sort=False)["rej"].cumsum()
    counted = timeline[timeline["rej"] == 0]
    out = np.zeros(len(contact_ids), dtype=np.int64)
    out[counted["pos"].to_numpy()] = 1 + counted["n"].to_numpy()
    return out


@dataclass(frozen=True)
class ScoredEvents:
    """The events of the contacts being scored, sorted by contact, occurred_at, event_id, with
    the row of their contact, their cycle, whether they happened strictly before the contact's
    moment, their decay weight at that moment (0 when not before it or in an earlier cycle)
    and their normalised type, URL and UTC day."""
    events: pd.DataFrame
    row: np.ndarray
    cycle: np.ndarray
    before: np.ndarray
    weight: np.ndarray
    half_life_days: float | None


def scored_events(history: History, moments: pd.DataFrame, half_life_days: float | None
                  ) -> ScoredEvents:
    ev = history.events[history.events["contact_id"].isin(moments["contact_id"])]
    ev = ev.sort_values(["contact_id", "occurred_at", "event_id"], kind="stable")
    ev = ev.reset_index(drop=True)
    ev["etype"] = ev["event_type"].fillna("").astype(str).str.strip().str.lower()
    ev["url"] = ev["page_url"].fillna("").astype(str).str.strip().str.lower()
    ev["day"] = ev["occurred_at"].dt.floor("D")
    row_of = pd.Series(np.arange(len(moments)), index=moments["contact_id"].to_numpy())
    row = row_of.loc[ev["contact_id"].to_numpy()].to_numpy()
    moment = moments["moment"].to_numpy()[row]
    cycle_at_moment = cycle_numbers(moments["contact_id"], moments["moment"],
                                    history.rejections)[row]
    cycle = cycle_numbers(ev["contact_id"], ev["occurred_at"], history.rejections)
    occurred = ev["occurred_at"].to_numpy()
    age_days = (moment - occurred) / np.timedelta64(1, "s") / 86400.0
    before = occurred < moment
    weight = (np.ones(len(ev)) if half_life_days is None
              else np.power(0.5, np.maximum(age_days, 0.0) / half_life_days))
    return ScoredEvents(ev, row, cycle, before,
                        np.where(before & (cycle == cycle_at_moment), weight, 0.0),
                        half_life_days)


def rule_event_mask(events: pd.DataFrame, rule: BehavioralRule) -> np.ndarray:
    """Macro behavioral_rule_matches: type equal, url_contains blank or contained in page_url."""
    hit = events["etype"] == rule.event_type.strip().lower()
    needle = (rule.url_contains or "").strip().lower()
    if needle:
        hit &= events["url"].str.contains(needle, regex=False)
    return np.asarray(hit, dtype=bool)


@dataclass(frozen=True)
class RuleMatches:
    """Per behavioural rule: the indices (into ScoredEvents.events) of its matched events and
    of those that earn points under its per-day cap (the first max_per_day per contact, rule
    and UTC day, by occurred_at then event_id)."""
    matched: list[np.ndarray]
    earned: list[np.ndarray]


def match_rules(scored: ScoredEvents, rules: list[BehavioralRule]) -> RuleMatches:
    ev = scored.events
    matched, earned = [], []
    for rule in rules:
        idx = np.flatnonzero(rule_event_mask(ev, rule))
        matched.append(idx)
        if rule.max_per_day is not None and len(idx):
            rank = ev.iloc[idx].groupby(["contact_id", "day"], sort=False).cumcount()
            idx = idx[rank.to_numpy() < rule.max_per_day]
        earned.append(idx)
    return RuleMatches(matched, earned)


def behavioral_feature_matrix(scored: ScoredEvents, matches: RuleMatches, n_contacts: int
                              ) -> np.ndarray:
    """Per contact and rule: the decayed number of point-earning matched events of the
    moment's cycle, before the moment."""
    matrix = np.zeros((n_contacts, len(matches.earned)))
    for j, idx in enumerate(matches.earned):
        matrix[:, j] = np.bincount(scored.row[idx], weights=scored.weight[idx],
                                   minlength=n_contacts)
    return matrix


def running_scores(scored: ScoredEvents, matches: RuleMatches, points: np.ndarray
                   ) -> np.ndarray:
    """The decayed running score of every event's own cycle at its instant (all events at one
    instant count), for behavioural points `points` (one per rule): engagement_score(t)."""
    n = len(scored.events)
    earned = np.zeros(n)
    for idx, p in zip(matches.earned, points):
        if p:
            earned += p * np.bincount(idx, minlength=n)
    t = scored.events["occurred_at"].to_numpy()
    group = np.concatenate([[True], (scored.row[1:] != scored.row[:-1])
                            | (scored.cycle[1:] != scored.cycle[:-1])]) if n else np.zeros(0, bool)
    group_id = np.cumsum(group) - 1
    if scored.half_life_days is None:
        running = pd.Series(earned).groupby(group_id).cumsum().to_numpy()
    else:
        start = t[group][group_id]
        halvings = (t - start) / np.timedelta64(1, "s") / 86400.0 / scored.half_life_days
        if n and halvings.max() > 900:  # 2 ** 900 stays finite; beyond, step event by event
            running = _running_by_steps(earned, halvings, group)
        else:
            grow = np.power(2.0, halvings)
            running = pd.Series(earned * grow).groupby(group_id).cumsum().to_numpy() / grow
    # ties: every event at one instant sees the score after all of them
    instant = pd.Series(running).groupby([group_id, t]).transform("last")
    return instant.to_numpy()


def _running_by_steps(earned: np.ndarray, halvings: np.ndarray, group: np.ndarray
                      ) -> np.ndarray:
    out = np.zeros(len(earned))
    total = 0.0
    for i in range(len(earned)):
        total = earned[i] if group[i] else total * 0.5 ** (halvings[i] - halvings[i - 1]) + earned[i]
        out[i] = total
    return out


def mql_peaks(scored: ScoredEvents, matches: RuleMatches, points: np.ndarray,
              fit_score: np.ndarray, n_contacts: int) -> np.ndarray:
    """Per contact: the highest fit + running score at a matched event before its moment (the
    instants the MQL moment is looked for at); -inf without one."""
    score = fit_score[scored.row] + running_scores(scored, matches, points)
    eligible = np.zeros(len(score), dtype=bool)
    for idx in matches.matched:
        eligible[idx] = True
    eligible &= scored.before
    peak = np.full(n_contacts, -np.inf)
    np.maximum.at(peak, scored.row[eligible], score[eligible])
    return peak


def matched_before(scored: ScoredEvents, matches: RuleMatches, which: list[bool],
                   n_contacts: int) -> np.ndarray:
    """Per contact: has an event matching one of the rules flagged in `which` before its
    moment (e.g. a hand-raiser)."""
    hit = np.zeros(n_contacts, dtype=bool)
    for idx, flagged in zip(matches.matched, which):
        if flagged:
            idx = idx[scored.before[idx]]
            hit[scored.row[idx]] = True
    return hit


# --------------------------------------------------------------------------------------
# Candidate rules: the frequent behaviour and attributes the current rules do not describe
# --------------------------------------------------------------------------------------
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
    """Every event_type, and every (event_type, page_url path), seen before the moment by at
    least `min_contacts` training contacts, that no current rule already states."""
    ev = scored.events
    seen = (scored.weight > 0) & np.isin(scored.row, training_rows)
    frame = pd.DataFrame({"row": scored.row[seen], "etype": ev["etype"].to_numpy()[seen],
                          "path": [url_path(u) for u in ev["url"].to_numpy()[seen]]})
    stated = {(r.event_type.strip().lower(), (r.url_contains or "").strip().lower())
              for r in current}
    found: list[BehavioralRule] = []
    per_type = frame.groupby("etype")["row"].nunique()
    per_path = frame[frame["path"] != ""].groupby(["etype", "path"])["row"].nunique()
    for etype, n in per_type.items():
        if n >= min_contacts and etype and (etype, "") not in stated:
            found.append(BehavioralRule(
                _unique_id(f"bhv_{slug(str(etype))}", taken), str(etype), None, 0.0,
                description=f"Proposed by lead-funnel calibrate: any {etype} event"))
    for (etype, path), n in per_path.items():
        if n >= min_contacts and etype and (etype, path) not in stated:
            found.append(BehavioralRule(
                _unique_id(f"bhv_{slug(str(etype))}_{slug(str(path))}", taken), str(etype),
                str(path), 0.0,
                description=f"Proposed by lead-funnel calibrate: {etype} on a URL containing "
                            f"{path}"))
    return found


def fit_candidates(contacts: pd.DataFrame, current: list[FitRule], min_contacts: int,
                   taken: set[str]) -> list[FitRule]:
    """Per fit attribute: every value (and null) held by at least `min_contacts` of these
    (training) contacts that no current rule on the attribute matches; for employee_count the
    bands of EMPLOYEE_BANDS that the current rules mostly leave out."""
    found: list[FitRule] = []
    for attribute in FIT_ATTRIBUTES:
        rules = [r for r in current if r.attribute == attribute]
        values = contacts[attribute]
        text = attribute_text(values)
        if text.isna().sum() >= min_contacts and not any(
                fit_matches(pd.Series([None]), r)[0] for r in rules):
            found.append(FitRule(_unique_id(f"fit_{attribute}_missing", taken), attribute,
                                 "is_null", None, 0.0,
                                 f"Proposed by lead-funnel calibrate: {attribute} is unknown"))
        if attribute == "employee_count":
            number = pd.to_numeric(text, errors="coerce")
            for lo, hi in EMPLOYEE_BANDS:
                in_band = values[(number >= lo) & (number <= hi)]
                if len(in_band) < min_contacts:
                    continue
                covered = np.zeros(len(in_band), dtype=bool)
                for r in rules:
                    covered |= fit_matches(in_band, r)
                if covered.mean() <= 0.5:
                    found.append(FitRule(
                        _unique_id(f"fit_employee_count_{lo}_{hi}", taken), attribute,
                        "between", f"{lo}|{hi}", 0.0,
                        f"Proposed by lead-funnel calibrate: {lo} to {hi} employees"))
            continue
        # written as most contacts spell it (the comparison is case-insensitive anyway)
        spelled = pd.DataFrame({"text": text, "as_typed": values.map(
            lambda v: None if pd.isna(v) else str(v).strip())}).dropna()
        spelling = spelled.groupby("text")["as_typed"].agg(lambda s: s.value_counts().index[0])
        counts = text.dropna().value_counts()
        for value, n in counts.items():
            probe = pd.Series([value])
            if n < min_contacts or any(fit_matches(probe, r)[0] for r in rules):
                continue
            shown = str(spelling.get(value, value))
            found.append(FitRule(_unique_id(f"fit_{attribute}_{slug(str(value))}", taken),
                                 attribute, "equals", shown, 0.0,
                                 f"Proposed by lead-funnel calibrate: {attribute} is {shown}"))
    return found
