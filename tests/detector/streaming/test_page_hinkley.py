"""Page-Hinkley: standardized by the reference, thresholds in sd, calibrated run length."""

from __future__ import annotations

import numpy as np
import pytest

from driftline.detector.streaming import PageHinkley
from driftline.errors import ConfigurationError, ValidationError
from tests.detector.streaming.conftest import (
    KINDS,
    alarms,
    count_stationary_alarms,
    draw,
    shift_delays,
)


def test_regression_raw_unit_defaults_alarmed_on_data_in_thousands() -> None:
    # river's threshold 50 and delta 0.005 were in the data's units: on values of scale ~1,000
    # the old default alarmed about every 30 values (500 alarms here); an ARL above 50,000
    # expects about 0.3
    stream = draw("thousands", np.random.default_rng(0), 15_000).tolist()
    assert len(alarms(PageHinkley(), stream)) <= 2


def test_regression_unit_variance_stream_has_few_false_alarms_in_15k_values() -> None:
    # the old default alarmed 9 times on these 15,000 N(0, 1) values (ARL ~1,600)
    stream = np.random.default_rng(0).normal(size=15_000).tolist()
    assert len(alarms(PageHinkley(), stream)) <= 2


def test_the_scale_of_the_data_does_not_matter() -> None:
    rng = np.random.default_rng(4)
    z = np.concatenate([rng.normal(size=3000), rng.normal(1.0, size=500)])
    reference = rng.normal(size=1000)
    unit = alarms(PageHinkley().fit(reference), z.tolist())
    assert unit
    assert alarms(PageHinkley().fit(7 + 1000 * reference), (7 + 1000 * z).tolist()) == unit
    assert alarms(PageHinkley().fit(0.01 * reference), (0.01 * z).tolist()) == unit


def test_no_alarm_during_the_warmup_then_standardized_by_it() -> None:
    detector = PageHinkley(warmup=50)
    rng = np.random.default_rng(1)
    assert alarms(detector, (1e6 * rng.normal(size=50)).tolist()) == []
    assert not detector.warming_up
    assert detector.scale > 1e5
    # the test runs on the values after the warm-up (the reference only sets the scale): an
    # obvious change after 100 of them is found within a few values
    stream = np.concatenate([rng.normal(size=100), rng.normal(20.0, 1.0, size=100)])
    found = alarms(detector, (1e6 * stream).tolist())
    assert found and 100 <= found[0] <= 105


def test_one_sd_mean_shift_is_found_within_the_documented_delay() -> None:
    delays, early = shift_delays(PageHinkley, runs=30, pre=500, seed=5)
    assert early <= 1
    assert np.isfinite(delays).all()
    assert np.median(delays) <= 30  # measured: median 18 (see the docstring)


@pytest.mark.slow
@pytest.mark.parametrize("kind", KINDS)
def test_run_length_between_false_alarms_is_above_10000(kind: str) -> None:
    # 400,000 stationary values, half fitted on 2,000 reference values and half warming up on
    # the stream; documented ARL > 52,000, so fewer than 8 alarms are expected and at most 40
    # (an ARL of 10,000) are allowed
    steps = 100_000
    fitted = count_stationary_alarms(PageHinkley, kind, runs=2, steps=steps, fit=2000, seed=6)
    warm = count_stationary_alarms(PageHinkley, kind, runs=2, steps=steps, fit=0, seed=7)
    assert fitted + warm <= 4 * steps / 10_000


def test_reset_keeps_a_fitted_reference_and_forgets_a_warmup() -> None:
    fitted = PageHinkley().fit([1.0, 2.0, 3.0])
    fitted.update(2.0)
    assert fitted.reset() is fitted
    assert (fitted.n_seen, fitted.location, fitted.warming_up) == (0, 2.0, False)
    warm = PageHinkley(warmup=3)
    for x in (1.0, 2.0, 3.0):
        warm.update(x)
    assert not warm.warming_up
    warm.reset()
    assert warm.warming_up


def test_constant_reference_falls_back_to_unit_scale() -> None:
    assert PageHinkley().fit([5.0, 5.0, 5.0]).scale == 1.0


@pytest.mark.parametrize(
    ("settings", "name"),
    [
        ({"threshold": 0}, "threshold"),
        ({"mode": "sideways"}, "mode"),
        ({"warmup": 1}, "warmup"),
        ({"clip": 0.0}, "clip"),
        ({"delta": -1.0}, "delta"),
        ({"alpha": 0.0}, "alpha"),
    ],
)
def test_bad_settings_are_named(settings: dict[str, object], name: str) -> None:
    with pytest.raises(ConfigurationError, match=name):
        PageHinkley(**settings)  # type: ignore[arg-type]


def test_bad_input_is_refused_with_its_index() -> None:
    detector = PageHinkley()
    detector.update(1.0)
    with pytest.raises(ValidationError, match="nan") as info:
        detector.update(float("nan"))
    assert info.value.index == 1
    with pytest.raises(ValidationError, match="2 reference values"):
        PageHinkley().fit([1.0])
    with pytest.raises(ValidationError, match="1-D"):
        PageHinkley().fit([[1.0, 2.0]])
    with pytest.raises(ValidationError, match="reference_values"):
        PageHinkley().fit(["a", "b"])
