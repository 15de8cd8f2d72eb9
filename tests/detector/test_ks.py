"""KS equals scipy.stats.ks_2samp(method="auto") to 1e-9 across sizes, ties and methods."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy.stats import ks_2samp

from driftline.detector import KSDetector
from driftline.detector.ks import EXACT_MAX_N, SortedReference, ks_p_value, ks_statistic

SIZES = [(1, 1), (3, 5), (10, 10), (25, 40), (30, 31), (100, 100), (257, 64), (1000, 999)]
LARGE = [(EXACT_MAX_N, EXACT_MAX_N), (EXACT_MAX_N + 1, 3000), (15_000, 12_000)]


def _scipy(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    with warnings.catch_warnings():
        # scipy warns when its exact computation overflows and it falls back to asymp
        warnings.simplefilter("ignore", RuntimeWarning)
        result = ks_2samp(a, b)
    return float(result.statistic), float(result.pvalue)


def _ours(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    return ks_p_value(ks_statistic(SortedReference(a), b), a.size, b.size)


@pytest.mark.parametrize(("n1", "n2"), SIZES + LARGE)
@pytest.mark.parametrize("shift", [0.0, 0.2, 1.0])
def test_continuous_data_matches_scipy(n1: int, n2: int, shift: float) -> None:
    rng = np.random.default_rng(n1 * 7919 + n2)
    a, b = rng.normal(size=n1), rng.normal(shift, size=n2)
    np.testing.assert_allclose(_ours(a, b), _scipy(a, b), rtol=0, atol=1e-9)


@pytest.mark.parametrize(("n1", "n2"), SIZES + LARGE)
@pytest.mark.parametrize("levels", [2, 5])
def test_ties_match_scipy(n1: int, n2: int, levels: int) -> None:
    rng = np.random.default_rng(n1 + 31 * n2 + levels)
    a = rng.integers(0, levels, n1).astype(float)
    b = rng.integers(0, levels, n2).astype(float) + rng.integers(0, 2, n2)
    np.testing.assert_allclose(_ours(a, b), _scipy(a, b), rtol=0, atol=1e-9)


def test_identical_samples_have_p_one() -> None:
    a = np.arange(50, dtype=float)
    assert _ours(a, a.copy()) == (0.0, 1.0)


def test_detector_reports_scipy_values_per_feature() -> None:
    rng = np.random.default_rng(3)
    ref = {"a": rng.normal(size=300), "b": rng.exponential(size=200)}
    win = {"a": rng.normal(0.3, size=120), "b": rng.exponential(size=90)}
    result = KSDetector(correction="none").fit(ref).score(win)
    for feature in result.features:
        statistic, p_value = _scipy(np.asarray(ref[feature.feature]), win[feature.feature])
        assert feature.statistic == pytest.approx(statistic, abs=1e-9)
        assert feature.p_value == pytest.approx(p_value, abs=1e-9)
        assert feature.effect_size == feature.statistic


def test_missing_values_are_dropped() -> None:
    rng = np.random.default_rng(4)
    a, b = rng.normal(size=80), rng.normal(size=70)
    b_with_nan = np.concatenate([b, [np.nan, np.nan]])
    detector = KSDetector(correction="none").fit({"x": a})
    result = detector.score({"x": b_with_nan}).features[0]
    assert result.n_window == 70
    assert result.p_value == pytest.approx(_scipy(a, b)[1], abs=1e-9)


def test_statistics_match_scores() -> None:
    rng = np.random.default_rng(5)
    ref = {f"f{i}": rng.normal(size=500) for i in range(5)}
    win = {f"f{i}": rng.normal(0.1 * i, size=400) for i in range(5)}
    detector = KSDetector().fit(ref)
    statistics = detector.statistics(win)
    scored = {f.feature: f.statistic for f in detector.score(win).features}
    # score snaps D to the exact lattice h / lcm(n, m), as scipy does; statistics does not
    assert statistics == pytest.approx(scored, abs=1e-12)
