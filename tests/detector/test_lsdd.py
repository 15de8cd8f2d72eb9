import json
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from river.datasets import synth

from driftline.detector._base import get_detector
from driftline.detector._result import Status
from driftline.detector.lsdd import LSDDDetector
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


def test_statistic_and_p_value_match_alibi() -> None:
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
        p = max(expected["p_value"], 1 / n_perm)
        tolerance = 4.0 * np.sqrt(2.0 * p * (1.0 - p) / n_perm) + 0.02
        assert abs(result.p_value - expected["p_value"]) <= tolerance, name


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
    assert result.statistic == pytest.approx(lsdd(np.arange(len(pooled))), rel=1e-10)
    np.testing.assert_allclose(result.permuted, naive, rtol=1e-10)


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
    assert result.p_value == 0.0


def test_sea_concept_drift_is_not_feature_drift() -> None:
    reference = river_frame(synth.SEA(variant=0, seed=1), 500)
    window = river_frame(synth.SEA(variant=3, seed=2), 500)
    assert LSDDDetector().fit(reference).score(window).status is Status.NO_DRIFT


def test_small_window_is_insufficient_data_and_errors() -> None:
    rng = np.random.default_rng(2)
    detector = LSDDDetector().fit(frame(rng.normal(size=(100, 2))))
    assert detector.score(frame(rng.normal(size=(5, 2)))).status is Status.INSUFFICIENT_DATA
    with pytest.raises(ConfigurationError):
        LSDDDetector(regularization=0.0)
    with pytest.raises(NotFittedError):
        LSDDDetector().score(frame(np.zeros((40, 2))))
    with pytest.raises(ValidationError):
        LSDDDetector().fit(frame(np.zeros((10, 2))))
