"""ADWIN: standardized by the reference, calibrated run length, 1-sd shifts at any scale."""

from __future__ import annotations

import numpy as np
import pytest

from driftline.detector.streaming import ADWIN
from driftline.errors import ConfigurationError, ValidationError
from tests.detector.streaming.conftest import KINDS, alarms, count_stationary_alarms, shift_delays


def test_regression_a_one_sd_shift_of_small_values_is_found() -> None:
    # the bound's range term assumes values of order 1: on values scaled by 0.01 the old ADWIN
    # missed this 1-sd shift (27 of 100 such streams were never flagged in 3,000 values)
    rng = np.random.default_rng(0)
    stream = 0.01 * np.concatenate([rng.normal(size=1000), rng.normal(1.0, size=1000)])
    found = alarms(ADWIN(), stream.tolist())
    assert found and 1000 <= found[0] <= 1100


def test_the_scale_of_the_data_does_not_matter() -> None:
    rng = np.random.default_rng(3)
    z = np.concatenate([rng.normal(size=2000), rng.normal(1.0, size=500)])
    reference = rng.normal(size=1000)
    unit = alarms(ADWIN().fit(reference), z.tolist())
    assert unit
    assert alarms(ADWIN().fit(1000 * reference - 3), (1000 * z - 3).tolist()) == unit


def test_one_sd_mean_shift_is_found_within_the_documented_delay() -> None:
    delays, early = shift_delays(ADWIN, runs=30, pre=500, seed=5)
    assert early <= 1
    assert np.isfinite(delays).all()
    assert np.median(delays) <= 40  # measured: median 27 (see the docstring)


@pytest.mark.slow
@pytest.mark.parametrize("kind", KINDS)
def test_run_length_between_false_alarms_is_above_10000(kind: str) -> None:
    # 400,000 stationary values, half fitted and half warming up; documented ARL > 70,000:
    # about 6 alarms expected, at most 40 (an ARL of 10,000) allowed
    steps = 100_000
    fitted = count_stationary_alarms(ADWIN, kind, runs=2, steps=steps, fit=2000, seed=6)
    warm = count_stationary_alarms(ADWIN, kind, runs=2, steps=steps, fit=0, seed=7)
    assert fitted + warm <= 4 * steps / 10_000


def test_no_alarm_during_the_warmup() -> None:
    detector = ADWIN(warmup=300)
    stream = np.concatenate([np.zeros(150), np.full(150, 100.0)])
    assert alarms(detector, stream.tolist()) == []
    assert detector.width == 0  # the warm-up is the reference, not part of the window


def test_reset_forgets_the_stream() -> None:
    detector = ADWIN().fit(np.random.default_rng(2).normal(size=100))
    for x in np.random.default_rng(2).normal(size=100).tolist():
        detector.update(x)
    assert detector.reset() is detector
    assert (detector.n_seen, detector.width, detector.drift_detected) == (0, 0, False)


def test_bad_input_and_settings_are_named() -> None:
    with pytest.raises(ValidationError, match="nan"):
        ADWIN().update(float("nan"))
    with pytest.raises(ConfigurationError, match="delta"):
        ADWIN(delta=0.0)
    with pytest.raises(ConfigurationError, match="warmup"):
        ADWIN(warmup=0)
