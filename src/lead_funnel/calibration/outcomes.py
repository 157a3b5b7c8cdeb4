"""Which contacts calibration learns from, what it predicts for each, and when it looks.

The question asked of a lead is the one sales asks: *is this lead worth our time, H days after
it was created?* So every contact is observed at the same point of its life, its horizon
``created_at + H`` (``--horizon-days``, default 7), whatever happened to it later: the moment a
feature is computed at never depends on the outcome, and a model cannot tell converted from
unconverted contacts by the age of their events alone.

- A contact's outcome is known when its whole window has passed (created_at + window <= as_of).
- It is positive when it reached the target (sql_at or customer_at of lead_stages) within the
  window after creation (target time <= created_at + window).
- A contact that reached the target strictly before its horizon is already there when observed:
  nothing is left to predict, so it is left out of training and test (and counted).
- The newest ``test_share`` of the remaining contacts, by created_at, is the held-out test part.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from lead_funnel.calibration.history import CalibrationError, History

TARGETS = ("sql", "customer")
MIN_CONTACTS = 20  # fewer contacts with a known outcome: nothing to calibrate


@dataclass(frozen=True)
class Outcomes:
    """One row per contact kept: contact_id, created_at, label, moment (its horizon,
    created_at + H) and is_test (created at or after split_at)."""
    frame: pd.DataFrame
    split_at: pd.Timestamp
    window_end: pd.Timestamp  # contacts created after window_end - window are too recent
    horizon_days: float
    reached_before_horizon: int  # known contacts left out: the target was reached before H

    @property
    def known(self) -> int:
        """Contacts whose outcome is known, kept or left out."""
        return len(self.frame) + self.reached_before_horizon


def outcomes(history: History, target: str, window_days: float, test_share: float,
             horizon_days: float) -> Outcomes:
    if target not in TARGETS:
        raise CalibrationError(f"unknown target {target!r}; allowed: {', '.join(TARGETS)}")
    if not 0 < test_share < 1:
        raise CalibrationError(f"test share must lie strictly between 0 and 1, got {test_share}")
    if not 0 <= horizon_days < window_days:
        raise CalibrationError(
            f"the horizon ({horizon_days:g} days) must lie between 0 and the window "
            f"({window_days:g} days): a lead is observed before its outcome is decided")
    window = pd.Timedelta(days=window_days)
    contacts = history.contacts
    known = contacts[contacts["created_at"] + window <= history.as_of]
    reached = known[f"{target}_at"]
    horizon_at = known["created_at"] + pd.Timedelta(days=horizon_days)
    early = (reached.notna() & (reached < horizon_at)).to_numpy()
    label = (reached.notna() & (reached <= known["created_at"] + window)).to_numpy()
    frame = pd.DataFrame({"contact_id": known["contact_id"].to_numpy()[~early],
                          "created_at": known["created_at"].to_numpy()[~early],
                          "label": label[~early],
                          "moment": horizon_at.to_numpy()[~early]})
    frame = frame.sort_values(["created_at", "contact_id"], kind="stable").reset_index(drop=True)
    if len(frame) < MIN_CONTACTS:
        raise CalibrationError(
            f"only {len(frame)} contacts were created at least {window_days:g} days before "
            f"as_of {history.as_of} without reaching {target} in their first "
            f"{horizon_days:g} days: too little history (shorten --window-days); keep the "
            "current rules")
    split_at = pd.Timestamp(frame["created_at"].quantile(1 - test_share))
    frame["is_test"] = frame["created_at"] >= split_at
    for part, rows in (("training", frame[~frame["is_test"]]), ("test", frame[frame["is_test"]])):
        if rows["label"].nunique() < 2:
            raise CalibrationError(
                f"the {part} part ({len(rows)} contacts) has no "
                f"{'positive' if not rows['label'].any() else 'negative'} outcome: nothing to "
                "learn or measure (change --window-days, --horizon-days, --target or "
                "--test-share); keep the current rules")
    return Outcomes(frame, split_at, history.as_of - window, horizon_days, int(early.sum()))
