"""CvM: the ECDF definition with tie weights, scipy without ties, calibrated with ties.

Checked against a brute-force definition (plain loops over pooled points), against
``scipy.stats.cramervonmises_2samp`` without ties, against full enumeration of the permutation
distribution on tiny samples, and by false-alarm rates under no drift: at level ``alpha`` the
rejection count of ``R`` independent no-drift windows must stay under the 99.9% quantile of
Binomial(R, alpha) (a correct test fails about once in a thousand runs; never with the fixed
seeds).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import binom, cramervonmises_2samp

import driftline.detector.cvm as cvm
from driftline.detector import CvMDetector, Status
from driftline.detector.cvm import (
    CountTable,
    RankedReference,
    count_table,
    cvm_effect_size,
    cvm_p_value,
    cvm_statistic,
    cvm_u,
    permutation_p_value,
)
from driftline.errors import ConfigurationError

ALPHA = 0.05
Draw = Callable[[np.random.Generator, int], np.ndarray]


def _table(x: np.ndarray, y: np.ndarray) -> CountTable:
    return count_table(RankedReference(np.asarray(x, float)), np.asarray(y, float))


def _brute_force(x: list[float], y: list[float]) -> tuple[float, float, float]:
    """``(T, RMS ECDF gap, KS D)`` from the definition: every pooled point, plain loops."""
    n, m = len(x), len(y)
    squares, largest = 0.0, 0.0
    for z in x + y:
        f = sum(1 for v in x if v <= z) / n
        g = sum(1 for v in y if v <= z) / m
        squares += (f - g) ** 2
        largest = max(largest, abs(f - g))
    total = n + m
    return n * m / total**2 * squares, math.sqrt(squares / total), largest


def _max_rejections(trials: int) -> int:
    return int(binom.ppf(0.999, trials, ALPHA))


# -- regression: the defect on tied data (these failed on the mid-rank implementation) ------
def _classes(rng: np.random.Generator, size: int) -> np.ndarray:
    """A three-valued feature (a passenger class: 24% / 21% / 55%)."""
    return rng.choice([1.0, 2.0, 3.0], size, p=[0.24, 0.21, 0.55])


def test_no_false_alarms_on_tied_data_891_vs_418() -> None:
    # the mid-rank formula rejected in 200 of 200 seeds
    rejections = 0
    for seed in range(200):
        rng = np.random.default_rng([seed, 891])
        detector = CvMDetector(correction="none", min_effect_size=0.0)
        detector.fit({"x": _classes(rng, 891)})
        rejections += detector.score({"x": _classes(rng, 418)}).drifted
    assert rejections <= _max_rejections(200)


def test_effect_size_on_tied_data_is_the_ecdf_gap() -> None:
    # the mid-rank formula reported ~0.2, above KS D, where the definition gives ~0.02
    rng = np.random.default_rng(3)
    x, y = _classes(rng, 891), _classes(rng, 418)
    statistic, effect, d = _brute_force(x.tolist(), y.tolist())
    feature = CvMDetector().fit({"x": x}).score({"x": y}).features[0]
    assert feature.statistic == pytest.approx(statistic, rel=1e-9)
    assert feature.effect_size == pytest.approx(effect, rel=1e-9)
    assert feature.effect_size <= d + 1e-12
    assert feature.effect_size < 0.05


# -- the statistic ---------------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(30))
def test_statistic_and_effect_match_the_brute_force_definition(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, m = (int(v) for v in rng.integers(1, 25, 2))
    if seed % 3 == 0:  # untied
        x, y = rng.normal(size=n), rng.normal(0.5, size=m)
    else:  # tied, with infinities and signed zeros among the values
        x = rng.choice([-np.inf, -0.0, 0.0, 1.0, 2.0, np.inf], n)
        y = rng.choice([-1.0, 0.0, 1.0, 2.5, np.inf], m)
    table = _table(x, y)
    statistic, effect, _ = _brute_force(x.tolist(), y.tolist())
    assert cvm_statistic(table) == pytest.approx(statistic, rel=1e-12, abs=1e-15)
    assert cvm_effect_size(table) == pytest.approx(effect, rel=1e-12, abs=1e-15)
    assert table.totals.sum() == n + m
    assert table.tied == (np.unique(np.concatenate([x, y])).size < n + m)


SIZES = [(2, 2), (5, 7), (20, 20), (20, 21), (30, 45), (200, 150), (2000, 3000)]


@pytest.mark.parametrize(("n1", "n2"), [*SIZES, (5, 300), (300, 9)])
@pytest.mark.parametrize("shift", [0.0, 0.5])
def test_statistic_matches_scipy_without_ties(n1: int, n2: int, shift: float) -> None:
    rng = np.random.default_rng(n1 * 101 + n2)
    a, b = rng.normal(size=n1), rng.normal(shift, size=n2)
    table = _table(a, b)
    expected = cramervonmises_2samp(a, b)
    assert cvm_statistic(table) == pytest.approx(float(expected.statistic), rel=1e-9, abs=1e-9)
    # U is scipy's integer: n sum (r(x_i) - i)^2 + m sum (r(y_j) - j)^2
    k, total = n1 * n2, n1 + n2
    u = (float(expected.statistic) + (4 * k - 1) / (6 * total)) * k * total
    assert cvm_u(table) == pytest.approx(u, rel=1e-9)


@pytest.mark.parametrize(("n1", "n2"), SIZES)
@pytest.mark.parametrize("shift", [0.0, 0.5])
def test_p_value_matches_scipy_without_ties(n1: int, n2: int, shift: float) -> None:
    rng = np.random.default_rng(n1 * 101 + n2)
    a, b = rng.normal(size=n1), rng.normal(shift, size=n2)
    expected = cramervonmises_2samp(a, b)
    result = CvMDetector(correction="none", min_samples=1).fit({"x": a}).score({"x": b})
    feature = result.features[0]
    assert feature.statistic == pytest.approx(float(expected.statistic), rel=1e-9, abs=1e-9)
    assert feature.p_value == pytest.approx(float(expected.pvalue), rel=0, abs=1e-9)
    method = "exact" if max(n1, n2) <= 20 else "asymptotic"
    assert feature.details == {"p_value_method": method, "ties": False}


def test_tied_statistic_is_not_scipys_mid_rank_formula() -> None:
    x, y = np.array([0.0, 0, 0, 1, 1, 2]), np.array([0.0, 1, 1, 1, 2, 2, 2])
    statistic, _, _ = _brute_force(x.tolist(), y.tolist())
    assert cvm_statistic(_table(x, y)) == pytest.approx(statistic)
    assert float(cramervonmises_2samp(x, y).statistic) != pytest.approx(statistic)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.integers(-3, 3), min_size=1, max_size=30),
    st.lists(st.integers(-3, 3), min_size=1, max_size=30),
    st.booleans(),
)
def test_effect_size_is_the_rms_gap_and_never_above_ks_d(
    xs: list[int], ys: list[int], continuous: bool
) -> None:
    x = np.array(xs, float) + (np.arange(len(xs)) * 1e-3 if continuous else 0.0)
    y = np.array(ys, float)
    table = _table(x, y)
    n, m = len(xs), len(ys)
    effect = cvm_effect_size(table)
    _, rms, d = _brute_force(x.tolist(), y.tolist())  # d: the KS statistic, max |F_n - G_m|
    assert effect == pytest.approx(rms, abs=1e-12)
    assert 0.0 <= effect <= d + 1e-12
    assert effect == pytest.approx(math.sqrt(cvm_statistic(table) * (n + m) / (n * m)))


# -- the p-value -----------------------------------------------------------------------------
def _enumerated_p_value(x: list[float], y: list[float]) -> float:
    """P(T >= T_observed) over every split of the pooled sample (exact permutation p)."""
    pooled, n = x + y, len(x)
    observed = _brute_force(x, y)[0]
    splits = list(itertools.combinations(range(len(pooled)), n))
    hits = 0
    for chosen in splits:
        left = [pooled[i] for i in chosen]
        right = [pooled[i] for i in range(len(pooled)) if i not in chosen]
        hits += _brute_force(left, right)[0] >= observed - 1e-12
    return hits / len(splits)


@pytest.mark.parametrize(
    ("x", "y"),
    [
        ([0.0, 0, 1, 2, 2], [1.0, 2, 2, 3, 3, 3]),
        ([0.0, 0, 0, 1], [0.0, 1, 1, 1, 1, 1, 1]),
        ([1.0, 2, 2, 2, 3, 3, 5], [2.0, 2, 3, 4, 4]),
    ],
)
def test_permutation_p_value_matches_full_enumeration(x: list[float], y: list[float]) -> None:
    exact = _enumerated_p_value(x, y)
    result = permutation_p_value(_table(np.array(x), np.array(y)), n_permutations=20_000)
    assert result.n_permutations == 20_000
    assert abs(result.p_value - exact) <= 4 * math.sqrt(exact * (1 - exact) / 20_000) + 1e-4


@pytest.mark.parametrize(("n1", "n2", "shift"), [(8, 12, 0.0), (8, 12, 1.0), (15, 6, 0.7)])
def test_permutation_p_value_matches_scipys_exact_without_ties(
    n1: int, n2: int, shift: float
) -> None:
    rng = np.random.default_rng(n1 + n2)
    table = _table(rng.normal(size=n1), rng.normal(shift, size=n2))
    exact = cvm_p_value(table)
    assert exact.method == "exact"
    result = permutation_p_value(table, n_permutations=20_000)
    tolerance = 4 * math.sqrt(exact.p_value * (1 - exact.p_value) / 20_000) + 1e-4
    assert abs(result.p_value - exact.p_value) <= tolerance


def test_permutation_p_value_is_k_plus_one_over_b_plus_one() -> None:
    table = _table(np.array([0.0] * 20 + [1.0] * 20), np.array([2.0] * 20 + [3.0] * 20))
    result = permutation_p_value(table, n_permutations=250)  # separated: no permutation as large
    assert result.p_value == 1 / 251
    assert result.mc_error == pytest.approx(math.sqrt(result.p_value * (1 - result.p_value) / 250))


def test_p_value_method_follows_ties_and_sizes() -> None:
    rng = np.random.default_rng(0)
    assert cvm_p_value(_table(rng.normal(size=15), rng.normal(size=20))).method == "exact"
    assert cvm_p_value(_table(rng.normal(size=30), rng.normal(size=20))).method == "asymptotic"
    # a side under ASYMPTOTIC_MIN_N against one over EXACT_MAX_N: the asymptotic is too liberal
    assert cvm_p_value(_table(rng.normal(size=5), rng.normal(size=300))).method == "permutation"
    tied = _table(rng.integers(0, 5, 500).astype(float), rng.integers(0, 5, 500).astype(float))
    assert cvm_p_value(tied).method == "permutation"


def test_stopping_early_never_changes_the_verdict() -> None:
    rng = np.random.default_rng(5)
    for shift in np.linspace(0.0, 0.3, 25):
        x = rng.poisson(3.0, 300).astype(float)
        y = rng.poisson(3.0 + shift, 200).astype(float)
        table = _table(x, y)
        stopped = cvm_p_value(table, stop_at=ALPHA)
        full = cvm_p_value(table)
        assert (stopped.p_value < ALPHA) == (full.p_value < ALPHA)
        if stopped.n_permutations < full.n_permutations:
            assert stopped.p_value >= ALPHA
        else:
            assert stopped.p_value == full.p_value


def test_merged_cells_are_a_function_of_the_pooled_counts() -> None:
    rng = np.random.default_rng(2)
    x = np.concatenate([np.zeros(400), np.round(rng.normal(size=600), 2)])  # one heavy atom
    y = np.round(rng.normal(size=500), 2)
    table = _table(x, y)
    totals, window_le = cvm._merge_cells(table, 50)
    assert totals.size <= 50 < table.totals.size
    assert totals.sum() == table.n + table.m and window_le[-1] == table.m
    # every cell ends at a distinct value; before it, a cell holds under N / max_cells
    full = np.cumsum(table.totals)
    ends = np.searchsorted(full, np.cumsum(totals))
    assert np.array_equal(full[ends], np.cumsum(totals))
    before_last = totals - table.totals[ends]
    assert before_last.max() < math.ceil((table.n + table.m) / 50)
    assert table.totals.max() == table.totals[ends].max()  # the atom at zero ends a cell
    unchanged = cvm._merge_cells(table, table.totals.size)
    assert unchanged[0] is table.totals
    result = permutation_p_value(table, max_cells=50)
    assert result.n_cells == totals.size


# -- the detector ----------------------------------------------------------------------------
def test_details_of_a_permutation_p_value() -> None:
    rng = np.random.default_rng(1)
    detector = CvMDetector(n_permutations=500).fit({"x": rng.poisson(2.0, 300).astype(float)})
    result = detector.score({"x": rng.poisson(2.0, 200).astype(float)})
    details = result.features[0].details
    assert details["p_value_method"] == "permutation" and details["ties"] is True
    assert 1 <= details["n_permutations"] <= 500
    p = result.features[0].p_value
    assert details["p_value_mc_error"] == pytest.approx(
        math.sqrt(p * (1 - p) / details["n_permutations"]))
    assert result.details == details  # the headline feature's


def test_same_window_same_result_and_seed_is_a_setting() -> None:
    rng = np.random.default_rng(4)
    reference = {"x": rng.poisson(5.0, 400).astype(float)}
    window = {"x": rng.poisson(5.3, 300).astype(float)}
    first = CvMDetector(min_effect_size=0.0).fit(reference).score(window)
    assert first == CvMDetector(min_effect_size=0.0).fit(reference).score(window)
    other = CvMDetector(min_effect_size=0.0, seed=7).fit(reference).score(window)
    assert other.statistic == first.statistic


def test_reference_is_prepared_once_at_fit() -> None:
    rng = np.random.default_rng(0)
    detector = CvMDetector().fit({"x": rng.integers(0, 9, 1000).astype(float)})
    prepared = detector._references["x"]
    assert prepared.values.tolist() == list(range(9)) and prepared.tied
    assert prepared.cumulative[-1] == 1000 and prepared.counts.sum() == 1000
    detector.score({"x": rng.integers(0, 9, 100).astype(float)})
    assert detector._references["x"] is prepared


@pytest.mark.parametrize("size", [0, 1, 2, 3])
def test_tiny_windows_are_insufficient_data_not_errors(size: int) -> None:
    rng = np.random.default_rng(size)
    detector = CvMDetector().fit({"x": rng.normal(size=100), "c": rng.integers(0, 2, 100) * 1.0})
    result = detector.score({"x": rng.normal(size=size), "c": np.ones(size)})
    assert result.status is Status.INSUFFICIENT_DATA
    single = CvMDetector(min_samples=1).fit({"x": [1.0]}).score({"x": [1.0]})
    assert single.status is Status.NO_DRIFT


def test_default_min_samples_is_the_smallest_size_that_can_reject() -> None:
    assert CvMDetector.default_min_samples == 4
    separated = CvMDetector().fit({"x": [0.0, 1, 2, 3]}).score({"x": [10.0, 11, 12, 13]})
    assert separated.drifted and separated.p_value == pytest.approx(2 / math.comb(8, 4))
    tied = CvMDetector().fit({"x": [0.0, 0, 0, 0]}).score({"x": [1.0, 1, 1, 1]})
    assert tied.drifted and tied.p_value < ALPHA
    three = CvMDetector(min_samples=3).fit({"x": [0.0, 1, 2]}).score({"x": [10.0, 11, 12]})
    assert three.p_value == pytest.approx(2 / math.comb(6, 3)) and not three.drifted


def test_bonferroni_over_many_tied_features_can_still_flag_one() -> None:
    rng = np.random.default_rng(9)
    reference = {f"f{i}": rng.integers(0, 4, 300).astype(float) for i in range(60)}
    window = {f"f{i}": rng.integers(0, 4, 300).astype(float) for i in range(60)}
    window["f0"] = rng.integers(1, 5, 300).astype(float)
    detector = CvMDetector().fit(reference)
    assert detector.permutations() >= math.ceil(2 * 60 / ALPHA) - 1
    result = detector.score(window)
    assert result.drifted_features == ("f0",)
    assert CvMDetector(n_permutations=100).fit(reference).permutations() == 100
    assert CvMDetector(correction="none").fit(reference).permutations() == 999


@pytest.mark.parametrize(
    "settings_",
    [{"n_permutations": 0}, {"n_permutations": 1.5}, {"max_cells": 1}, {"seed": -1},
     {"seed": True}],
)
def test_bad_settings_raise_configuration_error(settings_: dict[str, object]) -> None:
    with pytest.raises(ConfigurationError):
        CvMDetector(**settings_)  # type: ignore[arg-type]


def test_power_on_a_shift_of_tied_data() -> None:
    flagged = 0
    for seed in range(40):
        rng = np.random.default_rng([seed, 1])
        detector = CvMDetector().fit({"x": rng.poisson(3.0, 891).astype(float)})
        flagged += detector.score({"x": rng.poisson(4.0, 418).astype(float)}).drifted
    assert flagged >= 38


# -- calibration (slow: hundreds of windows per case) ------------------------------------------
def _poisson(rng: np.random.Generator, size: int) -> np.ndarray:
    return rng.poisson(2.0, size).astype(float)


def _rounded(rng: np.random.Generator, size: int) -> np.ndarray:
    return np.round(rng.normal(size=size), 1)


def _normal(rng: np.random.Generator, size: int) -> np.ndarray:
    return rng.normal(size=size)


CALIBRATION: list[tuple[str, Draw, int, int, int]] = [
    # name, data, reference rows, window rows, max_cells
    ("classes", _classes, 891, 418, cvm.MAX_CELLS),
    ("classes", _classes, 418, 891, cvm.MAX_CELLS),
    ("poisson", _poisson, 30, 300, cvm.MAX_CELLS),
    ("poisson", _poisson, 300, 30, cvm.MAX_CELLS),
    ("poisson", _poisson, 100, 1000, cvm.MAX_CELLS),
    ("rounded", _rounded, 200, 2000, cvm.MAX_CELLS),
    ("rounded-merged", _rounded, 500, 2000, 20),
    ("normal", _normal, 5, 300, cvm.MAX_CELLS),
    ("normal", _normal, 30, 300, cvm.MAX_CELLS),
    ("normal", _normal, 1000, 10_000, cvm.MAX_CELLS),
]


@pytest.mark.slow
@pytest.mark.parametrize(("name", "draw", "n", "m", "max_cells"), CALIBRATION,
                         ids=[f"{c[0]}-{c[2]}x{c[3]}" for c in CALIBRATION])
def test_false_alarm_rate_is_at_most_alpha(
    name: str, draw: Draw, n: int, m: int, max_cells: int
) -> None:
    trials, rejections = 1000, 0
    for seed in range(trials):
        rng = np.random.default_rng([seed, n, m])
        detector = CvMDetector(correction="none", min_effect_size=0.0, max_cells=max_cells)
        rejections += detector.fit({"x": draw(rng, n)}).score({"x": draw(rng, m)}).drifted
    assert rejections <= _max_rejections(trials), name


@pytest.mark.slow
def test_power_with_merged_cells_matches_the_full_table() -> None:
    trials, full, merged = 100, 0, 0
    for seed in range(trials):
        rng = np.random.default_rng([seed, 2])
        x, y = np.round(rng.normal(size=400), 2), np.round(rng.normal(0.25, size=400), 2)
        full += CvMDetector(min_effect_size=0.0).fit({"x": x}).score({"x": y}).drifted
        detector = CvMDetector(min_effect_size=0.0, max_cells=100).fit({"x": x})
        merged += detector.score({"x": y}).drifted
    assert full >= 0.6 * trials
    assert merged >= full - 0.1 * trials
