"""Wasserstein-1 divided by the reference std: scipy's value, raw values only, numeric only,
the default threshold, no drift on the same distribution, the bootstrap null."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import wasserstein_distance

from driftline.detector import Status, WassersteinDetector, get_detector
from driftline.detector.distances import null_window_size
from driftline.detector.distances.wasserstein import wasserstein_1
from driftline.errors import ConfigurationError, ValidationError
from tests.detector.distances.conftest import same_distribution


def test_wasserstein_is_normalized_by_reference_std() -> None:
    rng = np.random.default_rng(8)
    ref, win = rng.normal(scale=3.0, size=500), rng.normal(1.0, 3.0, size=400)
    feature = WassersteinDetector().fit({"x": ref}).score({"x": win}).features[0]
    assert feature.statistic == pytest.approx(wasserstein_distance(ref, win) / np.std(ref))
    assert feature.drifted
    with pytest.raises(ConfigurationError, match="raw values"):
        WassersteinDetector().fit({"x": ref}).score_counts({"x": [1, 2]})
    with pytest.raises(ValidationError, match="categorical"):
        WassersteinDetector().fit({"c": np.array(["a", "b"], dtype=object)})


def test_a_constant_reference_gives_zero_or_infinity() -> None:
    ref = {"x": np.full(100, 2.0)}
    detector = WassersteinDetector().fit(ref)
    assert detector.score({"x": np.full(50, 2.0)}).features[0].statistic == 0.0
    moved = detector.score({"x": np.full(50, 2.5)}).features[0]
    assert (moved.statistic, moved.status) == (float("inf"), Status.DRIFT)


def test_a_categorical_window_names_the_feature() -> None:
    detector = WassersteinDetector().fit({"x": np.arange(100.0)})
    with pytest.raises(ValidationError, match="'x' is categorical") as caught:
        detector.score({"x": np.array(["a"] * 100, dtype=object)})
    assert caught.value.field == "x"


def test_default_threshold_and_capabilities() -> None:
    detector = get_detector("wasserstein")
    assert isinstance(detector, WassersteinDetector)
    assert detector.threshold == 0.1
    assert not detector.capabilities.scores_from_counts


def test_no_drift_on_the_same_distribution() -> None:
    ref, win = same_distribution()
    assert WassersteinDetector().fit(ref).score(win).status is Status.NO_DRIFT


def test_w1_equals_scipy_with_ties_and_unequal_sizes() -> None:
    rng = np.random.default_rng(2)
    ref, win = np.round(rng.normal(size=700), 1), np.round(rng.normal(0.2, size=90), 1)
    assert wasserstein_1(np.sort(ref), win) == pytest.approx(wasserstein_distance(ref, win))


def test_the_null_of_a_large_reference_matches_a_raw_bootstrap() -> None:
    # 3,000 distinct values -> 1,000 atoms, and 1,500-row windows -> the Gaussian limit
    rng = np.random.default_rng(6)
    ref = rng.gamma(2.0, size=3000)
    detector = WassersteinDetector().fit({"x": ref})
    null = detector.null_distances("x", 1500)
    grid = null_window_size(1500)
    raw = []
    for _ in range(300):  # the bootstrap the docstring describes, on raw values, with scipy
        r, w = rng.choice(ref, ref.size), rng.choice(ref, grid)
        raw.append(wasserstein_distance(r, w) / np.std(r))
    for q in (0.5, 0.9):
        assert np.quantile(null, q) == pytest.approx(np.quantile(raw, q), rel=0.1)


def test_bad_max_atoms_is_named() -> None:
    with pytest.raises(ConfigurationError, match="max_atoms"):
        WassersteinDetector(max_atoms=10)
