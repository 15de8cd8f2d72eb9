"""Wasserstein-1 divided by the reference std: scipy's value, raw values only, numeric only,
the default threshold, no drift on the same distribution."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import wasserstein_distance

from driftline.detector import Status, WassersteinDetector, get_detector
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
