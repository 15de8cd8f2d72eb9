"""Wasserstein-1 divided by the reference std: scipy's value, raw values only, numeric only,
the default threshold, no drift on the same distribution, the permutation p-value."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import permutation_test, wasserstein_distance

from driftline.detector import Status, WassersteinDetector, get_detector
from driftline.detector.distances.wasserstein import wasserstein_1
from driftline.errors import ConfigurationError, ValidationError
from tests.detector.distances.conftest import same_distribution


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


def test_a_constant_reference_gives_zero_or_infinity() -> None:
    ref = {"x": np.full(100, 2.0)}
    detector = WassersteinDetector().fit(ref)
    assert detector.score({"x": np.full(50, 2.0)}).features[0].statistic == 0.0
    moved = detector.score({"x": np.full(50, 2.5)}).features[0]
    assert (moved.statistic, moved.status) == (float("inf"), Status.DRIFT)


def test_a_categorical_window_names_the_feature() -> None:
    detector = WassersteinDetector().fit({"x": np.arange(100.0)})
    with pytest.raises(ValidationError, match="'x' is categorical") as caught:
        detector.score({"x": np.array(["a"] * 100, dtype=object)})
    assert caught.value.field == "x"


def test_default_threshold_and_capabilities() -> None:
    detector = get_detector("wasserstein")
    assert isinstance(detector, WassersteinDetector)
    assert detector.threshold == 0.1
    assert not detector.capabilities.scores_from_counts


def test_no_drift_on_the_same_distribution() -> None:
    ref, win = same_distribution()
    assert WassersteinDetector().fit(ref).score(win).status is Status.NO_DRIFT


def test_w1_equals_scipy_with_ties_and_unequal_sizes() -> None:
    rng = np.random.default_rng(2)
    ref, win = np.round(rng.normal(size=700), 1), np.round(rng.normal(0.2, size=90), 1)
    assert wasserstein_1(np.sort(ref), win) == pytest.approx(wasserstein_distance(ref, win))


def _scipy_permutation_p(ref: np.ndarray, win: np.ndarray, resamples: int) -> float:
    def statistic(w: np.ndarray, r: np.ndarray) -> float:
        return float(wasserstein_distance(r, w) / np.std(r))
    return float(permutation_test((win, ref), statistic, n_resamples=resamples,
                                  alternative="greater", permutation_type="independent",
                                  random_state=0).pvalue)


@pytest.mark.parametrize(("n_ref", "n_win", "shift"), [(60, 60, 0.0), (80, 40, 0.6),
                                                       (40, 300, 0.3)])
def test_the_p_value_is_scipys_permutation_test(n_ref: int, n_win: int, shift: float) -> None:
    # heavy tails: the case a bootstrap from the reference got wrong (13-15% false alarms)
    rng = np.random.default_rng(n_ref + n_win)
    ref, win = rng.standard_t(2, size=n_ref), rng.standard_t(2, size=n_win) + shift
    found = WassersteinDetector(n_permutations=4000).fit({"x": ref}).score({"x": win})
    feature = found.features[0]
    expected = _scipy_permutation_p(ref, win, 4000)
    # Monte-Carlo error of two independent estimates, ~4 standard errors
    assert feature.p_value == pytest.approx(expected, abs=4 * np.sqrt(2 * 0.25 / 4000) + 1e-3)
    assert feature.details["p_value_method"] == "permutation"
    assert feature.details["atoms"] == n_ref + n_win  # distinct values: the exact test


def test_the_sequential_test_stops_early_only_for_a_clear_no_drift() -> None:
    rng = np.random.default_rng(5)
    ref = rng.normal(size=300)
    detector = WassersteinDetector().fit({"x": ref})
    quiet = detector.score({"x": rng.normal(size=300)}).features[0]
    assert quiet.details["n_permutations"] < detector.permutations  # stopped: h / L
    h = int(np.floor(detector.permutations * 0.05)) + 1
    assert quiet.p_value == pytest.approx(h / quiet.details["n_permutations"])
    assert quiet.p_value > 0.05 and quiet.status is Status.NO_DRIFT
    moved = detector.score({"x": rng.normal(1.0, size=300)}).features[0]
    assert moved.details["n_permutations"] == detector.permutations == 1000
    assert moved.p_value == 1 / 1001 and moved.status is Status.DRIFT
    assert detector.score({"x": ref[::-1]}).features[0].p_value == 1.0  # h deals, h hits
    # B grows with the features (a smallest p of at most level / 4)
    wide = WassersteinDetector().fit({f"x{i}": ref for i in range(20)})
    assert wide.permutations == 1600


def test_a_large_sample_is_grouped_into_atoms_with_ties_kept_together() -> None:
    rng = np.random.default_rng(6)
    ref = np.round(rng.gamma(2.0, size=3000), 2)
    win = np.round(rng.gamma(2.0, size=1500), 2)
    detector = WassersteinDetector(max_atoms=200).fit({"x": ref})
    atoms, pooled, window = detector._atoms(np.sort(ref), win)
    assert atoms.size <= 200 and np.all(np.diff(atoms) > 0)
    assert pooled.sum() == 4500 and window.sum() == 1500 and np.all(window <= pooled)
    # each distinct value lies in one group: group edges fall between distinct values
    values = np.unique(np.concatenate((ref, win)))
    assert atoms.size < values.size
    found = detector.score({"x": win}).features[0]
    assert found.statistic == pytest.approx(wasserstein_distance(ref, win) / np.std(ref))
    assert found.status is Status.NO_DRIFT


def test_bad_max_atoms_is_named() -> None:
    with pytest.raises(ConfigurationError, match="max_atoms"):
        WassersteinDetector(max_atoms=10)
