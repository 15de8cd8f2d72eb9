"""Jensen-Shannon distance, base 2: scipy's ``jensenshannon`` on the shared bins, the
default threshold, no drift on the same distribution."""

from __future__ import annotations

import pytest
from scipy.spatial.distance import jensenshannon

from driftline.detector import JensenShannonDetector, Status, get_detector
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
    assert_distance("jensen_shannon", ref, win, feature, jensenshannon(p, q, base=2))


def test_default_threshold() -> None:
    detector = get_detector("jensen_shannon")
    assert isinstance(detector, JensenShannonDetector)
    assert detector.threshold == 0.1


def test_no_drift_on_the_same_distribution() -> None:
    ref, win = same_distribution()
    assert JensenShannonDetector().fit(ref).score(win).status is Status.NO_DRIFT
