"""KSWIN: seeded, so detection indices are pinned."""

from __future__ import annotations

import numpy as np
import pytest

from driftline.detector.streaming import KSWIN
from driftline.errors import ConfigurationError


def _detections(detector: KSWIN, stream: np.ndarray) -> list[int]:
    return [i for i, x in enumerate(stream.tolist()) if detector.update(x).drift_detected]


def test_abrupt_mean_shift_is_found_at_a_pinned_index() -> None:
    rng = np.random.default_rng(0)
    stream = np.concatenate([rng.normal(size=1000), rng.normal(2.0, size=1000)])
    assert _detections(KSWIN(alpha=1e-4, seed=7), stream) == [1016]


def test_stationary_stream_has_no_drift() -> None:
    # one KS test per value: alpha is a per-value false-alarm rate, hence 1e-4 here
    stream = np.random.default_rng(1).normal(size=5000)
    assert _detections(KSWIN(alpha=1e-4, seed=7), stream) == []


def test_same_seed_same_detections_after_reset() -> None:
    stream = np.random.default_rng(3).normal(size=1000)
    detector = KSWIN(seed=11)
    first = _detections(detector, stream)
    detector.reset()
    assert _detections(detector, stream) == first


def test_bad_sizes_are_named() -> None:
    with pytest.raises(ConfigurationError, match="stat_size"):
        KSWIN(window_size=30, stat_size=30)
