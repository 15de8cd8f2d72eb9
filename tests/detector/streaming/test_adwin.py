"""ADWIN: pinned detection index on a seeded abrupt shift, silence on a stationary stream."""

from __future__ import annotations

import numpy as np
import pytest

from driftline.detector.streaming import ADWIN
from driftline.errors import ConfigurationError, ValidationError


def _detections(detector: ADWIN, stream: np.ndarray) -> list[int]:
    return [i for i, x in enumerate(stream.tolist()) if detector.update(x).drift_detected]


def test_abrupt_mean_shift_is_found_at_a_pinned_index() -> None:
    rng = np.random.default_rng(0)
    stream = np.concatenate([rng.normal(size=1000), rng.normal(2.0, size=1000)])
    assert _detections(ADWIN(), stream) == [1023]


def test_stationary_stream_has_no_drift() -> None:
    stream = np.random.default_rng(1).normal(size=5000)
    detector = ADWIN()
    assert _detections(detector, stream) == []
    assert detector.n_seen == 5000


def test_reset_forgets_the_stream() -> None:
    detector = ADWIN()
    for x in np.random.default_rng(2).normal(size=100).tolist():
        detector.update(x)
    detector.reset()
    assert (detector.n_seen, detector.width, detector.drift_detected) == (0, 0, False)


def test_bad_input_and_settings_are_named() -> None:
    with pytest.raises(ValidationError, match="nan"):
        ADWIN().update(float("nan"))
    with pytest.raises(ConfigurationError, match="delta"):
        ADWIN(delta=0.0)
