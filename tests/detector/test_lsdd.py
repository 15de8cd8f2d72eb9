import json
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from river.datasets import synth
from scipy import stats

from driftline.detector._base import get_detector
from driftline.detector._result import Status
from driftline.detector.lsdd import DEFAULT_MIN_EFFECT_SIZE, LSDDDetector
from driftline.detector.mmd import gaussian_kernel, permutation_indices
from driftline.errors import ConfigurationError, NotFittedError, ValidationError

GOLDEN = json.loads((Path(__file__).parent / "golden" / "alibi_mmd_lsdd.json").read_text())
LSDD = GOLDEN["lsdd"]
DATA = {name: np.array(rows) for name, rows in GOLDEN["data"].items()}
WINDOWS = ("no_drift", "small_shift", "large_shift")


def frame(x: np.ndarray) -> dict[str, np.ndarray]:
    return {f"f{j}": x[:, j] for j in range(x.shape[1])}


def river_frame(stream: Any, n: int) -> dict[str, np.ndarray]:
    rows = [x for x, _ in islice(stream, n)]
    return {str(k): np.array([r[k] for r in rows], dtype=np.float64) for k in rows[0]}


def test_fit_matches_alibi_bandwidth_centres_and_regularization() -> None:
    detector = LSDDDetector(seed=GOLDEN["detector_seed"]).fit(frame(DATA["reference"]))
    assert detector.fitted_bandwidth == pytest.approx(LSDD["sigma"], rel=1e-6)
    np.testing.assert_array_equal(detector.center_index, LSDD["center_index"])
    # alibi picks lambda on every call; ours is picked once at fit by the same rule
    assert detector.fitted_regularization == LSDD["no_drift"]["lambda"]


def mc_tolerance(p: float, n_permutations: int) -> float:
    """Both values are Monte-Carlo estimates from ``n_permutations`` permutations."""
    return 4.0 * float(np.sqrt(2.0 * p * (1.0 - p) / n_permutations)) + 0.02


def test_statistic_permutations_and_p_value_match_alibi() -> None:
    n_perm = GOLDEN["n_permutations"]
    for name in WINDOWS:
        expected = LSDD[name]
        detector = LSDDDetector(
            n_permutations=n_perm,
            bandwidth=LSDD["sigma"],
            regularization=expected["lambda"],
            seed=GOLDEN["detector_seed"],
        ).fit(frame(DATA["reference"]))
        result = detector.test(frame(DATA[name]))
        assert result.statistic == pytest.approx(expected["statistic"], rel=1e-5), name
        # ours is (k + 1) / (B + 1), alibi's k / B
        k = round(result.p_value * (n_perm + 1) - 1)
        assert result.p_value == (k + 1) / (n_perm + 1)
        p = expected["p_value"]
        assert abs(k / n_perm - p) <= mc_tolerance(max(p, 1 / n_perm), n_perm), name
        above = float(np.mean(result.permuted >= expected["distance_threshold"]))
        assert abs(above - 0.05) <= mc_tolerance(0.05, n_perm), name


def test_batched_permutations_equal_a_naive_loop() -> None:
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=(120, 3)), rng.normal(size=(60, 3))
    detector = LSDDDetector(n_permutations=30, min_samples=10, seed=7).fit(frame(x))
    result = detector.test(frame(y))
    z = (np.vstack([x, y]) - x.mean(axis=0)) / x.std(axis=0, ddof=1)
    idx = detector.center_index
    bw, lam = detector.fitted_bandwidth, detector.fitted_regularization
    centres = z[idx]
    others = np.setdiff1d(np.arange(120), idx)
    # pooled rows in the detector's order: the effective reference as permuted at fit, then y
    order = np.random.default_rng(7).permutation(120)[len(idx) :]
    pooled = gaussian_kernel(np.vstack([z[order], z[120:]]), centres, bw)
    h_mat = gaussian_kernel(centres, centres, np.sqrt(2) * bw)
    inv = np.linalg.inv(h_mat + lam * np.eye(len(idx)))
    metric = 2 * inv - inv @ h_mat @ inv
    n_x = len(others)

    def lsdd(perm: np.ndarray) -> float:
        h = pooled[perm[:n_x]].mean(axis=0) - pooled[perm[n_x:]].mean(axis=0)
        return float(h @ metric @ h)

    naive = [lsdd(p) for p in permutation_indices(len(pooled), 30, 7)]
    observed = lsdd(np.arange(len(pooled)))
    assert result.statistic == pytest.approx(observed, rel=1e-10)
    np.testing.assert_allclose(result.permuted, naive, rtol=1e-10)
    assert result.p_value == (np.sum(np.array(naive) >= observed) + 1) / 31
    # the effect: the statistic less its plug-in bias tr(M S_x)/n_x + tr(M S_y)/m
    k_x, k_y = pooled[:n_x], pooled[n_x:]
    bias = sum(np.trace(metric @ np.cov(k.T)) / len(k) for k in (k_x, k_y))
    assert result.effect_size == pytest.approx(max(observed - bias, 0.0), rel=1e-9, abs=1e-15)


def test_false_alarm_rate_is_controlled() -> None:
    n_seeds, alpha = 120, 0.05
    rejections = 0
    for seed in range(n_seeds):
        rng = np.random.default_rng(seed)
        detector = LSDDDetector(alpha=alpha, seed=seed).fit(frame(rng.normal(size=(60, 3))))
        rejections += detector.score(frame(rng.normal(size=(40, 3)))).drifted
    assert rejections / n_seeds <= alpha + 3 * np.sqrt(alpha * (1 - alpha) / n_seeds)


def test_random_rbf_feature_drift_is_detected() -> None:
    reference = river_frame(synth.RandomRBF(seed_model=1, seed_sample=1, n_features=5), 500)
    window = river_frame(synth.RandomRBF(seed_model=2, seed_sample=1, n_features=5), 500)
    result = get_detector("lsdd").fit(reference).score(window)
    assert result.status is Status.DRIFT
    assert result.p_value == 1 / 101


def test_sea_concept_drift_is_not_feature_drift() -> None:
    reference = river_frame(synth.SEA(variant=0, seed=1), 500)
    window = river_frame(synth.SEA(variant=3, seed=2), 500)
    assert LSDDDetector().fit(reference).score(window).status is Status.NO_DRIFT


def test_small_window_is_insufficient_data_and_errors() -> None:
    rng = np.random.default_rng(2)
    detector = LSDDDetector().fit(frame(rng.normal(size=(100, 2))))
    assert detector.score(frame(rng.normal(size=(1, 2)))).status is Status.INSUFFICIENT_DATA
    with pytest.raises(ConfigurationError):
        LSDDDetector(regularization=0.0)
    with pytest.raises(ConfigurationError):
        LSDDDetector(n_permutations=10)
    with pytest.raises(NotFittedError):
        LSDDDetector().score(frame(np.zeros((40, 2))))
    with pytest.raises(ValidationError):  # not a table
        LSDDDetector().fit("reference")


# -- regression tests of issue 8 ----------------------------------------------------------------


def test_a_large_shift_on_a_small_reference_is_drift_not_an_error() -> None:
    rng = np.random.default_rng(8)
    reference = {f"f{j}": rng.normal(size=28) for j in range(3)}
    window = {f"f{j}": rng.normal(size=72) for j in range(3)}
    window["f0"] = window["f0"] + 2.0
    ks = stats.ks_2samp(reference["f0"], window["f0"])
    assert ks.statistic > 0.7 and ks.pvalue < 1e-9
    result = LSDDDetector().fit(reference).score(window)  # was ValidationError
    assert result.status is Status.DRIFT
    assert result.p_value == 1 / 101
    # 28 rows: 1 kernel centre, 27 rows tested
    assert result.details["n_reference_tested"] == 27
    assert result.details["n_kernel_centers"] == 1


@pytest.mark.parametrize(("n", "m"), [(0, 50), (1, 50), (2, 50), (100, 0), (100, 1)])
def test_too_little_data_is_a_status_not_an_exception(n: int, m: int) -> None:
    rng = np.random.default_rng(0)
    detector = LSDDDetector().fit(frame(rng.normal(size=(n, 2))))
    result = detector.score(frame(rng.normal(size=(m, 2))))
    assert result.status is Status.INSUFFICIENT_DATA
    assert result.p_value is None
    assert result.details["reason"]


def test_repeated_rows_do_not_fail_the_regularization_choice() -> None:
    rng = np.random.default_rng(3)
    levels = np.array(["a", "b", "c"], dtype=object)
    detector = LSDDDetector().fit({"c": rng.choice(levels, 400)})
    assert detector.score({"c": rng.choice(levels, 300)}).status is Status.NO_DRIFT
    shifted = detector.score({"c": rng.choice(levels, 300, p=[0.6, 0.2, 0.2])})
    assert shifted.status is Status.DRIFT
    constant = LSDDDetector().fit({"c": np.array(["a"] * 100, dtype=object)})
    assert constant.score({"c": np.array(["a"] * 80 + ["b"] * 20, dtype=object)}).drifted


def _big(shift: float, seed: int) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    rng = np.random.default_rng(seed)
    reference = {f"f{j}": rng.normal(size=10_000) for j in range(5)}
    window = {f"f{j}": rng.normal(size=200_000) for j in range(5)}
    window["f0"] = window["f0"] + shift
    return reference, window


def test_a_significant_but_immaterial_shift_on_a_huge_window_is_not_drift() -> None:
    """The floor (3e-3) is the LSDD of a 0.13 sd shift of one of 5 features at the sample cap;
    a 0.1 sd shift on a 200k-row window is significant, but below it."""
    reference, window = _big(0.1, seed=1)
    result = LSDDDetector().fit(reference).score(window)
    assert result.p_value is not None and result.p_value < 0.05
    assert 0 < result.effect_size < DEFAULT_MIN_EFFECT_SIZE
    assert result.status is Status.NO_DRIFT  # was drift (min_effect_size=0)
    assert result.details["min_effect_size"] == DEFAULT_MIN_EFFECT_SIZE
    assert result.details["n_window_tested"] == 5_000
    reference, window = _big(0.3, seed=1)
    assert LSDDDetector().fit(reference).score(window).status is Status.DRIFT


def _gaussian_lsdd(detector: LSDDDetector, delta: float) -> float:
    """The population statistic ``h' M h`` of a ``delta`` shift of feature 0 against
    N(0, I), from the closed form of a Gaussian kernel's mean under a normal law."""
    centres, s2 = detector._centers, detector.fitted_bandwidth**2
    d = centres.shape[1]
    scale = (s2 / (s2 + 1.0)) ** (d / 2)
    mu = np.zeros(d)
    mu[0] = delta
    h = scale * (np.exp(-np.sum(centres**2, 1) / (2 * (s2 + 1)))
                 - np.exp(-np.sum((centres - mu) ** 2, 1) / (2 * (s2 + 1))))
    return float(h @ detector._metric @ h)


def test_the_floor_is_a_0_13_sd_shift_of_one_of_5_features_at_the_sample_cap() -> None:
    rng = np.random.default_rng(0)
    detector = LSDDDetector().fit(frame(rng.normal(size=(5_000, 5))))
    assert _gaussian_lsdd(detector, 0.13) == pytest.approx(DEFAULT_MIN_EFFECT_SIZE, rel=0.1)


def test_p_value_effect_and_details() -> None:
    rng = np.random.default_rng(4)
    detector = LSDDDetector(max_samples=300).fit(frame(rng.normal(size=(400, 3))))
    result = detector.score(frame(rng.normal(size=(350, 3)) + 0.2))
    d = result.details
    p = result.p_value
    assert p is not None and p > 0
    assert d["n_permutations"] == 100
    assert d["p_value_mc_error"] == pytest.approx(np.sqrt(p * (1 - p) / 100))
    assert d["bandwidth"] == detector.fitted_bandwidth
    assert d["regularization"] == detector.fitted_regularization
    assert (d["n_reference_rows"], d["n_window_rows"]) == (400, 350)
    assert (d["n_reference_tested"], d["n_window_tested"]) == (300 - 15, 300)
    assert d["n_kernel_centers"] == 15
    assert result.effect_size == pytest.approx(result.statistic - d["statistic_bias"])
    assert result.effect_size >= 0


@pytest.mark.parametrize("kind", ["pandas", "pyarrow"])
def test_dataframes_and_arrow_tables(kind: str) -> None:
    rng = np.random.default_rng(5)
    x = {"a": rng.normal(size=150), "c": rng.choice(np.array(["1", "2.0"], dtype=object), 150)}
    y = {"a": rng.normal(size=120) + 0.8, "c": rng.choice(np.array(["1", "2.0"]), 120)}
    expected = LSDDDetector().fit(x).score(y)
    table = pd.DataFrame if kind == "pandas" else pa.table
    result = LSDDDetector().fit(table(x)).score(table(y))  # pandas was a crash
    assert result == expected
    assert result.drifted


@pytest.mark.slow
@pytest.mark.parametrize(("n", "m"), [(3, 30), (10, 100), (20, 200), (200, 20)])
def test_false_alarm_rate_on_small_and_unequal_samples(n: int, m: int) -> None:
    n_seeds, alpha = 600, 0.05
    rejections = 0
    for seed in range(n_seeds):
        rng = np.random.default_rng(seed)
        detector = LSDDDetector(min_effect_size=0.0, seed=seed)
        detector.fit(frame(rng.standard_t(3, size=(n, 2))))
        rejections += detector.score(frame(rng.standard_t(3, size=(m, 2)))).drifted
    assert rejections / n_seeds <= alpha + 3 * np.sqrt(alpha * (1 - alpha) / n_seeds)
