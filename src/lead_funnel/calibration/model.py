"""The regularised logistic regression, its integer points table, the MQL threshold and the
ranking measures of the report."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

# Inverse regularisation strengths tried by cross-validation (on standardised features), from
# the strongest regularisation up; once a C beat chance, the walk stops when PATIENCE steps in a
# row did not improve the cross-validated AUC (weakly regularised L1 fits are the slow ones).
C_GRID = tuple(float(c) for c in np.logspace(-3, 1, 17))
PATIENCE = 3
# Largest |points| of a rule tried when rounding, smallest first: the first whose integer score
# ranks the training part within ROUNDING_TOLERANCE AUC of the continuous one and orders its
# contacts like it (Kendall tau-b >= ROUNDING_MIN_TAU) is kept.
POINT_SCALES = (10, 15, 20, 25, 30, 40, 50, 60, 80, 100, 120, 150, 200, 300, 500, 1000)
ROUNDING_TOLERANCE = 0.002
ROUNDING_MIN_TAU = 0.95
SCORE_TOLERANCE = 1e-9  # a threshold is crossed within this (as the dbt models do)


@dataclass(frozen=True)
class LogisticFit:
    coefficients: np.ndarray  # log-odds per unit of each raw feature (0 for constant ones)
    intercept: float
    c: float
    cv_auc: float
    cv_scores: tuple[tuple[float, float], ...]  # (C, mean CV AUC) for every C tried
    folds: int


def fit_logistic(x: np.ndarray, y: np.ndarray, folds: int = 5, seed: int = 0,
                 grid: tuple[float, ...] = C_GRID) -> LogisticFit:
    """L1-regularised logistic regression (liblinear) on standardised features, C chosen by
    stratified k-fold cross-validated AUC on (x, y) only; coefficients returned on the raw
    feature scale, so points x features is the model's log-odds."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    y = np.asarray(y, dtype=int)
    varying = np.flatnonzero(x.std(axis=0) > 0)
    xs = x[:, varying]
    k = int(max(2, min(folds, np.bincount(y, minlength=2).min())))
    splitter = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)

    def model(c: float) -> object:
        return make_pipeline(StandardScaler(), LogisticRegression(
            C=c, l1_ratio=1.0, solver="liblinear", max_iter=2000, random_state=seed))

    scores: list[tuple[float, float]] = []
    best_c, best_auc, stale = grid[0], -1.0, 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # liblinear's convergence notes
        for c in grid:
            auc = float(np.mean(cross_val_score(model(c), xs, y, cv=splitter,
                                                scoring="roc_auc")))
            scores.append((c, auc))
            if auc > best_auc + 1e-4:
                best_c, best_auc, stale = c, auc, 0
            elif best_auc > 0.5 + 1e-4:
                # patience only once a C found some signal: the strongest regularisations
                # zero every coefficient (CV AUC 0.5) until C is large enough for the data
                stale += 1
                if stale >= PATIENCE:
                    break
        fitted = model(best_c)
        fitted.fit(xs, y)  # type: ignore[attr-defined]
    scaler, logistic = fitted.steps[0][1], fitted.steps[1][1]  # type: ignore[attr-defined]
    coefficients = np.zeros(x.shape[1])
    coefficients[varying] = logistic.coef_[0] / scaler.scale_
    intercept = float(logistic.intercept_[0] - np.sum(logistic.coef_[0] * scaler.mean_
                                                     / scaler.scale_))
    return LogisticFit(coefficients, intercept, best_c, best_auc, tuple(scores), k)


def auc(y: np.ndarray, scores: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(np.asarray(y, dtype=int), scores))


def bootstrap_beat_share(y: np.ndarray, challenger: np.ndarray, incumbent: np.ndarray,
                         rounds: int = 500, seed: int = 0) -> float:
    """Share of `rounds` paired bootstrap resamples of the contacts (drawn with replacement,
    seeded) in which `challenger` ranks them at a higher AUC than `incumbent`; resamples with
    one class only are drawn again."""
    y = np.asarray(y, dtype=int)
    rng = np.random.default_rng(seed)
    wins = done = 0
    while done < rounds:
        pick = rng.integers(0, len(y), len(y))
        if y[pick].min() == y[pick].max():
            continue
        wins += auc(y[pick], challenger[pick]) > auc(y[pick], incumbent[pick])
        done += 1
    return wins / rounds


@dataclass(frozen=True)
class IntegerPoints:
    points: np.ndarray
    scale: float       # points per unit of log-odds
    max_points: int    # the largest |points| allowed
    training_auc: float
    continuous_training_auc: float
    kendall_tau: float  # integer vs continuous score on the training part


def integer_points(coefficients: np.ndarray, x: np.ndarray, y: np.ndarray,
                   scales: tuple[int, ...] = POINT_SCALES,
                   tolerance: float = ROUNDING_TOLERANCE,
                   min_tau: float = ROUNDING_MIN_TAU) -> IntegerPoints:
    """Round scale x coefficients to integers, with the smallest scale (most readable points)
    whose integer score ranks (x, y) within `tolerance` AUC of the continuous one and keeps
    its order of the contacts (Kendall tau-b >= min_tau: a near-perfect training AUC alone
    hides what rounding loses on new contacts); the largest scale when none does."""
    from scipy.stats import kendalltau

    exact = x @ coefficients
    continuous = auc(y, exact)
    largest = float(np.max(np.abs(coefficients))) if len(coefficients) else 0.0
    if largest == 0:
        return IntegerPoints(np.zeros_like(coefficients), 0.0, 0, 0.5, continuous, 1.0)
    found: IntegerPoints | None = None
    for m in scales:
        scale = m / largest
        points = np.round(coefficients * scale)
        rounded = x @ points
        tau = float(kendalltau(rounded, exact).statistic) if np.ptp(rounded) > 0 else 0.0
        found = IntegerPoints(points, scale, m, auc(y, rounded), continuous, tau)
        if found.training_auc >= continuous - tolerance and tau >= min_tau:
            break
    assert found is not None
    return found


def mql_mask(scores: np.ndarray, threshold: float) -> np.ndarray:
    return np.asarray(scores >= threshold - SCORE_TOLERANCE, dtype=bool)


def threshold_for_volume(peaks: np.ndarray, always: np.ndarray, volume: int) -> int:
    """The integer threshold whose MQL count is closest to `volume` (ties: the higher
    threshold, the fewer MQLs), a contact being an MQL when `always` (a hand-raiser) or when
    its peak score reaches the threshold."""
    ordered = np.sort(peaks[~always & np.isfinite(peaks)])
    fixed = int(always.sum())
    if len(ordered) == 0:
        return 0
    best_t, best_gap = 0, math.inf
    for t in range(int(math.floor(ordered[0])), int(math.ceil(ordered[-1])) + 2):
        count = fixed + len(ordered) - int(np.searchsorted(ordered, t - SCORE_TOLERANCE,
                                                           side="left"))
        gap = abs(count - volume)
        if gap <= best_gap:
            best_t, best_gap = t, gap
    return best_t


def top_share_conversion(scores: np.ndarray, y: np.ndarray, share: float) -> float:
    """Target rate among the top `share` of contacts by score. Contacts tied at the cut count
    with their group's mean rate (the expected rate of any tie-break), so a score that ties
    many contacts is not flattered by an arbitrary order."""
    n = len(scores)
    k = max(1, int(round(share * n)))
    cut = np.sort(scores)[::-1][k - 1]
    above = scores > cut
    tied = scores == cut
    from_tied = k - int(above.sum())
    return float((y[above].sum() + from_tied * y[tied].mean()) / k)


@dataclass(frozen=True)
class Ranking:
    """How a score ranks a set of contacts, and its MQLs at a threshold."""
    contacts: int
    positives: int
    auc: float
    top_decile: float
    top_quintile: float
    threshold: float
    mqls: int
    mql_conversion: float | None

    @property
    def base_rate(self) -> float:
        return self.positives / self.contacts

    @property
    def mql_share(self) -> float:
        return self.mqls / self.contacts


def ranking(scores: np.ndarray, y: np.ndarray, threshold: float, mql: np.ndarray) -> Ranking:
    """`scores` rank the contacts (AUC, top shares); `mql` says which are MQLs."""
    y = np.asarray(y, dtype=float)
    return Ranking(len(y), int(y.sum()), auc(y, scores), top_share_conversion(scores, y, 0.1),
                   top_share_conversion(scores, y, 0.2), threshold, int(mql.sum()),
                   float(y[mql].mean()) if mql.any() else None)
