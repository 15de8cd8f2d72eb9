"""Error-stream detectors: 0/1 or bools in, calibrated false-alarm rate on Bernoulli(0.1), delay
after a jump of the error rate to 0.3."""

from __future__ import annotations

import numpy as np
import pytest

from driftline.detector.streaming import (
    DDM,
    EDDM,
    HDDMA,
    HDDMW,
    BinaryDetector,
    available_streaming_detectors,
    get_streaming_detector,
)
from driftline.errors import ConfigurationError, ValidationError
from tests.detector.streaming.conftest import alarms

DETECTORS: dict[str, type[BinaryDetector]] = {
    "ddm": DDM, "eddm": EDDM, "hddm_a": HDDMA, "hddm_w": HDDMW,
}
#: measured median delay (values after the jump 0.1 -> 0.3) and the bound the test allows;
#: EDDM's statistics run since its last alarm, so it is slow after a long quiet period
DELAY_BOUNDS = {"ddm": 200, "eddm": 2500, "hddm_a": 200, "hddm_w": 300}
#: values before the jump: past every warm start (EDDM waits for 300 errors)
PRE = {"ddm": 2000, "eddm": 5000, "hddm_a": 2000, "hddm_w": 2000}


def errors(rng: np.random.Generator, rate: float, n: int) -> list[int]:
    return (rng.random(n) < rate).astype(int).tolist()


@pytest.mark.parametrize("name", sorted(DETECTORS))
def test_registered_by_name(name: str) -> None:
    assert name in available_streaming_detectors()
    assert isinstance(get_streaming_detector(name), DETECTORS[name])


@pytest.mark.parametrize("name", sorted(DETECTORS))
def test_accepts_zero_one_and_bools(name: str) -> None:
    detector = get_streaming_detector(name)
    for x in (0, 1, True, False, 0.0, 1.0, np.int64(1), np.float64(0.0), np.bool_(True)):
        assert detector.update(x) is detector
    assert detector.n_seen == 9
    assert detector.drift_detected is False


@pytest.mark.parametrize("name", sorted(DETECTORS))
@pytest.mark.parametrize("bad", [2, 0.5, -1, float("nan"), "1", None])
def test_other_values_are_refused_with_their_index(name: str, bad: object) -> None:
    detector = get_streaming_detector(name)
    detector.update(0).update(1)
    with pytest.raises(ValidationError, match="0/1") as info:
        detector.update(bad)
    assert (info.value.index, info.value.field) == (2, "x")
    assert detector.n_seen == 2


@pytest.mark.parametrize("name", sorted(DETECTORS))
def test_a_jump_of_the_error_rate_to_0_3_is_found(name: str) -> None:
    delays, early = [], 0
    for run in range(20):
        rng = np.random.default_rng([1, run])
        pre = PRE[name]
        found = alarms(get_streaming_detector(name), errors(rng, 0.1, pre) + errors(rng, 0.3, 4000))
        early += sum(i < pre for i in found)
        after = [i - pre for i in found if i >= pre]
        delays.append(after[0] if after else np.inf)
    assert early <= 3
    assert np.isfinite(delays).all()
    assert np.median(delays) <= DELAY_BOUNDS[name]


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(DETECTORS))
def test_false_alarm_rate_on_bernoulli_0_1(name: str) -> None:
    # 40 fresh streams of 10,000 values at an error rate of 0.1: a run length of 10,000
    # would give about 40 alarms; the documented ARLs (above 100,000) expect fewer than 4
    total = 0
    for run in range(40):
        rng = np.random.default_rng([2, run])
        total += len(alarms(get_streaming_detector(name), errors(rng, 0.1, 10_000)))
    assert total <= 40 * 10_000 / 10_000 / 4


def test_regression_river_default_eddm_alarmed_about_every_1500_values() -> None:
    # river's EDDM (warm start 30, beta 0.9) alarms 345 times in 500,000 values at p = 0.1;
    # 30 errors of warm start left it deciding on the max of a noisy start
    rng = np.random.default_rng(3)
    assert len(alarms(EDDM(), errors(rng, 0.1, 15_000))) <= 1


def test_regression_river_default_ddm_alarmed_early_on_fresh_streams() -> None:
    # river's DDM (warm start 30) alarms within its first 1,000 values on 40% of the fresh
    # streams at p = 0.1; with a warm start of 500, about 2%
    early = sum(
        bool(alarms(DDM(), errors(np.random.default_rng([4, run]), 0.1, 1000)))
        for run in range(50)
    )
    assert early <= 5


def test_warning_and_reset() -> None:
    detector = HDDMA()
    rng = np.random.default_rng(5)
    warned = False
    for x in errors(rng, 0.1, 2000) + errors(rng, 0.5, 500):
        warned |= detector.update(x).warning_detected
    assert warned
    assert detector.reset() is detector
    state = (detector.n_seen, detector.drift_detected, detector.warning_detected)
    assert state == (0, False, False)


@pytest.mark.parametrize(
    ("cls", "settings", "name"),
    [
        (DDM, {"warm_start": 0}, "warm_start"),
        (DDM, {"warning_threshold": 4.0}, "warning_threshold"),
        (EDDM, {"alpha": 0.5, "beta": 0.9}, "beta"),
        (HDDMA, {"drift_confidence": 0.0}, "drift_confidence"),
        (HDDMW, {"lambda_val": 0.0}, "lambda_val"),
    ],
)
def test_bad_settings_are_named(
    cls: type[BinaryDetector], settings: dict[str, float], name: str
) -> None:
    with pytest.raises(ConfigurationError, match=name):
        cls(**settings)
