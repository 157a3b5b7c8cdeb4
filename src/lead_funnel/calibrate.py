"""``lead-funnel calibrate``: propose scoring-rule seeds calibrated on the warehouse's history.

From a built DuckDB file: contacts whose outcome is known (reached the target, SQL or customer,
within a window after creation, or not), the features every rule sees at the prediction moment
(:mod:`lead_funnel.calibration.features`), candidate rules for the frequent behaviour and
attributes the current rules do not describe, an L1-regularised logistic regression fitted on
the older cohorts (regularisation chosen by cross-validation on them only), its coefficients
rounded to integer points in the seeds' own format and the MQL threshold that keeps the current
rules' MQL volume. The proposal (two seed CSVs), a markdown report comparing current and
calibrated rules on the newer cohorts, and calibration.json are written to a directory of their
own: the live seeds are never touched.
"""

from __future__ import annotations

import importlib
import json
import math
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lead_funnel.calibration.features import (
    Outcomes,
    RuleMatches,
    behavioral_candidates,
    behavioral_feature_matrix,
    fit_candidates,
    fit_feature_matrix,
    match_rules,
    matched_before,
    mql_peaks,
    outcomes,
    scored_events,
)
from lead_funnel.calibration.history import (
    BehavioralRule,
    CalibrationError,
    FitRule,
    History,
    load_history,
    write_behavioral_rules,
    write_fit_rules,
)
from lead_funnel.calibration.model import (
    SCORE_TOLERANCE,
    IntegerPoints,
    LogisticFit,
    Ranking,
    auc,
    fit_logistic,
    integer_points,
    mql_mask,
    ranking,
    threshold_for_volume,
)

__all__ = ["CalibrationConfig", "CalibrationError", "Calibration", "calibrate",
           "calibrate_database", "write_proposal", "DEFAULT_OUT"]

DEFAULT_OUT = "target/calibration"
FIT_FILE = "fit_scoring_rules.csv"
BEHAVIORAL_FILE = "behavioral_scoring_rules.csv"
REPORT_FILE = "calibration_report.md"
JSON_FILE = "calibration.json"


@dataclass(frozen=True)
class CalibrationConfig:
    target: str = "sql"                 # sql | customer
    window_days: float = 180.0          # the target must be reached this soon after creation
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
    notes: list[str] = field(default_factory=list)

    @property
    def train_contacts(self) -> int:
        return int((~self.outcomes.frame["is_test"]).sum())

    @property
    def test_contacts(self) -> int:
        return int(self.outcomes.frame["is_test"].sum())


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


def calibrate(history: History, config: CalibrationConfig = CalibrationConfig()) -> Calibration:
    """Fit, round and evaluate; nothing is written."""
    known = outcomes(history, config.target, config.window_days, config.test_share)
    frame = known.frame
    n = len(frame)
    train = ~frame["is_test"].to_numpy()
    test = ~train
    y = frame["label"].to_numpy().astype(int)
    contacts = history.contacts.set_index("contact_id").loc[frame["contact_id"]].reset_index()
    scored = scored_events(history, frame, config.half_life_days)

    min_contacts = max(config.min_contacts, math.ceil(config.min_support * int(train.sum())))
    taken = {r.rule_id for r in history.fit_rules} | {r.rule_id for r in history.behavioral_rules}
    new_fit = fit_candidates(contacts[train], history.fit_rules, min_contacts, taken)
    new_bhv = behavioral_candidates(scored, np.flatnonzero(train), history.behavioral_rules,
                                    min_contacts, taken)
    fit_rules = [*history.fit_rules, *new_fit]
    bhv_rules = [*history.behavioral_rules, *new_bhv]
    n_fit, n_current_fit, n_current_bhv = len(fit_rules), len(history.fit_rules), len(
        history.behavioral_rules)
    fit_x = fit_feature_matrix(contacts, fit_rules)
    matches = match_rules(scored, bhv_rules)
    x = np.hstack([fit_x, behavioral_feature_matrix(scored, matches, n)])

    # The current rules' score at the moment: fit + engagement, i.e. lead_stages.total_score
    # at that instant (product-usage points count in product_score, not in it).
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

    # MQLs as the models find them: at a matched event before the moment, fit + engagement
    # reached the threshold, or a hand-raiser (fit permitting), or (current rules) a PQL.
    current_set = [j < n_current_bhv for j in range(len(bhv_rules))]
    calibrated_set = [j < n_current_bhv or new_bhv_pts[j] != 0 for j in range(len(bhv_rules))]
    hand = [j < n_current_bhv and r.is_hand_raiser for j, r in enumerate(bhv_rules)]

    def restricted(which: list[bool]) -> RuleMatches:
        return RuleMatches([m if w else m[:0] for m, w in zip(matches.matched, which)],
                           [e if w else e[:0] for e, w in zip(matches.earned, which)])

    cur_matches, cal_matches = restricted(current_set), restricted(calibrated_set)
    cur_fit_score, cal_fit_score = fit_x @ cur_fit, fit_x @ new_fit_pts
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
                 "prediction moment (disqualifications are not simulated); the ranking score "
                 "is fit + engagement at the moment.")
    return Calibration(
        config, history.as_of, known, proposed_fit, proposed_bhv, regression, points, threshold,
        volume, ranking(current_score[test], y[test], config.mql_threshold, current_mql[test]),
        ranking(calibrated_score[test], y[test], threshold, calibrated_mql[test]),
        auc(y[test], x[test] @ regression.coefficients), changes,
        len(new_fit) + len(new_bhv), notes)


def calibrate_database(database: str | Path,
                       config: CalibrationConfig = CalibrationConfig()) -> Calibration:
    return calibrate(load_history(database), config)


# --------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------
def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


def _pts(value: float | None) -> str:
    if value is None:
        return "new"
    return f"{value:g}"


def comparison_table(result: Calibration) -> str:
    cur, cal = result.current, result.calibrated
    rows = [
        ("AUC", f"{cur.auc:.3f}", f"{cal.auc:.3f}"),
        ("top-decile conversion", _pct(cur.top_decile), _pct(cal.top_decile)),
        ("top-quintile conversion", _pct(cur.top_quintile), _pct(cal.top_quintile)),
        ("MQL threshold", f"{cur.threshold:g}", f"{cal.threshold:g}"),
        ("MQL volume", f"{cur.mqls:,} ({_pct(cur.mql_share)})",
         f"{cal.mqls:,} ({_pct(cal.mql_share)})"),
        ("MQL-to-target conversion", _pct(cur.mql_conversion), _pct(cal.mql_conversion)),
    ]
    lines = ["| held-out test | current rules | calibrated rules |", "|---|---:|---:|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return "\n".join(lines)


def render_report(result: Calibration, database: str = "") -> str:
    c = result.config
    frame = result.outcomes.frame
    train, test = frame[~frame["is_test"]], frame[frame["is_test"]]
    target = "SQL" if c.target == "sql" else "customer"
    decay = "no decay" if c.half_life_days is None else f"half-life {c.half_life_days:g} days"
    volume = ("the current rules' MQL volume on the training part" if c.mql_share is None
              else f"an MQL volume of {_pct(c.mql_share)}")
    lines = [
        "# Scoring-rule calibration",
        "",
        f"Proposed by `lead-funnel calibrate` from {database or 'the warehouse'} "
        f"(as_of {result.as_of}). Review it, then copy the two CSVs to `seeds/` and set "
        f"`mql_threshold: {result.threshold}` (dbt_project.yml vars) to adopt it.",
        "",
        f"- Outcome: reached {target} within {c.window_days:g} days of creation. Contacts "
        f"created by {result.outcomes.window_end:%Y-%m-%d} (the window has passed): "
        f"{len(frame):,}, of which {int(frame['label'].sum()):,} positive.",
        f"- Features: what the rules see strictly before min(window end, the {target} moment): "
        f"fit rules on the contact's attributes, behavioural rules as decayed point-earning "
        f"events of the moment's cycle ({decay}, per-day caps). "
        f"{len(result.changes)} rules in the proposal; {result.candidates_tried} candidate "
        "rules were tried beside the current ones.",
        f"- Time split: trained on {len(train):,} contacts created before "
        f"{result.outcomes.split_at:%Y-%m-%d} ({_pct(train['label'].mean())} positive), "
        f"tested on the {len(test):,} created since ({_pct(test['label'].mean())} positive).",
        f"- Model: L1-regularised logistic regression (scikit-learn, liblinear); C = "
        f"{result.regression.c:.3g} chosen by {result.regression.folds}-fold cross-validated AUC "
        f"on the training part only (CV AUC {result.regression.cv_auc:.3f}).",
        f"- Points: {result.points.scale:.3g} points per unit of log-odds (largest rule "
        f"{result.points.max_points} points), rounded to integers: test AUC "
        f"{result.calibrated.auc:.3f} against {result.regression_test_auc:.3f} for the "
        f"regression itself (difference "
        f"{result.calibrated.auc - result.regression_test_auc:+.3f}).",
        f"- MQL threshold {result.threshold}: the integer whose MQL count on the training part "
        f"is closest to {volume} ({result.training_mql_target:,}).",
        "",
        "## Held-out comparison",
        "",
        comparison_table(result),
        "",
        "## Points before and after",
        "",
        "| rule | kind | definition | before | after |",
        "|---|---|---|---:|---:|",
    ]
    lines += [f"| {ch.rule_id} | {ch.kind} | {ch.definition} | {_pts(ch.before)} | "
              f"{ch.after:g} |" for ch in result.changes]
    if result.notes:
        lines += ["", "## Notes", ""] + [f"- {note}" for note in result.notes]
    return "\n".join(lines) + "\n"


def summary_json(result: Calibration) -> dict[str, Any]:
    return {
        "config": asdict(result.config),
        "as_of": str(result.as_of),
        "split_at": str(result.outcomes.split_at),
        "train_contacts": result.train_contacts,
        "test_contacts": result.test_contacts,
        "threshold": result.threshold,
        "training_mql_target": result.training_mql_target,
        "regularisation_c": result.regression.c,
        "cv_auc": result.regression.cv_auc,
        "points_scale": result.points.scale,
        "regression_test_auc": result.regression_test_auc,
        "current": asdict(result.current),
        "calibrated": asdict(result.calibrated),
        "rules": [asdict(ch) for ch in result.changes],
        "candidates_tried": result.candidates_tried,
        "notes": result.notes,
    }


def live_seed_dirs(project: Path) -> list[Path]:
    """The project's seed directories (dbt_project.yml seed-paths, default seeds/)."""
    yaml: Any = importlib.import_module("yaml")  # PyYAML, a dbt dependency (no type stubs)
    config_file = project / "dbt_project.yml"
    paths = ["seeds"]
    if config_file.is_file():
        paths = list((yaml.safe_load(config_file.read_text(encoding="utf-8")) or {}).get(
            "seed-paths") or paths)
    return [(project / p).resolve() for p in paths]


def write_proposal(result: Calibration, out: str | Path, project: Path,
                   database: str = "") -> dict[str, Path]:
    """Write the proposed seeds, the report and calibration.json into `out` (created); refuses
    a live seed directory of `project`."""
    target = Path(out).resolve()
    for live in live_seed_dirs(project):
        if target == live or live in target.parents:
            raise CalibrationError(
                f"refusing to write the proposal into the live seeds ({live}): give --out "
                "another directory and copy the files after review")
    target.mkdir(parents=True, exist_ok=True)
    paths = {"fit": target / FIT_FILE, "behavioral": target / BEHAVIORAL_FILE,
             "report": target / REPORT_FILE, "json": target / JSON_FILE}
    write_fit_rules(paths["fit"], result.fit_rules)
    write_behavioral_rules(paths["behavioral"], result.behavioral_rules)
    paths["report"].write_text(render_report(result, database), encoding="utf-8")
    paths["json"].write_text(json.dumps(summary_json(result), indent=2, default=str) + "\n",
                             encoding="utf-8")
    return paths


def project_config(project: Path, **options: Any) -> CalibrationConfig:
    """The config with the scoring vars of the project's dbt_project.yml (what a build without
    --vars used), then `options` (None = not given)."""
    from lead_funnel.benchmark import project_vars

    found = project_vars(project) if (project / "dbt_project.yml").is_file() else {}

    def number(name: str, default: float | None) -> float | None:
        value = found.get(name, default)
        return None if value is None else float(value)

    config = CalibrationConfig(
        half_life_days=number("score_half_life_days", 30.0),
        mql_threshold=number("mql_threshold", 100.0) or 0.0,
        hand_raiser_min_fit=number("hand_raiser_min_fit", 0.0) or 0.0,
        pql_threshold=number("pql_threshold", 60.0),
        pql_min_fit=number("pql_min_fit", 0.0) or 0.0)
    return replace(config, **{k: v for k, v in options.items() if v is not None})


def run_calibration(database: str | Path, out: str | Path, config: CalibrationConfig,
                    project: Path) -> str:
    """Calibrate `database`, write the proposal to `out` and say what was written."""
    result = calibrate_database(database, config)
    paths = write_proposal(result, out, project, str(database))
    return "\n".join([
        comparison_table(result), "",
        f"proposed MQL threshold {result.threshold} (mql_threshold); regression test AUC "
        f"{result.regression_test_auc:.3f}",
        f"wrote {paths['fit']}, {paths['behavioral']}, {paths['report']} and {paths['json']} "
        "(the live seeds are unchanged)"])
