"""Chi-squared homogeneity equals scipy.stats.chi2_contingency(correction=False)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import chi2_contingency

from driftline.detector import Chi2Detector
from driftline.detector.chi2 import UNSEEN
from driftline.errors import ValidationError


def _column(rng: np.random.Generator, categories: list[str], p: list[float], n: int) -> np.ndarray:
    return rng.choice(np.asarray(categories, dtype=object), size=n, p=p)


@pytest.mark.parametrize("seed", range(5))
def test_matches_scipy_with_unseen_bucket(seed: int) -> None:
    rng = np.random.default_rng(seed)
    ref = _column(rng, ["a", "b", "c"], [0.5, 0.3, 0.2], 400)
    win = _column(rng, ["a", "b", "c", "new"], [0.4, 0.3, 0.2, 0.1], 300)
    detector = Chi2Detector(correction="none").fit({"c": ref})
    feature = detector.score({"c": win}).features[0]
    table = np.array(
        [
            [np.sum(ref == k) for k in ["a", "b", "c", "new"]],
            [np.sum(win == k) for k in "abc"] + [np.sum(win == "new")],
        ]
    )
    expected = chi2_contingency(table, correction=False)
    assert feature.statistic == pytest.approx(expected.statistic, rel=1e-9)
    assert feature.p_value == pytest.approx(expected.pvalue, abs=1e-9)
    assert feature.effect_size == pytest.approx(math.sqrt(expected.statistic / table.sum()))
    assert detector.unseen_categories({"c": win}) == {"c": ("new",)}


def test_window_without_unseen_values_drops_the_empty_column() -> None:
    rng = np.random.default_rng(9)
    ref = _column(rng, ["x", "y"], [0.5, 0.5], 200)
    win = _column(rng, ["x", "y"], [0.7, 0.3], 200)
    feature = Chi2Detector(correction="none").fit({"c": ref}).score({"c": win}).features[0]
    table = [[np.sum(ref == "x"), np.sum(ref == "y")], [np.sum(win == "x"), np.sum(win == "y")]]
    assert feature.p_value == pytest.approx(chi2_contingency(table, correction=False).pvalue)


def test_missing_values_are_dropped_or_counted() -> None:
    ref = np.array(["a"] * 50 + ["b"] * 50, dtype=object)
    win = np.array(["a"] * 50 + ["b"] * 50 + [None] * 40, dtype=object)
    dropped = Chi2Detector().fit({"c": ref}).score({"c": win})
    assert dropped.features[0].n_window == 100
    assert dropped.features[0].statistic == 0.0
    counted = Chi2Detector(count_missing=True).fit({"c": ref}).score({"c": win})
    assert counted.features[0].n_window == 140
    assert counted.drifted  # 40 missing values the reference never had


def test_reserved_category_is_rejected() -> None:
    with pytest.raises(ValidationError, match=UNSEEN):
        Chi2Detector().fit({"c": np.array(["a", UNSEEN], dtype=object)})


def test_score_counts_equals_score_and_checks_the_shape() -> None:
    rng = np.random.default_rng(3)
    reference = {"c": rng.choice(["a", "b", "c"], 500).astype(object)}
    window = {"c": rng.choice(["a", "b", "z"], 300, p=[0.5, 0.3, 0.2]).astype(object)}
    detector = Chi2Detector().fit(reference)
    counts = {"c": detector.window_counts("c", detector._clean_column("c", window["c"]))}
    assert detector.score_counts(counts) == detector.score(window)
    with pytest.raises(ValidationError, match="expected 4 counts"):
        detector.score_counts({"c": [1.0, 2.0]})


# -- issue 8: numeric features, small expected counts ---------------------------------------


def test_a_float_column_is_refused_not_read_as_248_categories() -> None:
    # issue 8: chi2 on a float column made every distinct value a category (Cramér's V ~0.5,
    # "drift" on a continuous feature with no shift at all)
    rng = np.random.default_rng(0)
    with pytest.raises(ValidationError, match="'temp' is numeric") as info:
        Chi2Detector().fit({"temp": rng.normal(size=300)})
    assert info.value.field == "temp"


def test_numeric_features_are_binned_only_when_asked() -> None:
    rng = np.random.default_rng(1)
    detector = Chi2Detector(n_bins=10).fit({"temp": rng.normal(size=3000)})
    assert detector.numeric_bin_edges["temp"].size == 9
    assert not detector.score({"temp": rng.normal(size=3000)}).drifted
    assert detector.score({"temp": rng.normal(0.5, size=3000)}).drifted


def test_numeric_looking_strings_stay_categories() -> None:
    codes = np.array(["1.0", "2.0", "3.0"] * 40)
    detector = Chi2Detector().fit({"code": codes})
    assert detector.categories["code"] == ("1.0", "2.0", "3.0")


def test_small_expected_counts_use_a_permutation_p_value() -> None:
    ref = np.array(["a"] * 40 + ["b"] * 2)
    win = np.array(["a"] * 8 + ["b"] * 2)
    feature = Chi2Detector().fit({"c": ref}).score({"c": win}).features[0]
    assert feature.details["p_value_method"] == "permutation"
    assert feature.details["n_permutations"] == 2000
    assert 0.0 < feature.details["p_value_mc_error"] < 0.02
    # oracle: the exact permutation p-value, summing the hypergeometric law of the window's
    # "b" count over the tables whose Pearson statistic is at least the observed one
    from scipy.stats import chi2_contingency as chi2c
    from scipy.stats import hypergeom

    def stat(b: int) -> float:
        table = [[40 + 8 - (10 - b), 2 + 2 - b], [10 - b, b]]
        return float(chi2c(table, correction=False).statistic)

    law = hypergeom(52, 4, 10)
    exact = sum(law.pmf(b) for b in range(5) if stat(b) >= stat(2) - 1e-9)
    assert feature.p_value is not None
    assert abs(feature.p_value - exact) < 4 * feature.details["p_value_mc_error"] + 1e-3
    again = Chi2Detector().fit({"c": ref}).score({"c": win}).features[0]
    assert again.p_value == feature.p_value  # seeded


@pytest.mark.slow
def test_rare_categories_on_small_windows_keep_the_false_alarm_rate() -> None:
    # with rare levels the asymptotic p-value is anti-conservative at small windows; the
    # permutation p-value keeps the rejection rate at or below alpha
    from scipy.stats import binom
    levels = np.array(["a", "b", "c", "d", "e", "f"])
    probs = np.array([0.6, 0.3, 0.05, 0.03, 0.01, 0.01])
    rng = np.random.default_rng(2)
    n_seeds, alarms = 300, 0
    for _ in range(n_seeds):
        ref = rng.choice(levels, size=200, p=probs)
        win = rng.choice(levels, size=25, p=probs)
        detector = Chi2Detector(min_effect_size=0.0, n_permutations=500)
        alarms += detector.fit({"c": ref}).score({"c": win}).drifted
    assert alarms <= binom.ppf(1 - 1e-3, n_seeds, 0.05)


def test_levels_the_reference_missed_do_not_read_as_drift() -> None:
    # found by the registry's calibration suite: lumping every level the reference happened to
    # miss into one all-window column false-alarmed in 26% of no-drift Zipf windows
    from scipy.stats import binom
    rng = np.random.default_rng(3)
    levels = np.array([f"l{i}" for i in range(1, 200)], dtype=object)
    p = 1.0 / np.arange(1, 200) ** 1.3
    p /= p.sum()
    n_seeds, alarms, via_counts = 100, 0, 0
    for _ in range(n_seeds):
        ref, win = rng.choice(levels, 100, p=p), rng.choice(levels, 100, p=p)
        detector = Chi2Detector().fit({"c": ref})
        alarms += detector.score({"c": win}).drifted
        counts = {"c": detector.window_counts("c", win.astype(str))}
        unseen = {"c": detector.unseen_level_counts("c", win.astype(str))}
        via_counts += detector.score_counts(counts, unseen).drifted
    assert alarms == via_counts
    assert alarms <= binom.ppf(1 - 1e-3, n_seeds, 0.05)
