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
from driftline.detector._frames import as_columns
from driftline.detector._result import Status
from driftline.detector.mmd import (
    MMDDetector,
    gaussian_kernel,
    median_bandwidth,
    permutation_indices,
)
from driftline.errors import ConfigurationError, NotFittedError, ValidationError

GOLDEN = json.loads((Path(__file__).parent / "golden" / "alibi_mmd_lsdd.json").read_text())
DATA = {name: np.array(rows) for name, rows in GOLDEN["data"].items()}
WINDOWS = ("no_drift", "small_shift", "large_shift")


def frame(x: np.ndarray) -> dict[str, np.ndarray]:
    return {f"f{j}": x[:, j] for j in range(x.shape[1])}


def river_frame(stream: Any, n: int) -> dict[str, np.ndarray]:
    rows = [x for x, _ in islice(stream, n)]
    return {str(k): np.array([r[k] for r in rows], dtype=np.float64) for k in rows[0]}


def mc_tolerance(p: float, n_permutations: int) -> float:
    """Both p-values are Monte-Carlo estimates from ``n_permutations`` permutations."""
    return 4.0 * float(np.sqrt(2.0 * p * (1.0 - p) / n_permutations)) + 0.02


def naive_mmd2(kernel: np.ndarray, idx: np.ndarray, n: int, biased: bool) -> float:
    k = kernel[np.ix_(idx, idx)]
    kxx, kyy, kxy = k[:n, :n], k[n:, n:], k[:n, n:]
    m = len(idx) - n
    if biased:
        return float(kxx.mean() + kyy.mean() - 2 * kxy.mean())
    return float(
        (kxx.sum() - np.trace(kxx)) / (n * (n - 1))
        + (kyy.sum() - np.trace(kyy)) / (m * (m - 1))
        - 2 * kxy.mean()
    )


def test_median_heuristic_matches_alibi() -> None:
    # alibi stores the inferred sigma in a float32 parameter
    assert median_bandwidth(DATA["reference"]) == pytest.approx(
        GOLDEN["mmd_median_sigma"]["sigma"], rel=1e-6
    )


@pytest.mark.parametrize("case", ["mmd_median_sigma", "mmd_fixed_sigma"])
def test_statistic_permutations_and_p_value_match_alibi(case: str) -> None:
    golden, n_perm = GOLDEN[case], GOLDEN["n_permutations"]
    detector = MMDDetector(standardize=False, bandwidth=golden["sigma"], n_permutations=n_perm)
    detector.fit(frame(DATA["reference"]))
    for name in WINDOWS:
        result = detector.test(frame(DATA[name]))
        expected = golden[name]
        assert result.statistic == pytest.approx(expected["statistic"], rel=1e-5), name
        # ours is (k + 1) / (B + 1), alibi's k / B (``mean(stat <= permuted)``); both are
        # Monte-Carlo estimates from different permutations
        k = round(result.p_value * (n_perm + 1) - 1)
        assert result.p_value == (k + 1) / (n_perm + 1)
        p = expected["p_value"]
        assert abs(k / n_perm - p) <= mc_tolerance(max(p, 1 / n_perm), n_perm), name
        # the permutation distributions agree: alibi's distance threshold (its upper alpha
        # quantile) cuts off about alpha of ours
        above = float(np.mean(result.permuted >= expected["distance_threshold"]))
        assert abs(above - 0.05) <= mc_tolerance(0.05, n_perm), name


@pytest.mark.parametrize("estimator", ["unbiased", "biased"])
@pytest.mark.parametrize("cache_bytes", [2**28, 0])
def test_batched_permutations_equal_a_naive_loop(estimator: Any, cache_bytes: int) -> None:
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(70, 4)), rng.normal(size=(50, 4)) + 0.2
    detector = MMDDetector(
        standardize=False,
        estimator=estimator,
        n_permutations=40,
        min_samples=10,
        kernel_cache_bytes=cache_bytes,
        block_bytes=12 * 70 * 7,  # several row blocks per kernel block
        seed=5,
    ).fit(frame(x))
    result = detector.test(frame(y))
    kernel = gaussian_kernel(np.vstack([x, y]), np.vstack([x, y]), detector.fitted_bandwidth)
    biased = estimator == "biased"
    observed = naive_mmd2(kernel, np.arange(120), 70, biased)
    naive = [naive_mmd2(kernel, p, 70, biased) for p in permutation_indices(120, 40, 5)]
    assert result.statistic == pytest.approx(observed, rel=1e-6)
    np.testing.assert_allclose(result.permuted, naive, rtol=0, atol=1e-7)
    k = int(np.sum(np.array(naive) >= observed))
    assert result.p_value == (k + 1) / 41


def test_false_alarm_rate_is_controlled() -> None:
    n_seeds, alpha = 120, 0.05
    rejections = 0
    for seed in range(n_seeds):
        rng = np.random.default_rng(seed)
        detector = MMDDetector(alpha=alpha, min_effect_size=0.0, seed=seed)
        detector.fit(frame(rng.normal(size=(40, 3))))
        rejections += detector.score(frame(rng.normal(size=(40, 3)))).drifted
    assert rejections / n_seeds <= alpha + 3 * np.sqrt(alpha * (1 - alpha) / n_seeds)


def test_random_rbf_feature_drift_is_detected() -> None:
    reference = river_frame(synth.RandomRBF(seed_model=1, seed_sample=1, n_features=5), 500)
    window = river_frame(synth.RandomRBF(seed_model=2, seed_sample=1, n_features=5), 500)
    result = get_detector("mmd").fit(reference).score(window)
    assert result.status is Status.DRIFT
    assert result.p_value == 1 / 101  # no permutation reaches the observed statistic
    assert result.effect_size > 1e-3


def test_sea_concept_drift_is_not_feature_drift() -> None:
    reference = river_frame(synth.SEA(variant=0, seed=1), 500)
    window = river_frame(synth.SEA(variant=3, seed=2), 500)
    result = MMDDetector().fit(reference).score(window)
    assert result.status is Status.NO_DRIFT


def test_categorical_shift_is_detected_and_result_is_deterministic() -> None:
    rng = np.random.default_rng(0)
    reference = {"x": rng.normal(size=300), "c": rng.choice(["a", "b", "c"], 300)}
    window = {"x": rng.normal(size=300), "c": rng.choice(["a", "b", "c", "new"], 300)}
    detector = MMDDetector().fit(reference)
    first, second = detector.score(window), detector.score(window)
    assert first == second
    assert first.drifted
    assert first.n_reference == 300
    assert first.n_window == 300


def test_large_inputs_are_subsampled_to_max_samples() -> None:
    rng = np.random.default_rng(1)
    detector = MMDDetector(max_samples=100).fit(frame(rng.normal(size=(400, 2))))
    result = detector.score(frame(rng.normal(size=(250, 2))))
    assert (result.n_reference, result.n_window) == (100, 100)


def test_small_window_is_insufficient_data() -> None:
    rng = np.random.default_rng(2)
    detector = MMDDetector(min_samples=30).fit(frame(rng.normal(size=(100, 2))))
    result = detector.score(frame(rng.normal(size=(29, 2))))
    assert result.status is Status.INSUFFICIENT_DATA
    assert result.p_value is None


def test_errors() -> None:
    with pytest.raises(ConfigurationError):
        MMDDetector(alpha=1.5)
    with pytest.raises(ConfigurationError):
        MMDDetector(estimator="other")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="never give a p-value below"):
        MMDDetector(n_permutations=19)  # 1/20 is not below 0.05
    with pytest.raises(ConfigurationError):
        MMDDetector(min_samples=1)
    with pytest.raises(NotFittedError):
        MMDDetector().score(frame(np.zeros((40, 2))))
    with pytest.raises(ValidationError):  # not a table
        MMDDetector().fit([1.0, 2.0])
    detector = MMDDetector().fit(frame(np.zeros((10, 2))))
    with pytest.raises(ValidationError, match="lacks fitted feature"):
        detector.score({"f0": np.zeros(10)})
    with pytest.raises(ValidationError, match="too little data"):
        detector.test(frame(np.zeros((1, 2))))
    assert get_detector("mmd", alpha=0.01).name == "mmd"
    assert MMDDetector(n_permutations=20).n_permutations == 20


# -- regression tests of issue 8 ----------------------------------------------------------------


def small_reference_large_shift() -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """28 reference rows against 72 window rows, feature f0 shifted by 2 sd."""
    rng = np.random.default_rng(8)
    reference = {f"f{j}": rng.normal(size=28) for j in range(3)}
    window = {f"f{j}": rng.normal(size=72) for j in range(3)}
    window["f0"] = window["f0"] + 2.0
    return reference, window


def test_a_large_shift_on_a_small_reference_is_drift_not_an_error() -> None:
    reference, window = small_reference_large_shift()
    ks = stats.ks_2samp(reference["f0"], window["f0"])
    assert ks.statistic > 0.7 and ks.pvalue < 1e-9  # a large shift by any measure
    result = MMDDetector().fit(reference).score(window)  # was ValidationError (min_samples=30)
    assert result.status is Status.DRIFT
    assert result.p_value == 1 / 101
    assert result.details["encoding"] == "pooled"  # a small reference: see the next test


@pytest.mark.parametrize(("n", "m"), [(0, 50), (1, 50), (100, 0), (100, 1), (3, 3), (1, 1)])
def test_too_little_data_is_a_status_not_an_exception(n: int, m: int) -> None:
    rng = np.random.default_rng(0)
    detector = MMDDetector().fit(frame(rng.normal(size=(n, 2))))
    result = detector.score(frame(rng.normal(size=(m, 2))))
    assert result.status is Status.INSUFFICIENT_DATA
    assert result.p_value is None
    assert result.details["reason"]


def test_the_smallest_testable_sizes_follow_from_alpha() -> None:
    """At alpha 0.05 the test can reject with 4 rows per side (C(8, 4) = 70 splits), not 3
    (C(6, 3) = 20), and with 2 window rows against 8 reference rows (C(10, 2) = 45)."""
    rng = np.random.default_rng(1)
    far = rng.normal(size=(4, 2)) + 10.0
    result = MMDDetector().fit(frame(rng.normal(size=(4, 2)))).score(frame(far))
    assert result.status is Status.DRIFT
    result = MMDDetector().fit(frame(rng.normal(size=(8, 2)))).score(frame(far[:2]))
    assert result.status is Status.DRIFT
    result = MMDDetector().fit(frame(rng.normal(size=(7, 2)))).score(frame(far[:2]))
    assert result.status is Status.INSUFFICIENT_DATA  # C(9, 2) = 36 <= 2 / alpha


def test_identical_reference_rows_do_not_fail() -> None:
    detector = MMDDetector().fit({"c": np.array(["a"] * 60, dtype=object)})
    same = detector.score({"c": np.array(["a"] * 60, dtype=object)})
    other = detector.score({"c": np.array(["a"] * 30 + ["b"] * 30, dtype=object)})
    assert same.status is Status.NO_DRIFT
    assert other.status is Status.DRIFT
    assert other.details["bandwidth_source"] == "fallback"


def test_p_value_is_never_zero_and_effect_size_is_never_negative() -> None:
    rng = np.random.default_rng(5)
    detector = MMDDetector(n_permutations=200).fit(frame(rng.normal(size=(300, 3))))
    negative = None
    for _ in range(20):  # find a no-drift window whose unbiased MMD^2 is below 0
        result = detector.score(frame(rng.normal(size=(300, 3))))
        if result.statistic < 0:
            negative = result
            break
    assert negative is not None
    assert negative.effect_size == 0.0  # was the negative statistic
    assert negative.status is Status.NO_DRIFT
    drifted = detector.score(frame(rng.normal(size=(300, 3)) + 1.0))
    assert drifted.p_value == 1 / 201  # was 0.0
    assert drifted.effect_size == drifted.statistic > 0
    test = detector.test(frame(rng.normal(size=(300, 3)) + 0.1))
    k = int(np.sum(test.permuted >= test.statistic))
    assert test.p_value == (k + 1) / 201


def test_biased_estimator_reports_the_unbiased_effect() -> None:
    rng = np.random.default_rng(6)
    x, y = frame(rng.normal(size=(200, 2))), frame(rng.normal(size=(200, 2)) + 0.5)
    biased = MMDDetector(estimator="biased").fit(x).score(y)
    unbiased = MMDDetector().fit(x).score(y)
    assert biased.statistic > unbiased.statistic  # the V-statistic's positive bias
    assert biased.effect_size == pytest.approx(unbiased.effect_size, rel=1e-12)


def test_details_let_a_reader_judge_a_borderline_verdict() -> None:
    rng = np.random.default_rng(7)
    detector = MMDDetector(max_samples=150).fit(frame(rng.normal(size=(400, 3))))
    result = detector.score(frame(rng.normal(size=(250, 3)) + 0.15))
    d = result.details
    assert d["n_permutations"] == 100
    p = result.p_value
    assert p is not None
    assert d["p_value_mc_error"] == pytest.approx(np.sqrt(p * (1 - p) / 100))
    assert d["bandwidth"] == detector.fitted_bandwidth > 0
    assert d["bandwidth_source"] == "median_heuristic"
    assert (d["n_reference_rows"], d["n_window_rows"]) == (400, 250)
    assert (d["n_reference_tested"], d["n_window_tested"]) == (150, 150)
    assert d["min_effect_size"] == 1e-3
    assert d["mmd2_unbiased"] == result.statistic
    assert np.isfinite(d["distance_threshold"])


def _tables() -> tuple[np.ndarray, np.ndarray, list[str]]:
    rng = np.random.default_rng(9)
    x = rng.normal(size=(120, 2))
    y = rng.normal(size=(100, 2)) + np.array([0.6, 0.0])
    return x, y, ["a", "b"]


def _structured(x: np.ndarray, names: list[str]) -> np.ndarray:
    out = np.empty(len(x), dtype=[(name, np.float64) for name in names])
    for j, name in enumerate(names):
        out[name] = x[:, j]
    return out


def frame_named(x: np.ndarray, names: list[str]) -> dict[str, np.ndarray]:
    return {name: x[:, j] for j, name in enumerate(names)}


@pytest.mark.parametrize("kind", ["pandas", "pyarrow", "structured", "named_2d"])
def test_tables_of_every_supported_shape_give_the_same_result(kind: str) -> None:
    x, y, names = _tables()
    expected = MMDDetector().fit(frame_named(x, names)).score(frame_named(y, names))
    tables: dict[str, Any] = {
        # pandas was "The truth value of a DataFrame is ambiguous"
        "pandas": lambda a: pd.DataFrame(a, columns=names),
        "pyarrow": lambda a: pa.table(frame_named(a, names)),
        "structured": lambda a: _structured(a, names),
        "named_2d": lambda a: as_columns(a, names=names),  # the adapter names a 2-D array
    }
    table = tables[kind]
    result = MMDDetector().fit(table(x)).score(table(y))
    assert result == expected
    assert result.status is Status.DRIFT


def test_a_2d_array_without_names_is_refused_with_a_reason() -> None:
    x, _, _ = _tables()
    with pytest.raises(ValidationError, match="names"):
        MMDDetector().fit(x)


def test_numeric_looking_strings_are_categories() -> None:
    rng = np.random.default_rng(10)
    codes = np.array(["1.0", "2.0", "10.0"], dtype=object)
    reference = pd.DataFrame({"code": rng.choice(codes, 200), "x": rng.normal(size=200)})
    window = pd.DataFrame({"code": rng.choice(codes, 200, p=[0.2, 0.2, 0.6]),
                           "x": rng.normal(size=200)})
    detector = MMDDetector().fit(reference)
    encoder = detector._fitted_encoder()
    assert encoder.n_columns == 3 + 1 + 1  # one-hot codes + unseen, x
    assert detector.score(window).status is Status.DRIFT
    with pytest.raises(ValidationError, match="'code'"):
        detector.score({"code": rng.normal(size=50), "x": rng.normal(size=50)})


@pytest.mark.slow
@pytest.mark.parametrize(("n", "m"), [(3, 30), (5, 5), (10, 100), (20, 200), (200, 20)])
def test_false_alarm_rate_on_small_and_unequal_samples(n: int, m: int) -> None:
    """Exact at every size: references under POOLED_BELOW rows are encoded with the window
    (a reference-fitted scale gave 15% false alarms for 2 reference rows against 50)."""
    n_seeds, alpha = 600, 0.05
    rejections = 0
    for seed in range(n_seeds):
        rng = np.random.default_rng(seed)
        detector = MMDDetector(min_effect_size=0.0, seed=seed)
        detector.fit(frame(rng.standard_t(3, size=(n, 2))))
        rejections += detector.score(frame(rng.standard_t(3, size=(m, 2)))).drifted
    assert rejections / n_seeds <= alpha + 3 * np.sqrt(alpha * (1 - alpha) / n_seeds)
