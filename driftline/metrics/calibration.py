"""Calibration of predicted probabilities: the reliability table, expected calibration error
(ECE), the Brier score, and recalibration maps (Platt scaling, isotonic regression).

``probability`` is the predicted probability of an outcome and ``outcome`` 0/1 whether it
happened (binary: P(positive class) and whether the label is it; multiclass: the top-label
confidence and whether the top label was right). Bins are ``n_bins`` equal-width intervals of
``[0, 1]`` (the last closed). ECE is ``sum_b |sum_{i in b} (outcome_i - probability_i)| / n``
(the count-weighted gap between observed rate and mean probability per bin); ``weighted_ece``
takes bootstrap weights ``(k, n)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.stats import beta

__all__ = ["Recalibration", "ReliabilityBin", "brier_score", "fit_isotonic", "fit_platt",
           "reliability_table", "weighted_ece"]

_FloatArray = npt.NDArray[np.float64]
_EPS = 1e-12


@dataclass(frozen=True, slots=True)
class ReliabilityBin:
    """One bin: its range, events, mean probability, observed rate and the rate's 95%
    Clopper-Pearson interval."""

    low: float
    high: float
    count: int
    mean_probability: float
    observed_rate: float
    lower: float
    upper: float


def _bins(probability: _FloatArray, n_bins: int) -> npt.NDArray[np.int64]:
    return np.minimum((probability * n_bins).astype(np.int64), n_bins - 1)


def reliability_table(probability: _FloatArray, outcome: _FloatArray,
                      n_bins: int = 10) -> list[ReliabilityBin]:
    """The non-empty bins of the reliability diagram."""
    index = _bins(probability, n_bins)
    out = []
    for b in range(n_bins):
        inside = index == b
        count = int(inside.sum())
        if not count:
            continue
        hits = int(outcome[inside].sum())
        lower = float(beta.ppf(0.025, hits, count - hits + 1)) if hits else 0.0
        upper = float(beta.ppf(0.975, hits + 1, count - hits)) if hits < count else 1.0
        out.append(ReliabilityBin(b / n_bins, (b + 1) / n_bins, count,
                                  float(probability[inside].mean()), hits / count, lower, upper))
    return out


def weighted_ece(probability: _FloatArray, outcome: _FloatArray,
                 n_bins: int = 10) -> Callable[[_FloatArray], _FloatArray]:
    """``weights (k, n) -> ECE (k,)``: one matrix product per bin layout."""
    onehot = np.eye(n_bins)[_bins(probability, n_bins)]
    gaps = (outcome - probability)[:, np.newaxis] * onehot

    def ece(w: _FloatArray) -> _FloatArray:
        values: _FloatArray = np.abs(w @ gaps).sum(axis=1) / w.sum(axis=1)
        return values
    return ece


def brier_score(probability: _FloatArray, outcome: _FloatArray) -> float:
    """Mean squared gap between probability and outcome."""
    return float(np.mean((probability - outcome) ** 2))


@dataclass(frozen=True)
class Recalibration:
    """A map from predicted to recalibrated probabilities, with its parameters as plain
    JSON (``params``) so a user can apply it where the model serves: Platt ``{"a", "b"}``
    for ``1 / (1 + exp(-(a logit(p) + b)))``; isotonic ``{"x", "y"}`` for ``numpy.interp(p,
    x, y)``."""

    method: str
    params: dict[str, Any]

    def __call__(self, probability: npt.ArrayLike) -> _FloatArray:
        p = np.clip(np.asarray(probability, dtype=np.float64), _EPS, 1 - _EPS)
        if self.method == "platt":
            z = self.params["a"] * np.log(p / (1 - p)) + self.params["b"]
            out: _FloatArray = 1.0 / (1.0 + np.exp(-z))
            return out
        interp: _FloatArray = np.interp(p, self.params["x"], self.params["y"])
        return interp


def fit_platt(probability: _FloatArray, outcome: _FloatArray) -> Recalibration:
    """Logistic regression of the outcome on ``logit(p)`` (Newton's method, with Platt's
    target smoothing ``(n+ + 1) / (n+ + 2)`` and ``1 / (n- + 2)`` against overfitting)."""
    p = np.clip(probability, _EPS, 1 - _EPS)
    x = np.log(p / (1 - p))
    positives = float(outcome.sum())
    negatives = float(outcome.size - positives)
    target = np.where(outcome > 0.5, (positives + 1) / (positives + 2), 1 / (negatives + 2))
    a, b = 1.0, 0.0
    for _ in range(100):
        q = 1.0 / (1.0 + np.exp(-(a * x + b)))
        grad = np.array([np.dot(q - target, x), np.sum(q - target)])
        s = q * (1 - q) + _EPS
        hess = np.array([[np.dot(s, x * x), np.dot(s, x)], [np.dot(s, x), np.sum(s)]])
        step = np.linalg.solve(hess + 1e-9 * np.eye(2), grad)
        a, b = a - float(step[0]), b - float(step[1])
        if float(np.abs(step).max()) < 1e-10:
            break
    if not (math.isfinite(a) and math.isfinite(b)):
        raise ValueError("Platt scaling did not converge (separable outcomes?)")
    return Recalibration("platt", {"a": a, "b": b})


def fit_isotonic(probability: _FloatArray, outcome: _FloatArray) -> Recalibration:
    """The non-decreasing step map of least squares (scikit-learn's ``IsotonicRegression``,
    clipped to [0, 1]), kept as its breakpoints."""
    from sklearn.isotonic import IsotonicRegression

    model = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
    model.fit(probability, outcome)
    return Recalibration("isotonic", {"x": [float(v) for v in model.X_thresholds_],
                                      "y": [float(v) for v in model.y_thresholds_]})
