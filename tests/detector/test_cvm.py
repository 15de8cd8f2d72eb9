"""CvM equals scipy.stats.cramervonmises_2samp(method="auto") to 1e-9."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import cramervonmises_2samp

from driftline.detector import CvMDetector

SIZES = [(2, 2), (5, 7), (20, 20), (20, 21), (30, 45), (200, 150), (2000, 3000)]


def _compare(a: np.ndarray, b: np.ndarray) -> None:
    expected = cramervonmises_2samp(a, b)
    result = CvMDetector(correction="none", min_samples=1).fit({"x": a}).score({"x": b})
    feature = result.features[0]
    assert feature.statistic == pytest.approx(float(expected.statistic), rel=1e-9, abs=1e-9)
    assert feature.p_value == pytest.approx(float(expected.pvalue), rel=0, abs=1e-9)


@pytest.mark.parametrize(("n1", "n2"), SIZES)
@pytest.mark.parametrize("shift", [0.0, 0.5])
def test_continuous_data_matches_scipy(n1: int, n2: int, shift: float) -> None:
    rng = np.random.default_rng(n1 * 101 + n2)
    _compare(rng.normal(size=n1), rng.normal(shift, size=n2))


@pytest.mark.parametrize(("n1", "n2"), SIZES)
def test_ties_match_scipy(n1: int, n2: int) -> None:
    rng = np.random.default_rng(n1 + n2)
    _compare(rng.integers(0, 4, n1).astype(float), rng.integers(0, 5, n2).astype(float))


def test_effect_size_is_rms_ecdf_gap() -> None:
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=400), rng.normal(1.0, size=300)
    feature = CvMDetector().fit({"x": a}).score({"x": b}).features[0]
    assert feature.effect_size == pytest.approx(math.sqrt(feature.statistic * 700 / 120_000))
    assert feature.drifted
