"""The features the rules see at each contact's prediction moment (its horizon, see
:mod:`lead_funnel.calibration.outcomes`).

A behavioural feature is what a rule with 1 point would add to engagement_score at the moment
(docs/funnel_rules.md §4): the rule's matched events of the moment's cycle that happened
strictly before it, each earning 1 within the rule's per-day cap, decayed by
0.5 ^ (age / half-life). A fit feature is 1 when the fit rule matches the contact's current
attributes (the fit score reads no others). Points times features, summed, is therefore exactly
fit_score + engagement_score at the moment (a build at as_of = the moment counts an event at
that very instant too; calibration does not).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from lead_funnel.calibration.history import BehavioralRule, FitRule, History


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


