"""Population stability index: ``sum (q - p) ln(q / p)`` with zero proportions replaced by
``epsilon``, the default threshold and epsilon, no drift on the same distribution."""

from __future__ import annotations

import numpy as np
import pytest

from driftline.detector import PSIDetector, Status, get_detector
from driftline.errors import ConfigurationError
from tests.detector.distances.conftest import (
    Frame,
    assert_distance,
    proportions,
    same_distribution,
)


def psi(p: np.ndarray, q: np.ndarray, epsilon: float = 1e-4) -> float:
    ps, qs = np.where(p == 0, epsilon, p), np.where(q == 0, epsilon, q)
    return float(np.sum((qs - ps) * np.log(qs / ps)))


@pytest.mark.parametrize("feature", ["x", "c"])
def test_value_matches_the_reference_formula(data: tuple[Frame, Frame], feature: str) -> None:
    ref, win = data
    p, q = proportions(ref, win, feature)
    assert_distance("psi", ref, win, feature, psi(p, q))


def test_default_threshold() -> None:
    detector = get_detector("psi")
    assert isinstance(detector, PSIDetector)
    assert detector.threshold == 0.2
    assert detector.epsilon == 1e-4


def test_no_drift_on_the_same_distribution() -> None:
    ref, win = same_distribution()
    assert PSIDetector().fit(ref).score(win).status is Status.NO_DRIFT


def test_epsilon_smooths_empty_bins(data: tuple[Frame, Frame]) -> None:
    ref, win = data
    p, q = proportions(ref, win, "c")
    assert p[-1] == 0.0 < q[-1]  # the unseen bucket: empty in the reference
    smoothed = PSIDetector(epsilon=1e-2).fit(ref).score(win).features
    [c] = [f for f in smoothed if f.feature == "c"]
    assert c.statistic == pytest.approx(psi(p, q, epsilon=1e-2), abs=1e-12)
    assert c.statistic != pytest.approx(psi(p, q))


@pytest.mark.parametrize("epsilon", [0, 1, -1e-4, 2.0])
def test_bad_epsilon_is_named(epsilon: float) -> None:
    with pytest.raises(ConfigurationError, match="epsilon"):
        PSIDetector(epsilon=epsilon)
