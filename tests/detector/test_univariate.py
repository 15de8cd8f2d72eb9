"""The per-feature template: corrections, verdict logic, min_samples, min_effect_size."""

from __future__ import annotations

import numpy as np
import pytest

from driftline.detector import KSDetector, Status, correct_p_values
from driftline.errors import ConfigurationError, ValidationError


def test_bonferroni_multiplies_by_the_number_of_tests() -> None:
    np.testing.assert_allclose(correct_p_values([0.01, 0.02, 0.5], "bonferroni"), [0.03, 0.06, 1])


def test_benjamini_hochberg_matches_the_step_up_rule() -> None:
    p = [0.01, 0.04, 0.03, 0.005, 0.5]
    # sorted: 0.005 0.01 0.03 0.04 0.5 -> x5/rank: 0.025 0.025 0.05 0.05 0.5, then running min
    expected = [0.025, 0.05, 0.05, 0.025, 0.5]
    np.testing.assert_allclose(correct_p_values(p, "fdr"), expected)


def test_no_correction_and_empty_input() -> None:
    np.testing.assert_allclose(correct_p_values([0.2, 0.7], "none"), [0.2, 0.7])
    assert correct_p_values([], "fdr").size == 0


def _two_features(rng: np.random.Generator, n: int) -> tuple[dict[str, np.ndarray], ...]:
    ref = {"a": rng.normal(size=n), "b": rng.normal(size=n)}
    win = {"a": rng.normal(size=n), "b": rng.normal(0.25, size=n)}
    return ref, win


@pytest.mark.parametrize("correction", ["bonferroni", "fdr", "none"])
def test_reported_p_values_are_corrected(correction: str) -> None:
    rng = np.random.default_rng(1)
    ref, win = _two_features(rng, 400)
    raw = KSDetector(correction="none").fit(ref).score(win)
    corrected = KSDetector(correction=correction).fit(ref).score(win)  # type: ignore[arg-type]
    raw_p = [f.p_value for f in raw.features]
    assert [f.p_value for f in corrected.features] == pytest.approx(
        list(correct_p_values(raw_p, correction))  # type: ignore[arg-type]
    )
    assert corrected.p_value == min(f.p_value or 1.0 for f in corrected.features)
    assert corrected.threshold == 0.05


def test_overall_result_summarizes_features() -> None:
    rng = np.random.default_rng(2)
    ref, win = _two_features(rng, 2000)
    result = KSDetector().fit(ref).score(win)
    assert result.status is Status.DRIFT
    assert result.drifted_features == ("b",)
    assert result.statistic == max(f.statistic for f in result.features)
    assert result.effect_size == max(f.effect_size for f in result.features)
    assert (result.n_reference, result.n_window) == (2000, 2000)


def test_negligible_shift_in_a_million_rows_is_not_drift() -> None:
    # a 0.01 sd mean shift: KS D ~ 0.004, significant at this size, negligible in practice
    rng = np.random.default_rng(3)
    ref, win = rng.normal(size=1_000_000), rng.normal(0.01, size=1_000_000)
    significant_only = KSDetector(min_effect_size=0.0).fit({"x": ref}).score({"x": win})
    result = KSDetector().fit({"x": ref}).score({"x": win})
    assert significant_only.drifted  # the shift is "significant" ...
    assert (result.features[0].p_value or 1.0) < 0.05
    assert result.status is Status.NO_DRIFT  # ... but far below the effect-size floor


def test_too_few_rows_are_insufficient_data() -> None:
    rng = np.random.default_rng(4)
    result = KSDetector().fit({"x": rng.normal(size=20)}).score({"x": rng.normal(5, size=4)})
    assert result.status is Status.INSUFFICIENT_DATA
    assert result.features[0].p_value is None
    assert result.p_value is None
    assert KSDetector().default_min_samples == KSDetector().min_samples == 5


def test_a_large_shift_on_a_small_window_is_drift_not_insufficient_data() -> None:
    # issue 8: a 28-row reference against a 72-row window with KS D ~ 0.7 (p ~ 1e-10) was
    # reported insufficient_data under the old blanket min_samples=30
    rng = np.random.default_rng(8)
    ref, win = rng.normal(size=28), rng.normal(2.0, size=72)
    result = KSDetector().fit({"x": ref}).score({"x": win})
    assert result.status is Status.DRIFT
    assert result.features[0].statistic > 0.6
    assert (result.p_value or 1.0) < 1e-6


def test_headline_comes_from_one_feature() -> None:
    # issue 8: the headline effect was the max over features and the p-value the min, so
    # the effect could come from a feature that did not drift
    rng = np.random.default_rng(9)
    ref = {"shifted": rng.normal(size=2000), "wide": rng.normal(size=40)}
    win = {"shifted": rng.normal(0.3, size=2000), "wide": rng.normal(0.0, 2.0, size=8)}
    result = KSDetector().fit(ref).score(win)
    shifted, wide = result.features
    assert shifted.drifted and not wide.drifted
    assert wide.effect_size > shifted.effect_size  # the non-significant one is larger
    assert result.feature == "shifted"
    assert (result.statistic, result.p_value, result.effect_size) == (
        shifted.statistic, shifted.p_value, shifted.effect_size)


def test_insufficient_features_do_not_count_in_the_correction() -> None:
    rng = np.random.default_rng(5)
    ref = {"big": rng.normal(size=500), "small": rng.normal(size=10)}
    win = {"big": rng.normal(0.3, size=500), "small": rng.normal(size=3)}
    both = KSDetector().fit(ref).score(win)
    alone = KSDetector().fit({"big": ref["big"]}).score({"big": win["big"]})
    assert both.features[0].p_value == alone.features[0].p_value
    assert both.features[1].status is Status.INSUFFICIENT_DATA
    assert both.status is Status.DRIFT


@pytest.mark.parametrize(
    ("settings", "name"),
    [
        ({"alpha": 0.0}, "alpha"),
        ({"alpha": 1.5}, "alpha"),
        ({"correction": "holm"}, "correction"),
        ({"min_samples": 0}, "min_samples"),
        ({"min_effect_size": -0.1}, "min_effect_size"),
    ],
)
def test_bad_settings_name_the_setting(settings: dict[str, object], name: str) -> None:
    with pytest.raises(ConfigurationError, match=name):
        KSDetector(**settings)  # type: ignore[arg-type]


def test_window_missing_a_feature_names_it() -> None:
    detector = KSDetector().fit({"x": np.arange(40.0), "y": np.arange(40.0)})
    with pytest.raises(ValidationError, match="'y'") as info:
        detector.score({"x": np.arange(40.0)})
    assert info.value.field == "y"


def test_non_numeric_column_names_the_feature() -> None:
    detector = KSDetector().fit({"x": np.arange(40.0)})
    with pytest.raises(ValidationError, match="'x'"):
        detector.score({"x": np.array(["a"] * 40)})
