"""Every registered batch detector keeps the contract; the package exports are complete."""

from __future__ import annotations

import dataclasses
import doctest
import importlib

import numpy as np
import pytest

import driftline.detector as detector_package
from driftline.detector import BatchDetector, available_detectors, get_detector
from driftline.errors import ConfigurationError, NotFittedError

_DOCTESTED = ["chi2", "cvm", "distances.psi", "ks"]


def _frames(detector: BatchDetector) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    rng = np.random.default_rng(42)
    if detector.name == "chi2":
        cats = np.array(["a", "b", "c"], dtype=object)
        return {"c": rng.choice(cats, 200)}, {"c": rng.choice(cats, 150)}
    ref = {"x": rng.normal(size=200), "y": rng.normal(size=200)}
    return ref, {"x": rng.normal(0.5, size=150), "y": rng.normal(size=150)}


@pytest.fixture(params=available_detectors())
def detector(request: pytest.FixtureRequest) -> BatchDetector:
    return get_detector(request.param)


def test_score_before_fit_raises(detector: BatchDetector) -> None:
    _, window = _frames(detector)
    with pytest.raises(NotFittedError):
        detector.score(window)


def test_fit_returns_self_and_learns_features(detector: BatchDetector) -> None:
    reference, _ = _frames(detector)
    assert detector.fit(reference) is detector
    assert set(detector.features) == set(reference)


def test_result_is_frozen_and_deterministic(detector: BatchDetector) -> None:
    reference, window = _frames(detector)
    detector.fit(reference)
    first, second = detector.score(window), detector.score(window)
    assert first == second
    assert first.test == detector.name
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.statistic = 0.0  # type: ignore[misc]


def test_unknown_name_raises() -> None:
    with pytest.raises(ConfigurationError, match="no-such-test"):
        get_detector("no-such-test")


def test_exports_are_complete() -> None:
    for name in detector_package.__all__:
        assert hasattr(detector_package, name), name
    for name in ("chi2", "cvm", "ks", "psi", "jensen_shannon", "hellinger", "linf", "wasserstein"):
        assert name in available_detectors()


@pytest.mark.parametrize("module", _DOCTESTED)
def test_docstring_examples_run(module: str) -> None:
    result = doctest.testmod(importlib.import_module(f"driftline.detector.{module}"))
    assert result.failed == 0
    assert result.attempted > 0
