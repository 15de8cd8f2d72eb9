"""KSWIN: the window against the reference by KS, a per-value level calibrated for repeated
testing, seeded, checked against scipy."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from driftline.detector.streaming import KSWIN
from driftline.detector.streaming.kswin import MIN_WINDOW, ks_distance
from driftline.errors import ConfigurationError
from tests.detector.streaming.conftest import KINDS, alarms, count_stationary_alarms, shift_delays


def test_regression_uncorrected_repeated_test_alarmed_every_800_values() -> None:
    # the old KSWIN ran an alpha=0.005 test at every value: 17 false alarms on these 15,000
    # N(0, 1) values; the corrected level expects about 0.3
    stream = np.random.default_rng(0).normal(size=15_000).tolist()
    assert len(alarms(KSWIN(), stream)) <= 1


def test_regression_alarms_before_100_values() -> None:
    # the old KSWIN could not alarm before its window of 100 values was full
    rng = np.random.default_rng(1)
    detector = KSWIN().fit(rng.normal(size=1000))
    assert alarms(detector, rng.normal(5.0, 1.0, size=30).tolist())[0] == MIN_WINDOW - 1


def test_regression_seeded_by_default() -> None:
    # the old default seed=None gave different alarms for the same stream
    assert KSWIN().seed == 0
    rng = np.random.default_rng(2)
    reference = rng.normal(size=20_000)  # above max_reference: a seeded subsample
    stream = np.concatenate([rng.normal(size=300), rng.normal(1.0, size=300)]).tolist()
    first = alarms(KSWIN().fit(reference), stream)
    assert first
    assert alarms(KSWIN().fit(reference), stream) == first


def test_statistic_and_p_value_match_scipy() -> None:
    rng = np.random.default_rng(3)
    reference = np.round(rng.normal(size=700), 1)  # with ties
    detector = KSWIN().fit(reference)
    window = []
    for x in np.round(rng.normal(0.3, 1.0, size=80), 1).tolist():
        detector.update(x)
        window.append(x)
        if detector.drift_detected:
            window = []  # after an alarm the next values become the reference
            break
        if len(window) >= MIN_WINDOW:
            recent = window[-detector.window_size :]
            z_ref = (reference - detector.location) / detector.scale
            z_win = (np.array(recent) - detector.location) / detector.scale
            expected = stats.ks_2samp(z_ref, z_win, method="asymp")
            assert detector.statistic == pytest.approx(expected.statistic, abs=1e-12)
            assert detector.p_value == pytest.approx(expected.pvalue, rel=1e-9)
            assert detector.drift_detected == (expected.pvalue <= detector.alpha)


def test_ks_distance_is_scipys_statistic() -> None:
    rng = np.random.default_rng(4)
    for n, m in [(10, 10), (500, 50), (37, 200)]:
        a, b = np.sort(rng.integers(0, 20, n) * 1.0), np.sort(rng.normal(5, 5, m).round())
        assert ks_distance(a, b) == pytest.approx(stats.ks_2samp(a, b).statistic, abs=1e-12)


def test_critical_values_are_scipys_asymptotic_quantiles() -> None:
    detector = KSWIN(window_size=20).fit(np.arange(100.0))
    crit = detector.critical_values
    assert len(crit) == 20 and all(np.isinf(crit[: MIN_WINDOW - 1]))
    assert crit[-1] == pytest.approx(stats.kstwo.isf(1e-4, round(20 * 100 / 120)))


def test_one_sd_mean_shift_is_found_within_the_documented_delay() -> None:
    delays, early = shift_delays(KSWIN, runs=20, pre=300, seed=5)
    assert early <= 1
    assert np.isfinite(delays).all()
    assert np.median(delays) <= 45  # measured: median 34 (see the docstring)


@pytest.mark.slow
@pytest.mark.parametrize("kind", KINDS)
def test_run_length_between_false_alarms_is_above_10000(kind: str) -> None:
    # 200,000 stationary values, half fitted and half warming up; documented ARL > 50,000
    # (the test is on ranks, the same for every continuous distribution): a few alarms
    # expected (6 or 7 in these seeded streams), at most 20 (an ARL of 10,000) allowed
    steps = 50_000
    fitted = count_stationary_alarms(KSWIN, kind, runs=2, steps=steps, fit=2000, seed=6)
    warm = count_stationary_alarms(KSWIN, kind, runs=2, steps=steps, fit=0, seed=7)
    assert fitted + warm <= 4 * steps / 10_000


def test_after_an_alarm_the_next_values_are_the_reference() -> None:
    rng = np.random.default_rng(6)
    detector = KSWIN(warmup=100).fit(rng.normal(size=1000))
    found = alarms(detector, rng.normal(3.0, 1.0, size=400).tolist())
    assert len(found) == 1  # the shifted regime became the reference: no repeated alarms
    assert not detector.warming_up
    assert detector.location == pytest.approx(3.0, abs=0.3)


def test_bad_settings_are_named() -> None:
    with pytest.raises(ConfigurationError, match="window_size"):
        KSWIN(window_size=5)
    with pytest.raises(ConfigurationError, match="alpha"):
        KSWIN(alpha=0.0)
    with pytest.raises(ConfigurationError, match="max_reference"):
        KSWIN(max_reference=1)
