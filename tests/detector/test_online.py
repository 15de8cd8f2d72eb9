"""Online MMD: the statistic, the up-crossing calibration, univariate use, the registry, reset
after an alarm, and the default's run length."""

from __future__ import annotations

import numpy as np
import pytest

from driftline.detector.mmd import gaussian_kernel
from driftline.detector.online import OnlineMMDDetector, _upcrossing_threshold
from driftline.detector.streaming import get_streaming_detector
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
    assert detector.drift_detected == (detector.test_stat > detector.threshold)


def test_upcrossing_threshold_counts_rises_through_it() -> None:
    rng = np.random.default_rng(1)
    stats = rng.normal(size=(4000, 12)).cumsum(axis=1)
    threshold = _upcrossing_threshold(stats, 0.001)
    before, after = stats[:, :-1], stats[:, 1:]
    crossings = np.mean((before <= threshold) & (after > threshold))
    assert crossings <= 0.001
    lower = np.nextafter(threshold, -np.inf) - 1e-3
    assert np.mean((before <= lower) & (after > lower)) > 0.0008


def test_regression_online_mmd_is_in_the_registry_with_defaults() -> None:
    # was: ConfigurationError "unknown streaming detector 'online_mmd'"; ert and window_size
    # were required
    detector = get_streaming_detector("online_mmd")
    assert isinstance(detector, OnlineMMDDetector)
    assert (detector.ert, detector.window_size, detector.seed) == (30_000, 20, 0)
    with pytest.raises(ConfigurationError, match="online_mmd"):
        get_streaming_detector("online_mmd", window=3)
    with pytest.raises(ConfigurationError, match="window_size"):
        get_streaming_detector("online_mmd", window_size=1)


def test_regression_univariate_stream_takes_plain_numbers() -> None:
    # was: update(1.5) failed ("expected a row of 1 numbers") and a 1-D reference was refused
    rng = np.random.default_rng(2)
    detector = OnlineMMDDetector(ert=50, window_size=5, n_bootstraps=500)
    detector.fit(rng.normal(size=300))
    assert detector.update(1.5) is detector
    assert detector.update(np.float64(0.5)).n_seen == 2
    with pytest.raises(ValidationError, match="finite number") as info:
        detector.update([1.0, 2.0])
    assert info.value.index == 2


def test_regression_resets_after_an_alarm() -> None:
    # was: after an alarm the window kept the drifted rows and every later update alarmed too
    rng = np.random.default_rng(3)
    detector = OnlineMMDDetector(ert=50, window_size=5, n_bootstraps=500)
    detector.fit(rng.normal(size=(300, 2)))
    flags = [detector.update(x).drift_detected for x in rng.normal(10.0, 1.0, size=(40, 2))]
    assert flags.count(True) >= 2
    first = flags.index(True)
    assert not flags[first + 1]  # the next update started again from the initial window
    assert detector.n_updates <= 5


def test_warmup_rows_are_the_reference_when_not_fitted() -> None:
    rng = np.random.default_rng(4)
    detector = OnlineMMDDetector(ert=50, window_size=5, n_bootstraps=500, warmup=100)
    with pytest.raises(NotFittedError):
        _ = detector.threshold
    flags = [detector.update(x).drift_detected for x in (1e3 * rng.normal(size=100)).tolist()]
    assert not any(flags)
    assert not detector.warming_up
    assert detector.threshold > 0
    detector.reset()  # a warm-up reference is forgotten; a fitted one would be kept
    assert detector.warming_up


def test_tables_are_read_and_missing_rows_dropped() -> None:
    rng = np.random.default_rng(6)
    a, b = rng.normal(size=200), rng.normal(size=200)
    a[3] = np.nan
    detector = OnlineMMDDetector(ert=50, window_size=5, n_bootstraps=500)
    detector.fit({"a": a, "b": b})
    assert detector.update([0.0, 0.0]).n_seen == 1
    with pytest.raises(ValidationError, match="numeric"):
        OnlineMMDDetector(ert=50, window_size=5, n_bootstraps=500).fit(
            {"a": np.array(["x"] * 50, dtype=object)}
        )


def test_update_and_settings_are_validated(detector: OnlineMMDDetector) -> None:
    assert detector.reset().update([0.0, 0.0, 0.0]) is detector
    with pytest.raises(ValidationError):
        detector.update([0.0, 0.0])
    with pytest.raises(ValidationError):
        detector.update([0.0, np.nan, 0.0])
    with pytest.raises(ConfigurationError, match="n_bootstraps"):
        OnlineMMDDetector(ert=1000, window_size=5, n_bootstraps=100)
    with pytest.raises(ConfigurationError, match="warmup"):
        OnlineMMDDetector(window_size=50, warmup=60)
    with pytest.raises(ValidationError, match="rows"):
        OnlineMMDDetector(ert=10, window_size=20, warmup=100).fit(np.zeros((60, 2)))


def test_one_sd_mean_shift_is_found_within_the_documented_delay() -> None:
    rng = np.random.default_rng(7)
    detector = OnlineMMDDetector().fit(rng.normal(size=500))
    delays, early = [], 0
    for _ in range(8):
        detector.reset()
        early += sum(detector.update(x).drift_detected for x in rng.normal(size=200).tolist())
        shifted = rng.normal(1.0, 1.0, size=200).tolist()
        found = [k for k, x in enumerate(shifted) if detector.update(x).drift_detected]
        delays.append(found[0] if found else np.inf)
    assert early == 0
    assert np.isfinite(delays).all()
    assert np.median(delays) <= 30  # measured: median 17 (see the docstring)


@pytest.mark.slow
def test_default_run_length_between_false_alarms_is_above_10000() -> None:
    # 4 references of 500 rows (the default warm-up), 50,000 stationary values each: the
    # documented ARL (about MEASURED_ARL) expects about EXPECTED alarms, at most 20 allowed
    steps, alarms = 50_000, 0
    for run in range(4):
        rng = np.random.default_rng([8, run])
        detector = OnlineMMDDetector(seed=run).fit(rng.normal(size=500))
        alarms += sum(detector.update(x).drift_detected for x in rng.normal(size=steps).tolist())
    assert alarms <= 4 * steps / 10_000
