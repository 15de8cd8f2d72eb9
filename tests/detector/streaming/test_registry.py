"""Streaming registry, null object, the shared contract, and the docstring examples."""

from __future__ import annotations

import doctest
import importlib

import numpy as np
import pytest

from driftline.detector.streaming import (
    ADWIN,
    NoDrift,
    StreamingDetector,
    available_streaming_detectors,
    get_streaming_detector,
)
from driftline.errors import ConfigurationError

#: small settings for the detectors whose default warm-up calibrates for seconds
QUICK = {"online_mmd": {"ert": 50, "window_size": 5, "n_bootstraps": 500, "warmup": 20}}


@pytest.mark.parametrize("name", available_streaming_detectors())
def test_every_detector_keeps_the_contract(name: str) -> None:
    detector = get_streaming_detector(name, **QUICK.get(name, {}))
    assert isinstance(detector, StreamingDetector)
    assert detector.update(1.0) is detector
    assert detector.n_seen == 1
    assert detector.drift_detected is False
    with pytest.raises(AttributeError):
        detector.drift_detected = True  # type: ignore[misc]
    assert detector.reset() is detector
    assert detector.n_seen == 0


@pytest.mark.parametrize(
    "name", [n for n in available_streaming_detectors() if n not in ("no_drift", "online_mmd")]
)
def test_every_default_has_a_seed_free_reproducible_verdict(name: str) -> None:
    rng = np.random.default_rng(0)
    binary = name in ("ddm", "eddm", "hddm_a", "hddm_w")
    stream = (rng.random(3000) < 0.2).astype(int) if binary else rng.normal(size=3000)
    first = [get_streaming_detector(name).update(x).drift_detected for x in stream.tolist()]
    again = [get_streaming_detector(name).update(x).drift_detected for x in stream.tolist()]
    assert first == again


def test_names_and_settings() -> None:
    assert available_streaming_detectors() == (
        "adwin", "ddm", "eddm", "hddm_a", "hddm_w", "kswin", "no_drift", "online_mmd",
        "page_hinkley",
    )
    detector = get_streaming_detector("adwin", delta=0.01)
    assert isinstance(detector, ADWIN)
    assert detector.delta == 0.01
    with pytest.raises(ConfigurationError, match="'nope'"):
        get_streaming_detector("nope")
    with pytest.raises(ConfigurationError, match="adwin"):
        get_streaming_detector("adwin", window=3)
    with pytest.raises(ConfigurationError, match="hddm_a"):
        get_streaming_detector("hddm_a", delta=0.1)


def test_no_drift_never_fires() -> None:
    detector = NoDrift()
    assert not any(detector.update(float(x)).drift_detected for x in range(1000))
    detector.reset()
    assert detector.n_seen == 0


@pytest.mark.parametrize(
    "module", ["_base", "adwin", "binary", "kswin", "page_hinkley", "registry"]
)
def test_docstring_examples_run(module: str) -> None:
    result = doctest.testmod(importlib.import_module(f"driftline.detector.streaming.{module}"))
    assert result.failed == 0
    assert result.attempted > 0
