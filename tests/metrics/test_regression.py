"""Regression metrics equal scikit-learn's on unit weights and on resample counts."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as sk

from driftline.metrics import RegressionData, regression_metrics


def test_regression_metrics_equal_scikit_learn() -> None:
    rng = np.random.default_rng(0)
    truth = rng.normal(10, 3, 400)
    predicted = truth + rng.normal(0.5, 1.0, 400)
    found = regression_metrics(RegressionData(truth, predicted))
    one = np.ones((1, 400))
    assert found[("*", "mae")](one)[0] == pytest.approx(sk.mean_absolute_error(truth, predicted))
    assert found[("*", "rmse")](one)[0] == pytest.approx(
        np.sqrt(sk.mean_squared_error(truth, predicted)))
    assert found[("*", "r2")](one)[0] == pytest.approx(sk.r2_score(truth, predicted))
    rows = rng.integers(0, 400, 400)
    counts = np.bincount(rows, minlength=400).astype(np.float64)[np.newaxis, :]
    assert found[("*", "r2")](counts)[0] == pytest.approx(
        sk.r2_score(truth[rows], predicted[rows]))


def test_r2_of_a_constant_truth_is_nan() -> None:
    found = regression_metrics(RegressionData(np.ones(5), np.arange(5.0)))
    assert np.isnan(found[("*", "r2")](np.ones((1, 5)))[0])
