"""Chi-squared homogeneity equals scipy.stats.chi2_contingency(correction=False)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import chi2_contingency

from driftline.detector import Chi2Detector
from driftline.detector.chi2 import UNSEEN
from driftline.errors import ValidationError


def _column(rng: np.random.Generator, categories: list[str], p: list[float], n: int) -> np.ndarray:
    return rng.choice(np.asarray(categories, dtype=object), size=n, p=p)


@pytest.mark.parametrize("seed", range(5))
def test_matches_scipy_with_unseen_bucket(seed: int) -> None:
    rng = np.random.default_rng(seed)
    ref = _column(rng, ["a", "b", "c"], [0.5, 0.3, 0.2], 400)
    win = _column(rng, ["a", "b", "c", "new"], [0.4, 0.3, 0.2, 0.1], 300)
    detector = Chi2Detector(correction="none").fit({"c": ref})
    feature = detector.score({"c": win}).features[0]
    table = np.array(
        [
            [np.sum(ref == k) for k in ["a", "b", "c", "new"]],
            [np.sum(win == k) for k in "abc"] + [np.sum(win == "new")],
        ]
    )
    expected = chi2_contingency(table, correction=False)
    assert feature.statistic == pytest.approx(expected.statistic, rel=1e-9)
    assert feature.p_value == pytest.approx(expected.pvalue, abs=1e-9)
    assert feature.effect_size == pytest.approx(math.sqrt(expected.statistic / table.sum()))
    assert detector.unseen_categories({"c": win}) == {"c": ("new",)}


def test_window_without_unseen_values_drops_the_empty_column() -> None:
    rng = np.random.default_rng(9)
    ref = _column(rng, ["x", "y"], [0.5, 0.5], 200)
    win = _column(rng, ["x", "y"], [0.7, 0.3], 200)
    feature = Chi2Detector(correction="none").fit({"c": ref}).score({"c": win}).features[0]
    table = [[np.sum(ref == "x"), np.sum(ref == "y")], [np.sum(win == "x"), np.sum(win == "y")]]
    assert feature.p_value == pytest.approx(chi2_contingency(table, correction=False).pvalue)


def test_missing_values_are_dropped_or_counted() -> None:
    ref = np.array(["a"] * 50 + ["b"] * 50, dtype=object)
    win = np.array(["a"] * 50 + ["b"] * 50 + [None] * 40, dtype=object)
    dropped = Chi2Detector().fit({"c": ref}).score({"c": win})
    assert dropped.features[0].n_window == 100
    assert dropped.features[0].statistic == 0.0
    counted = Chi2Detector(count_missing=True).fit({"c": ref}).score({"c": win})
    assert counted.features[0].n_window == 140
    assert counted.drifted  # 40 missing values the reference never had


def test_reserved_category_is_rejected() -> None:
    with pytest.raises(ValidationError, match=UNSEEN):
        Chi2Detector().fit({"c": np.array(["a", UNSEEN], dtype=object)})


def test_score_counts_equals_score_and_checks_the_shape() -> None:
    rng = np.random.default_rng(3)
    reference = {"c": rng.choice(["a", "b", "c"], 500).astype(object)}
    window = {"c": rng.choice(["a", "b", "z"], 300, p=[0.5, 0.3, 0.2]).astype(object)}
    detector = Chi2Detector().fit(reference)
    counts = {"c": detector.window_counts("c", detector._clean_column("c", window["c"]))}
    assert detector.score_counts(counts) == detector.score(window)
    with pytest.raises(ValidationError, match="expected 4 counts"):
        detector.score_counts({"c": [1.0, 2.0]})
