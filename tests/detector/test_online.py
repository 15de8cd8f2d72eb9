import numpy as np
import pytest

from driftline.detector.mmd import gaussian_kernel
from driftline.detector.online import OnlineMMDDetector
from driftline.errors import ConfigurationError, NotFittedError, ValidationError

ERT, WINDOW = 100, 10


@pytest.fixture(scope="module")
def detector() -> OnlineMMDDetector:
    reference = np.random.default_rng(0).normal(size=(500, 3))
    return OnlineMMDDetector(ert=ERT, window_size=WINDOW, n_bootstraps=2000).fit(reference)


def run_length(detector: OnlineMMDDetector, rng: np.random.Generator, shift: float) -> int:
    detector.reset()
    for _ in range(20 * ERT):
        detector.update(rng.normal(size=3) + np.array([shift, 0.0, 0.0]))
        if detector.drift_detected:
            break
    return detector.n_updates


def test_run_length_without_drift_is_about_the_ert(detector: OnlineMMDDetector) -> None:
    lengths = [run_length(detector, np.random.default_rng(100 + s), 0.0) for s in range(40)]
    assert ERT / 3 <= np.mean(lengths) <= 3 * ERT


def test_obvious_shift_is_detected_quickly(detector: OnlineMMDDetector) -> None:
    delays = [run_length(detector, np.random.default_rng(200 + s), 2.0) for s in range(10)]
    assert max(delays) <= 2 * WINDOW


def test_statistic_is_the_unbiased_mmd2_of_the_window(detector: OnlineMMDDetector) -> None:
    detector.reset()
    rng = np.random.default_rng(5)
    rows = rng.normal(size=(WINDOW + 3, 3))
    for row in rows:
        detector.update(row)
    ref = detector._ref  # the fixed sub-reference (standardized)
    assert detector._mean is not None
    window = (rows[-WINDOW:] - detector._mean) / detector._scale
    kxx = gaussian_kernel(ref, ref, detector._bw)
    kyy = gaussian_kernel(window, window, detector._bw)
    n, m = len(ref), WINDOW
    expected = (
        (kxx.sum() - n) / (n * (n - 1))
        + (kyy.sum() - m) / (m * (m - 1))
        - 2 * gaussian_kernel(ref, window, detector._bw).mean()
    )
    assert detector.test_stat == pytest.approx(expected, rel=1e-9)
    assert detector.threshold == detector.thresholds[-1]
    assert detector.drift_detected == (detector.test_stat > detector.threshold)


def test_update_returns_self_and_validates(detector: OnlineMMDDetector) -> None:
    assert detector.reset().update([0.0, 0.0, 0.0]) is detector
    with pytest.raises(ValidationError):
        detector.update([0.0, 0.0])
    with pytest.raises(NotFittedError):
        OnlineMMDDetector(ert=10, window_size=5).update([0.0])
    with pytest.raises(ConfigurationError):
        OnlineMMDDetector(ert=1000, window_size=5, n_bootstraps=100)
    with pytest.raises(ValidationError):
        OnlineMMDDetector(ert=10, window_size=50).fit(np.zeros((60, 2)))
