"""Streaming registry, null object, and the docstring examples."""

from __future__ import annotations

import doctest
import importlib

import pytest

from driftline.detector.streaming import (
    ADWIN,
    NoDrift,
    StreamingDetector,
    available_streaming_detectors,
    get_streaming_detector,
)
from driftline.errors import ConfigurationError


@pytest.mark.parametrize("name", available_streaming_detectors())
def test_every_detector_keeps_the_contract(name: str) -> None:
    detector = get_streaming_detector(name)
    assert isinstance(detector, StreamingDetector)
    assert detector.update(1.0) is detector
    assert detector.n_seen == 1
    assert detector.drift_detected is False
    with pytest.raises(AttributeError):
        detector.drift_detected = True  # type: ignore[misc]


def test_names_and_settings() -> None:
    assert available_streaming_detectors() == ("adwin", "kswin", "no_drift", "page_hinkley")
    detector = get_streaming_detector("adwin", delta=0.01)
    assert isinstance(detector, ADWIN)
    assert detector.delta == 0.01
    with pytest.raises(ConfigurationError, match="'nope'"):
        get_streaming_detector("nope")
    with pytest.raises(ConfigurationError, match="adwin"):
        get_streaming_detector("adwin", window=3)


def test_no_drift_never_fires() -> None:
    detector = NoDrift()
    assert not any(detector.update(float(x)).drift_detected for x in range(1000))
    detector.reset()
    assert detector.n_seen == 0


@pytest.mark.parametrize("module", ["_base", "adwin", "kswin", "page_hinkley", "registry"])
def test_docstring_examples_run(module: str) -> None:
    result = doctest.testmod(importlib.import_module(f"driftline.detector.streaming.{module}"))
    assert result.failed == 0
    assert result.attempted > 0
