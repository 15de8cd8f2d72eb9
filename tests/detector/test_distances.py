"""Distance detectors: values against scipy formulas, binning convention, score_counts."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import jensenshannon
from scipy.stats import wasserstein_distance

from driftline.detector import (
    HellingerDetector,
    JensenShannonDetector,
    LInfinityDetector,
    PSIDetector,
    Status,
    WassersteinDetector,
    get_detector,
)
from driftline.errors import ConfigurationError, ValidationError

BINNED = ["psi", "jensen_shannon", "hellinger", "linf"]


@pytest.fixture
def data() -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    rng = np.random.default_rng(0)
    colors = np.array(["red", "green", "blue"], dtype=object)
    ref = {"x": rng.normal(size=2000), "c": rng.choice(colors, 2000, p=[0.5, 0.3, 0.2])}
    win = {"x": rng.normal(0.5, size=1000), "c": rng.choice(colors, 1000, p=[0.2, 0.3, 0.5])}
    win["c"][:50] = "purple"  # unseen in the reference
    return ref, win


def _proportions(detector: PSIDetector, ref: np.ndarray, win: np.ndarray, feature: str):  # type: ignore[no-untyped-def]
    p = detector.window_counts(feature, ref)
    q = detector.window_counts(feature, win)
    return p / p.sum(), q / q.sum()


def test_numeric_bins_follow_the_documented_searchsorted_convention(data) -> None:  # type: ignore[no-untyped-def]
    ref, win = data
    detector = PSIDetector(n_bins=10).fit(ref)
    edges = detector.bin_edges["x"]
    np.testing.assert_allclose(edges, np.quantile(ref["x"], np.arange(1, 10) / 10))
    counts = detector.window_counts("x", win["x"])
    manual = [np.sum(edges <= x) for x in win["x"]]  # bin = number of edges <= x
    np.testing.assert_array_equal(counts, np.bincount(manual, minlength=10))
    assert detector.categories["c"] == ("blue", "green", "red")
    assert detector.window_counts("c", win["c"])[-1] == 50  # the unseen bucket


def test_values_match_reference_formulas(data) -> None:  # type: ignore[no-untyped-def]
    ref, win = data
    for feature in ("x", "c"):
        psi = PSIDetector().fit(ref)
        p, q = _proportions(psi, ref[feature], win[feature], feature)
        ps, qs = np.where(p == 0, 1e-4, p), np.where(q == 0, 1e-4, q)
        expected = {
            "psi": np.sum((qs - ps) * np.log(qs / ps)),
            "jensen_shannon": jensenshannon(p, q, base=2),
            "hellinger": np.sqrt(1 - np.sum(np.sqrt(p * q))),
            "linf": np.max(np.abs(p - q)),
        }
        for name, value in expected.items():
            result = get_detector(name).fit(ref).score(win)
            feature_result = next(f for f in result.features if f.feature == feature)
            assert feature_result.statistic == pytest.approx(value, abs=1e-12), name
            assert feature_result.p_value is None
            assert feature_result.effect_size == feature_result.statistic


@pytest.mark.parametrize("name", BINNED)
def test_score_counts_equals_score(name: str, data) -> None:  # type: ignore[no-untyped-def]
    ref, win = data
    detector = get_detector(name).fit(ref)
    assert isinstance(
        detector, PSIDetector | JensenShannonDetector | HellingerDetector | LInfinityDetector
    )
    counts = {f: detector.window_counts(f, win[f]) for f in detector.features}
    assert detector.score_counts(counts) == detector.score(win)
    assert detector.score(win).status is Status.DRIFT


def test_default_thresholds() -> None:
    thresholds = {name: get_detector(name).threshold for name in [*BINNED, "wasserstein"]}  # type: ignore[attr-defined]
    assert thresholds == {
        "psi": 0.2,
        "jensen_shannon": 0.1,
        "hellinger": 0.1,
        "linf": 0.3,
        "wasserstein": 0.1,
    }


def test_no_drift_on_the_same_distribution() -> None:
    rng = np.random.default_rng(7)
    ref, win = {"x": rng.normal(size=5000)}, {"x": rng.normal(size=5000)}
    for name in [*BINNED, "wasserstein"]:
        assert get_detector(name).fit(ref).score(win).status is Status.NO_DRIFT, name


def test_wasserstein_is_normalized_by_reference_std() -> None:
    rng = np.random.default_rng(8)
    ref, win = rng.normal(scale=3.0, size=500), rng.normal(1.0, 3.0, size=400)
    feature = WassersteinDetector().fit({"x": ref}).score({"x": win}).features[0]
    assert feature.statistic == pytest.approx(wasserstein_distance(ref, win) / np.std(ref))
    assert feature.drifted
    with pytest.raises(ConfigurationError, match="raw values"):
        WassersteinDetector().fit({"x": ref}).score_counts({"x": [1, 2]})
    with pytest.raises(ValidationError, match="categorical"):
        WassersteinDetector().fit({"c": np.array(["a", "b"], dtype=object)})


def test_bad_counts_name_the_feature(data) -> None:  # type: ignore[no-untyped-def]
    ref, _ = data
    detector = PSIDetector().fit(ref)
    with pytest.raises(ValidationError, match="'x'"):
        detector.score_counts({"x": [1.0, 2.0], "c": [1.0, 1.0, 1.0, 0.0]})
    with pytest.raises(ValidationError, match="'c'"):
        detector.score_counts({"x": np.ones(10)})


def test_small_windows_are_insufficient(data) -> None:  # type: ignore[no-untyped-def]
    ref, win = data
    small = {f: v[:20] for f, v in win.items()}
    assert PSIDetector().fit(ref).score(small).status is Status.INSUFFICIENT_DATA


@pytest.mark.parametrize(
    ("settings", "name"),
    [({"threshold": -1}, "threshold"), ({"n_bins": 1}, "n_bins"), ({"epsilon": 0}, "epsilon")],
)
def test_bad_settings_name_the_setting(settings: dict[str, float], name: str) -> None:
    with pytest.raises(ConfigurationError, match=name):
        PSIDetector(**settings)  # type: ignore[arg-type]
