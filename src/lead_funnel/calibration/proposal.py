"""Fit, round and judge a proposal for the scoring-rule seeds (``lead-funnel calibrate``).

From a built DuckDB file: the contacts whose outcome is known, each observed at its horizon
(:mod:`lead_funnel.calibration.outcomes`), the features every rule sees there
(:mod:`lead_funnel.calibration.features`), candidate rules
(:mod:`lead_funnel.calibration.candidates`), an L1-regularised logistic regression fitted on
the older cohorts (regularisation chosen by cross-validation on them only), its coefficients
rounded to integer points in the seeds' own format and the MQL threshold that keeps the current
rules' MQL volume. The newer cohorts judge it: the verdict is "adopt" only with at least
MIN_POSITIVES positive contacts and a held-out AUC above the current rules'.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from lead_funnel.calibration.candidates import (
    behavioral_candidates,
    distinct_columns,
    fit_candidates,
)
from lead_funnel.calibration.features import (
    RuleMatches,
    ScoredEvents,
    behavioral_feature_matrix,
    fit_feature_matrix,
    match_rules,
    matched_before,
    mql_peaks,
    scored_events,
)
from lead_funnel.calibration.history import BehavioralRule, FitRule, History, load_history
from lead_funnel.calibration.model import (
    SCORE_TOLERANCE,
    IntegerPoints,
    LogisticFit,
    Ranking,
    auc,
    bootstrap_beat_share,
    fit_logistic,
    integer_points,
    mql_mask,
    ranking,
    threshold_for_volume,
)
from lead_funnel.calibration.outcomes import Outcomes, outcomes

MIN_POSITIVES = 100  # fewer positive contacts (kept, training and test): keep the current rules
MIN_BEAT_SHARE = 0.95  # the proposal must rank better in this share of bootstrap resamples
BOOTSTRAP_ROUNDS = 500


@dataclass(frozen=True)
class CalibrationConfig:
    target: str = "sql"                 # sql | customer
    window_days: float = 180.0          # the target must be reached this soon after creation
    horizon_days: float = 7.0           # every contact is observed this long after creation
    test_share: float = 0.3             # newest share of the contacts held out
    half_life_days: float | None = 30.0  # var score_half_life_days (None = no decay)
    mql_threshold: float = 100.0        # the current rules' var mql_threshold
    hand_raiser_min_fit: float = 0.0    # var hand_raiser_min_fit
    pql_threshold: float | None = 60.0  # var pql_threshold (None = no PQL path)
    pql_min_fit: float = 0.0            # var pql_min_fit
    mql_share: float | None = None      # MQL volume to aim at (share); None = the current one
    min_support: float = 0.01           # a candidate needs this share of training contacts ...
    min_contacts: int = 20              # ... and at least this many
    folds: int = 5
    seed: int = 0


@dataclass(frozen=True)
class RuleChange:
    kind: str           # fit | behavioral
    rule_id: str
    definition: str
    before: float | None  # None: a new candidate rule
    after: float


@dataclass(frozen=True)
class Verdict:
    adopt: bool
    reason: str


def verdict(positives: int, current: Ranking, proposed: Ranking, has_points: bool = True,
            beat_share: float = 1.0) -> Verdict:
    """Adopt only with at least MIN_POSITIVES positives, a rule with points, and a held-out
    AUC above the current rules' in at least MIN_BEAT_SHARE of paired bootstrap resamples of
    the held-out contacts (`beat_share`): a tie, or a lead within the noise, is no reason to
    change the seeds."""
    if positives < MIN_POSITIVES:
        return Verdict(False, f"only {positives:,} of the contacts observed reached the target "
                              f"(at least {MIN_POSITIVES} are needed to trust a proposal)")
    if not has_points:
        return Verdict(False, "the proposal gives every rule 0 points: nothing the rules see "
                              "at the horizon predicts the outcome better than chance")
    figures = (f"AUC {proposed.auc:.3f} against {current.auc:.3f}; higher in "
               f"{100 * beat_share:.0f}% of {BOOTSTRAP_ROUNDS} bootstrap resamples")
    if proposed.auc <= current.auc or beat_share < MIN_BEAT_SHARE:
        return Verdict(False, "the proposal does not beat the current rules on the held-out "
                              f"contacts ({figures}, {100 * MIN_BEAT_SHARE:.0f}% needed)")
    return Verdict(True, f"the proposal ranks the held-out contacts better ({figures}) with "
                         f"{positives:,} positive contacts")


@dataclass
class Calibration:
    config: CalibrationConfig
    as_of: pd.Timestamp
    outcomes: Outcomes
    fit_rules: list[FitRule]
    behavioral_rules: list[BehavioralRule]
    regression: LogisticFit
    points: IntegerPoints
    threshold: int
    training_mql_target: int
    current: Ranking
    calibrated: Ranking
    regression_test_auc: float
    changes: list[RuleChange]
    candidates_tried: int
    verdict: Verdict
    # per contact kept: contact_id, observed_at (its horizon), is_test, label, and the
    # fit + engagement score of the current and of the proposed rules there
    scores: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    @property
    def train_contacts(self) -> int:
        return int((~self.outcomes.frame["is_test"]).sum())

    @property
    def test_contacts(self) -> int:
        return int(self.outcomes.frame["is_test"].sum())

    @property
    def positives(self) -> int:
        return int(self.outcomes.frame["label"].sum())


def _definition(rule: FitRule | BehavioralRule) -> str:
    if isinstance(rule, FitRule):
        return (f"{rule.attribute} is_null" if rule.operator == "is_null"
                else f"{rule.attribute} {rule.operator} {rule.value}")
    text = rule.event_type + (f" url_contains {rule.url_contains}" if rule.url_contains else "")
    if rule.max_per_day is not None:
        text += f", max {rule.max_per_day}/day"
    if rule.is_hand_raiser:
        text += ", hand-raiser"
    if rule.is_product_usage:
        text += ", product usage"
    return text


@dataclass(frozen=True)
class _Features:
    """Every rule kept (current ones first) and its feature column at the horizon."""
    fit_rules: list[FitRule]
    bhv_rules: list[BehavioralRule]
    fit_x: np.ndarray
    x: np.ndarray
    matches: RuleMatches
    tried: int


def _features(history: History, contacts: pd.DataFrame, scored: ScoredEvents, train: np.ndarray,
              config: CalibrationConfig) -> _Features:
    n = len(contacts)
    min_contacts = max(config.min_contacts, math.ceil(config.min_support * int(train.sum())))
    taken = {r.rule_id for r in history.fit_rules} | {r.rule_id for r in history.behavioral_rules}
    new_fit = fit_candidates(contacts[train], history.fit_rules, min_contacts, taken)
    new_bhv = behavioral_candidates(scored, np.flatnonzero(train), history.behavioral_rules,
                                    min_contacts, taken)
    fit_rules = [*history.fit_rules, *new_fit]
    fit_x = fit_feature_matrix(contacts, fit_rules)
    keep_fit = distinct_columns(fit_x[train], len(history.fit_rules))
    bhv_rules = [*history.behavioral_rules, *new_bhv]
    matches = match_rules(scored, bhv_rules)
    bhv_x = behavioral_feature_matrix(scored, matches, n)
    keep_bhv = distinct_columns(bhv_x[train], len(history.behavioral_rules))
    return _Features([fit_rules[j] for j in keep_fit], [bhv_rules[j] for j in keep_bhv],
                     fit_x[:, keep_fit], np.hstack([fit_x[:, keep_fit], bhv_x[:, keep_bhv]]),
                     RuleMatches([matches.matched[j] for j in keep_bhv],
                                 [matches.earned[j] for j in keep_bhv]),
                     len(new_fit) + len(new_bhv))


def calibrate(history: History, config: CalibrationConfig = CalibrationConfig()) -> Calibration:
    """Fit, round and evaluate, every contact observed at its horizon; nothing is written."""
    return calibrate_at(history, outcomes(history, config.target, config.window_days,
                                          config.test_share, config.horizon_days), config)


def calibrate_at(history: History, known: Outcomes, config: CalibrationConfig) -> Calibration:
    """Fit, round and evaluate with the contacts, labels, moments and split of `known` (the
    horizon's, from `calibrate`; a test passes the old outcome-dependent moments to show what
    they gave)."""
    frame = known.frame
    n = len(frame)
    train = ~frame["is_test"].to_numpy()
    test = ~train
    y = frame["label"].to_numpy().astype(int)
    contacts = history.contacts.set_index("contact_id").loc[frame["contact_id"]].reset_index()
    scored = scored_events(history, frame, config.half_life_days)
    feats = _features(history, contacts, scored, train, config)
    fit_rules, bhv_rules, x, matches = feats.fit_rules, feats.bhv_rules, feats.x, feats.matches
    n_fit, n_current_fit = len(fit_rules), len(history.fit_rules)
    n_current_bhv = len(history.behavioral_rules)

    # The current rules' score at the horizon: fit + engagement, i.e. lead_stages'
    # fit_score + engagement_score at that instant (product-usage points count in
    # product_score, not in it).
    cur_fit = np.zeros(n_fit)
    cur_fit[:n_current_fit] = [r.points for r in history.fit_rules]
    cur_bhv = np.zeros(len(bhv_rules))
    cur_product = np.zeros(len(bhv_rules))
    for j, rule in enumerate(history.behavioral_rules):
        (cur_product if rule.is_product_usage else cur_bhv)[j] = rule.points
    current_score = x @ np.concatenate([cur_fit, cur_bhv])

    regression = fit_logistic(x[train], y[train], config.folds, config.seed)
    points = integer_points(regression.coefficients, x[train], y[train])
    calibrated_score = x @ points.points
    new_fit_pts, new_bhv_pts = points.points[:n_fit], points.points[n_fit:]

    # MQLs as the models find them: at a matched event before the horizon, fit + engagement
    # reached the threshold, or a hand-raiser (fit permitting), or (current rules) a PQL.
    current_set = [j < n_current_bhv for j in range(len(bhv_rules))]
    calibrated_set = [j < n_current_bhv or new_bhv_pts[j] != 0 for j in range(len(bhv_rules))]
    hand = [j < n_current_bhv and r.is_hand_raiser for j, r in enumerate(bhv_rules)]

    def restricted(which: list[bool]) -> RuleMatches:
        return RuleMatches([m if w else m[:0] for m, w in zip(matches.matched, which)],
                           [e if w else e[:0] for e, w in zip(matches.earned, which)])

    cur_matches, cal_matches = restricted(current_set), restricted(calibrated_set)
    cur_fit_score, cal_fit_score = feats.fit_x @ cur_fit, feats.fit_x @ new_fit_pts
    cur_always = matched_before(scored, cur_matches, hand, n) & (
        cur_fit_score >= config.hand_raiser_min_fit - SCORE_TOLERANCE)
    if config.pql_threshold is not None and any(cur_product):
        product_peak = mql_peaks(scored, cur_matches, cur_product, np.zeros(n), n)
        cur_always |= mql_mask(product_peak, config.pql_threshold) & (
            cur_fit_score >= config.pql_min_fit - SCORE_TOLERANCE)
    cur_peak = mql_peaks(scored, cur_matches, cur_bhv, cur_fit_score, n)
    current_mql = cur_always | mql_mask(cur_peak, config.mql_threshold)
    cal_always = matched_before(scored, cal_matches, hand, n) & (
        cal_fit_score >= config.hand_raiser_min_fit - SCORE_TOLERANCE)
    cal_peak = mql_peaks(scored, cal_matches, new_bhv_pts, cal_fit_score, n)

    if config.mql_share is None:
        volume = int(current_mql[train].sum())
    else:
        volume = int(round(config.mql_share * int(train.sum())))
    threshold = threshold_for_volume(cal_peak[train], cal_always[train], volume)
    calibrated_mql = cal_always | mql_mask(cal_peak, threshold)

    changes: list[RuleChange] = []
    proposed_fit: list[FitRule] = []
    proposed_bhv: list[BehavioralRule] = []
    for j, frule in enumerate(fit_rules):
        after = float(new_fit_pts[j]) + 0.0  # no -0
        if j < n_current_fit or after != 0:
            proposed_fit.append(replace(frule, points=after))
            changes.append(RuleChange("fit", frule.rule_id, _definition(frule),
                                      frule.points if j < n_current_fit else None, after))
    for j, brule in enumerate(bhv_rules):
        after = float(new_bhv_pts[j]) + 0.0
        if calibrated_set[j]:
            # one calibrated score: product-usage points count in it, as engagement
            proposed_bhv.append(replace(brule, points=after, is_product_usage=False))
            changes.append(RuleChange("behavioral", brule.rule_id, _definition(brule),
                                      brule.points if j < n_current_bhv else None, after))
    notes = []
    if any(r.is_product_usage for r in history.behavioral_rules):
        notes.append("The proposal counts the product-usage rules' points in the calibrated "
                     "score (is_product_usage false), so the MQL threshold applies to the one "
                     "fitted score; mark rules is_product_usage again (and set pql_threshold) "
                     "to keep a separate PQL path. The current rules' product_score is not "
                     "part of their ranking score (as in lead_stages.total_score), but their "
                     "PQLs count as MQLs.")
    notes.append("MQLs are counted as the models find them, at matched events before the "
                 "horizon (disqualifications are not simulated); the ranking score is fit + "
                 "engagement at the horizon. Fit rules read the contact's latest attributes, "
                 "as the fit score does, even when they changed after the horizon.")
    current = ranking(current_score[test], y[test], config.mql_threshold, current_mql[test])
    calibrated = ranking(calibrated_score[test], y[test], threshold, calibrated_mql[test])
    beat_share = bootstrap_beat_share(y[test], calibrated_score[test], current_score[test],
                                      BOOTSTRAP_ROUNDS, config.seed)
    scores = pd.DataFrame({"contact_id": frame["contact_id"], "observed_at": frame["moment"],
                           "is_test": frame["is_test"], "label": frame["label"],
                           "current_score": current_score, "proposed_score": calibrated_score})
    return Calibration(
        config, history.as_of, known, proposed_fit, proposed_bhv, regression, points, threshold,
        volume, current, calibrated, auc(y[test], x[test] @ regression.coefficients), changes,
        feats.tried, verdict(int(y.sum()), current, calibrated, bool(np.any(points.points)),
                            beat_share), scores, notes)


def calibrate_database(database: str | Path,
                       config: CalibrationConfig = CalibrationConfig()) -> Calibration:
    return calibrate(load_history(database), config)
