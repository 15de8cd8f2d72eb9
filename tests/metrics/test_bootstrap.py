"""The bootstrap interval: it covers the truth at its stated rate, narrows with n, and is
NaN-bounded below 2 rows."""

from __future__ import annotations

import math

import numpy as np

from driftline.metrics import bootstrap_weights, estimate


def test_weights_are_multinomial_resample_counts() -> None:
    w = bootstrap_weights(50, 30, np.random.default_rng(0))
    assert w.shape == (30, 50) and np.all(w.sum(axis=1) == 50)


def test_the_accuracy_interval_covers_the_true_rate_and_narrows_with_n() -> None:
    rng = np.random.default_rng(1)
    covered, widths = 0, {}
    for trial in range(200):
        correct = (rng.random(200) < 0.8).astype(np.float64)
        found = estimate(lambda w, c=correct: (w @ c) / w.sum(axis=1), 200, seed=trial,
                         resamples=400)
        covered += found.lower <= 0.8 <= found.upper
    # 95% nominal; the percentile bootstrap of a proportion at n=200 is within a few points
    assert 0.90 <= covered / 200 <= 0.99
    for n in (40, 40_000):
        correct = (rng.random(n) < 0.8).astype(np.float64)
        found = estimate(lambda w, c=correct: (w @ c) / w.sum(axis=1), n)
        widths[n] = found.upper - found.lower
        assert found.resamples == (1000 if n == 40 else 500)
    assert widths[40] > 10 * widths[40_000]


def test_too_few_rows_have_no_interval() -> None:
    found = estimate(lambda w: w.sum(axis=1), 1)
    assert found.value == 1.0 and math.isnan(found.lower) and found.resamples == 0
