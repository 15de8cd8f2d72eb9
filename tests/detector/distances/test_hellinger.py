"""Hellinger distance: ``sqrt(1 - sum sqrt(p q))`` on the shared bins, the default
threshold, no drift on the same distribution."""

from __future__ import annotations

import numpy as np
import pytest

from driftline.detector import HellingerDetector, Status, get_detector
from tests.detector.distances.conftest import (
    Frame,
    assert_distance,
    proportions,
    same_distribution,
)


@pytest.mark.parametrize("feature", ["x", "c"])
def test_value_matches_the_reference_formula(data: tuple[Frame, Frame], feature: str) -> None:
    ref, win = data
    p, q = proportions(ref, win, feature)
    assert_distance("hellinger", ref, win, feature, np.sqrt(1 - np.sum(np.sqrt(p * q))))


def test_default_threshold() -> None:
    detector = get_detector("hellinger")
    assert isinstance(detector, HellingerDetector)
    assert detector.threshold == 0.1


def test_no_drift_on_the_same_distribution() -> None:
    ref, win = same_distribution()
    assert HellingerDetector().fit(ref).score(win).status is Status.NO_DRIFT
