"""Jensen-Shannon distance, natural log: scipy's ``jensenshannon`` (its default base e, as
Evidently) on the shared bins, the default threshold, no drift on the same distribution."""

from __future__ import annotations

import numpy as np
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
    assert_distance("jensen_shannon", ref, win, feature, jensenshannon(p, q))


def test_the_log_is_natural_not_base_2() -> None:
    # regression: the distance was base 2, sqrt(1 / ln 2) = 1.2 times Evidently's (base e)
    ref = {"c": np.array(["a"] * 80 + ["b"] * 20, dtype=object)}
    win = {"c": np.array(["a"] * 20 + ["b"] * 80, dtype=object)}
    found = JensenShannonDetector().fit(ref).score(win).features[0]
    p, q = np.array([0.8, 0.2, 0.0]), np.array([0.2, 0.8, 0.0])
    assert found.statistic == pytest.approx(jensenshannon(p, q), abs=1e-12)
    assert found.statistic == pytest.approx(jensenshannon(p, q, base=2) * np.sqrt(np.log(2)))
    assert found.statistic < jensenshannon(p, q, base=2) / 1.19


def test_default_threshold() -> None:
    detector = get_detector("jensen_shannon")
    assert isinstance(detector, JensenShannonDetector)
    assert detector.threshold == 0.1


def test_no_drift_on_the_same_distribution() -> None:
    ref, win = same_distribution()
    assert JensenShannonDetector().fit(ref).score(win).status is Status.NO_DRIFT
