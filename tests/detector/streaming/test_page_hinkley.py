"""Page-Hinkley: pinned detection index on a seeded abrupt shift, silence when stationary."""

from __future__ import annotations

import numpy as np
import pytest

from driftline.detector.streaming import PageHinkley
from driftline.errors import ConfigurationError


def _detections(detector: PageHinkley, stream: np.ndarray) -> list[int]:
    return [i for i, x in enumerate(stream.tolist()) if detector.update(x).drift_detected]


def test_abrupt_mean_shift_is_found_at_a_pinned_index() -> None:
    rng = np.random.default_rng(0)
    stream = np.concatenate([rng.normal(size=1000), rng.normal(2.0, size=1000)])
    assert _detections(PageHinkley(delta=0.1), stream) == [1025]


def test_stationary_stream_has_no_drift() -> None:
    # delta is the tolerated drift per value in data units; 0.1 sd keeps the sum from wandering
    stream = np.random.default_rng(1).normal(size=5000)
    assert _detections(PageHinkley(delta=0.1), stream) == []


def test_river_default_delta_wanders_on_long_unit_variance_streams() -> None:
    # documents why the docstring says to scale delta to the data
    stream = np.random.default_rng(0).normal(size=5000)
    assert _detections(PageHinkley(), stream) == [1434, 3277, 4845]


@pytest.mark.parametrize(
    ("settings", "name"), [({"threshold": 0}, "threshold"), ({"mode": "sideways"}, "mode")]
)
def test_bad_settings_are_named(settings: dict[str, object], name: str) -> None:
    with pytest.raises(ConfigurationError, match=name):
        PageHinkley(**settings)  # type: ignore[arg-type]
