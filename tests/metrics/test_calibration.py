"""Calibration metrics against scikit-learn: the reliability table is ``calibration_curve``'s,
the Brier score ``brier_score_loss``, isotonic recalibration ``IsotonicRegression``'s; ECE by
hand; Platt scaling repairs a miscalibrated model."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.calibration import calibration_curve
from sklearn.isotonic import IsotonicRegression
from sklearn.metrics import brier_score_loss

from driftline.metrics.calibration import (
    Recalibration,
    brier_score,
    fit_isotonic,
    fit_platt,
    reliability_table,
    weighted_ece,
)


def _overconfident(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    p = rng.uniform(0.01, 0.99, n)
    true = 1 / (1 + np.exp(-0.4 * np.log(p / (1 - p))))  # the truth is much less extreme
    return p, (rng.random(n) < true).astype(np.float64)


def test_the_reliability_table_is_scikit_learns() -> None:
    p, y = _overconfident(5000, 0)
    table = reliability_table(p, y, 10)
    observed, predicted = calibration_curve(y, p, n_bins=10, strategy="uniform")
    assert [b.observed_rate for b in table] == pytest.approx(observed)
    assert [b.mean_probability for b in table] == pytest.approx(predicted)
    assert all(b.lower <= b.observed_rate <= b.upper for b in table)
    assert sum(b.count for b in table) == 5000


def test_ece_and_brier() -> None:
    p, y = _overconfident(5000, 1)
    table = reliability_table(p, y, 10)
    by_hand = sum(b.count * abs(b.observed_rate - b.mean_probability) for b in table) / 5000
    assert weighted_ece(p, y, 10)(np.ones((1, 5000)))[0] == pytest.approx(by_hand)
    assert brier_score(p, y) == pytest.approx(brier_score_loss(y, p))
    calibrated = np.random.default_rng(2).uniform(0, 1, 20000)
    outcome = (np.random.default_rng(3).random(20000) < calibrated).astype(float)
    assert weighted_ece(calibrated, outcome)(np.ones((1, 20000)))[0] < 0.02 < by_hand


def test_recalibration_repairs_an_overconfident_model_on_held_out_data() -> None:
    p, y = _overconfident(5000, 4)
    held_p, held_y = _overconfident(5000, 5)
    before = weighted_ece(held_p, held_y)(np.ones((1, 5000)))[0]
    for fitted in (fit_platt(p, y), fit_isotonic(p, y)):
        after = weighted_ece(fitted(held_p), held_y)(np.ones((1, 5000)))[0]
        assert after < before / 3, fitted.method
    platt = fit_platt(p, y)
    assert platt.params["a"] == pytest.approx(0.4, abs=0.05)  # the slope that was applied
    # parameters are plain JSON: the map can be rebuilt where the model serves
    rebuilt = Recalibration("platt", dict(platt.params))
    assert rebuilt(held_p) == pytest.approx(platt(held_p))


def test_isotonic_is_scikit_learns() -> None:
    p, y = _overconfident(2000, 6)
    ours = fit_isotonic(p, y)
    theirs = IsotonicRegression(y_min=0, y_max=1, out_of_bounds="clip").fit(p, y)
    grid = np.linspace(0, 1, 101)
    assert ours(grid) == pytest.approx(theirs.predict(grid))
