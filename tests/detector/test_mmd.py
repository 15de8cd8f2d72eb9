import json
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from river.datasets import synth

from driftline.detector._base import get_detector
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
def test_statistic_and_p_value_match_alibi(case: str) -> None:
    golden, n_perm = GOLDEN[case], GOLDEN["n_permutations"]
    detector = MMDDetector(standardize=False, bandwidth=golden["sigma"], n_permutations=n_perm)
    detector.fit(frame(DATA["reference"]))
    for name in WINDOWS:
        result = detector.test(frame(DATA[name]))
        expected = golden[name]
        assert result.statistic == pytest.approx(expected["statistic"], rel=1e-5), name
        p = expected["p_value"]
        assert abs(result.p_value - p) <= mc_tolerance(max(p, 1 / n_perm), n_perm), name


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
    assert result.p_value == np.mean(observed <= np.array(naive))


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
    assert result.p_value == 0.0
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
    with pytest.raises(NotFittedError):
        MMDDetector().score(frame(np.zeros((40, 2))))
    with pytest.raises(ValidationError):
        MMDDetector().fit(frame(np.zeros((10, 2))))
    assert get_detector("mmd", alpha=0.01).name == "mmd"
