"""What ``lead-funnel calibrate`` writes: the proposed seeds, the report with its verdict,
calibration.json and calibration_scores.csv (every observed contact's score under the current
and the proposed rules at its horizon), into a directory of their own: never the live seeds."""

from __future__ import annotations

import importlib
import json
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from lead_funnel.calibration.history import (
    CalibrationError,
    write_behavioral_rules,
    write_fit_rules,
)
from lead_funnel.calibration.proposal import Calibration, CalibrationConfig, calibrate_database
from lead_funnel.dbt_runner import project_vars

DEFAULT_OUT = "target/calibration"
FIT_FILE = "fit_scoring_rules.csv"
BEHAVIORAL_FILE = "behavioral_scoring_rules.csv"
REPORT_FILE = "calibration_report.md"
JSON_FILE = "calibration.json"
SCORES_FILE = "calibration_scores.csv"
KEEP = "Keep the current rules"


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


def _pts(value: float | None) -> str:
    return "new" if value is None else f"{value:g}"


def _cell(text: str) -> str:
    """Text for a markdown table cell (a rule's `|`-separated values stay in their cell)."""
    return text.replace("|", "\\|")


def comparison_table(result: Calibration) -> str:
    cur, cal = result.current, result.calibrated
    rows = [
        ("horizon (observed after creation)", f"{result.config.horizon_days:g} days",
         f"{result.config.horizon_days:g} days"),
        ("AUC", f"{cur.auc:.3f}", f"{cal.auc:.3f}"),
        ("top-decile conversion", _pct(cur.top_decile), _pct(cal.top_decile)),
        ("top-quintile conversion", _pct(cur.top_quintile), _pct(cal.top_quintile)),
        ("MQL threshold", f"{cur.threshold:g}", f"{cal.threshold:g}"),
        ("MQL volume by the horizon", f"{cur.mqls:,} ({_pct(cur.mql_share)})",
         f"{cal.mqls:,} ({_pct(cal.mql_share)})"),
        ("MQL-to-target conversion", _pct(cur.mql_conversion), _pct(cal.mql_conversion)),
    ]
    lines = [f"| held-out test ({cur.contacts:,} contacts, {cur.positives:,} positive) "
             "| current rules | proposal |", "|---|---:|---:|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return "\n".join(lines)


def verdict_lines(result: Calibration) -> list[str]:
    if not result.verdict.adopt:
        return [f"**{KEEP}**: {result.verdict.reason}. The CSVs beside this report show what "
                "was fitted; they are not a recommendation."]
    return [f"**The proposal beats the current rules**: {result.verdict.reason}. Review it, "
            "then copy the two CSVs to `seeds/` and set "
            f"`mql_threshold: {result.threshold}` (dbt_project.yml vars) to adopt it."]


def render_report(result: Calibration, database: str = "") -> str:
    c = result.config
    known = result.outcomes
    frame = known.frame
    train, test = frame[~frame["is_test"]], frame[frame["is_test"]]
    target = "SQL" if c.target == "sql" else "customer"
    decay = "no decay" if c.half_life_days is None else f"half-life {c.half_life_days:g} days"
    volume = ("the current rules' MQL volume on the training part" if c.mql_share is None
              else f"an MQL volume of {_pct(c.mql_share)}")
    lines = [
        "# Scoring-rule calibration",
        "",
        f"Proposed by `lead-funnel calibrate` from {database or 'the warehouse'} "
        f"(as_of {result.as_of}). The question: is this lead worth sales' time, "
        f"{c.horizon_days:g} days after it was created? (Will it reach {target} within "
        f"{c.window_days:g} days of creation?)",
        "",
        *verdict_lines(result),
        "",
        f"- Outcome: reached {target} within {c.window_days:g} days of creation. Contacts "
        f"created by {known.window_end:%Y-%m-%d} (the window has passed): {known.known:,}; "
        f"{known.reached_before_horizon:,} of them reached {target} before their horizon and "
        f"are left out (nothing left to predict); {len(frame):,} observed, "
        f"{result.positives:,} positive.",
        f"- Features: what the rules see at each contact's horizon, created_at + "
        f"{c.horizon_days:g} days, from events strictly before it: fit rules on the contact's "
        f"attributes, behavioural rules as decayed point-earning events of the horizon's cycle "
        f"({decay}, per-day caps). {len(result.changes)} rules in the proposal; "
        f"{result.candidates_tried} candidate rules were tried beside the current ones.",
        f"- Time split: trained on {len(train):,} contacts created before "
        f"{known.split_at:%Y-%m-%d} ({_pct(train['label'].mean())} positive), "
        f"tested on the {len(test):,} created since ({_pct(test['label'].mean())} positive).",
        f"- Model: L1-regularised logistic regression (scikit-learn, liblinear); C = "
        f"{result.regression.c:.3g} chosen by {result.regression.folds}-fold cross-validated AUC "
        f"on the training part only (CV AUC {result.regression.cv_auc:.3f}).",
        f"- Points: {result.points.scale:.3g} points per unit of log-odds (largest rule "
        f"{result.points.max_points} points), rounded to integers: held-out AUC "
        f"{result.calibrated.auc:.3f} against {result.regression_test_auc:.3f} for the "
        f"regression itself (difference "
        f"{result.calibrated.auc - result.regression_test_auc:+.3f}).",
        f"- MQL threshold {result.threshold}: the integer whose MQL count on the training part "
        f"is closest to {volume} ({result.training_mql_target:,}).",
        f"- Every observed contact's score at its horizon, under the current rules and the "
        f"proposal, is in {SCORES_FILE}: a build at as_of = the horizon computes the same "
        "fit_score + engagement_score.",
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
    lines += [f"| {ch.rule_id} | {ch.kind} | {_cell(ch.definition)} | {_pts(ch.before)} | "
              f"{ch.after:g} |" for ch in result.changes]
    if result.notes:
        lines += ["", "## Notes", ""] + [f"- {note}" for note in result.notes]
    return "\n".join(lines) + "\n"


def summary_json(result: Calibration) -> dict[str, Any]:
    return {
        "config": asdict(result.config),
        "as_of": str(result.as_of),
        "split_at": str(result.outcomes.split_at),
        "known_contacts": result.outcomes.known,
        "reached_before_horizon": result.outcomes.reached_before_horizon,
        "train_contacts": result.train_contacts,
        "test_contacts": result.test_contacts,
        "positives": result.positives,
        "verdict": asdict(result.verdict),
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
    """Write the proposed seeds, the report, calibration.json and the scores into `out`
    (created); refuses a live seed directory of `project`."""
    target = Path(out).resolve()
    for live in live_seed_dirs(project):
        if target == live or live in target.parents:
            raise CalibrationError(
                f"refusing to write the proposal into the live seeds ({live}): give --out "
                "another directory and copy the files after review")
    target.mkdir(parents=True, exist_ok=True)
    paths = {"fit": target / FIT_FILE, "behavioral": target / BEHAVIORAL_FILE,
             "report": target / REPORT_FILE, "json": target / JSON_FILE,
             "scores": target / SCORES_FILE}
    write_fit_rules(paths["fit"], result.fit_rules)
    write_behavioral_rules(paths["behavioral"], result.behavioral_rules)
    paths["report"].write_text(render_report(result, database), encoding="utf-8")
    paths["json"].write_text(json.dumps(summary_json(result), indent=2, default=str) + "\n",
                             encoding="utf-8")
    scores = result.scores.copy()
    scores["observed_at"] = scores["observed_at"].dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    scores.to_csv(paths["scores"], index=False, float_format="%.9f", lineterminator="\n")
    return paths


def project_config(project: Path, **options: Any) -> CalibrationConfig:
    """The config with the scoring vars of the project's dbt_project.yml (what a build without
    --vars used), then `options` (None = not given)."""
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
    known = result.outcomes
    return "\n".join([
        comparison_table(result), "",
        f"{known.known:,} contacts with a known outcome; {known.reached_before_horizon:,} "
        f"reached the target before the {config.horizon_days:g}-day horizon and were left "
        f"out; regression held-out AUC {result.regression_test_auc:.3f}",
        *verdict_lines(result),
        f"wrote {paths['fit']}, {paths['behavioral']}, {paths['report']}, {paths['json']} and "
        f"{paths['scores']} (the live seeds are unchanged)"])
