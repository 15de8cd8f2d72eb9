"""The domain-classifier test: its null on forward-chaining folds, its encoding, its verdicts."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from driftline.detector import ClassifierDetector, Status, get_detector
from driftline.detector.classifier import (
    DEFAULT_MIN_EFFECT_SIZE,
    MAX_CATEGORIES,
    category_codes,
    forward_auc_test,
    stratified_blocks,
)
from driftline.errors import ConfigurationError, NotFittedError, ValidationError

ALPHA = 0.05


def normal_frame(rng: np.random.Generator, n: int, d: int = 5, shift: float = 0.0,
                 shifted: int = 0) -> dict[str, np.ndarray]:
    frame = {f"x{j}": rng.normal(size=n) for j in range(d)}
    frame[f"x{shifted}"] = frame[f"x{shifted}"] + shift
    return frame


# -- the combined Mann-Whitney test -------------------------------------------------------------
@pytest.mark.parametrize("continuity", [True, False])
@pytest.mark.parametrize("ties", [False, True])
def test_one_block_is_scipys_one_sided_mann_whitney(continuity: bool, ties: bool) -> None:
    rng = np.random.default_rng(1)
    window, reference = rng.normal(0.3, size=40), rng.normal(size=55)
    if ties:
        window, reference = np.round(window, 1), np.round(reference, 1)
    test = forward_auc_test([(window, reference)], continuity=continuity)
    expected = stats.mannwhitneyu(window, reference, alternative="greater",
                                  method="asymptotic", use_continuity=continuity)
    assert test.p_value == pytest.approx(expected.pvalue, rel=1e-10)
    assert test.auc == pytest.approx(expected.statistic / (40 * 55))
    assert test.block_aucs == (pytest.approx(test.auc),)


def test_blocks_combine_by_stouffer_with_design_weights() -> None:
    rng = np.random.default_rng(2)
    blocks = [(rng.normal(0.2, size=m), rng.normal(size=n)) for m, n in
              [(10, 30), (25, 25), (40, 12)]]
    z, w = [], []
    for window, reference in blocks:
        p = stats.mannwhitneyu(window, reference, alternative="greater", method="asymptotic",
                               use_continuity=False).pvalue
        z.append(stats.norm.isf(p))
        w.append(math.sqrt(len(window) * len(reference)))
    expected = float(np.dot(w, z) / np.linalg.norm(w))
    test = forward_auc_test(blocks, continuity=False)
    assert test.z == pytest.approx(expected, rel=1e-9)
    assert test.p_value == pytest.approx(stats.norm.sf(expected), rel=1e-9)
    u = [stats.mannwhitneyu(a, b).statistic for a, b in blocks]
    assert test.auc == pytest.approx(sum(u) / sum(len(a) * len(b) for a, b in blocks))
    assert forward_auc_test(blocks).z < test.z  # the continuity correction is conservative


def test_tied_scores_are_no_evidence() -> None:
    test = forward_auc_test([(np.full(5, 0.5), np.full(7, 0.5)), (np.ones(3), np.ones(3))])
    assert (test.auc, test.z, test.p_value) == (0.5, 0.0, 1.0)
    with pytest.raises(ValidationError):
        forward_auc_test([(np.ones(3), np.empty(0))])
    with pytest.raises(ValidationError):
        forward_auc_test([])


# -- the design and the encoding ----------------------------------------------------------------
def test_blocks_are_stratified_and_seeded() -> None:
    labels = np.r_[np.zeros(23, dtype=int), np.ones(9, dtype=int)]
    blocks = stratified_blocks(labels, 5, [0, 2])
    for value, total in ((0, 23), (1, 9)):
        counts = np.bincount(blocks[labels == value], minlength=5)
        assert counts.sum() == total and counts.max() - counts.min() <= 1
    assert np.array_equal(blocks, stratified_blocks(labels, 5, [0, 2]))
    assert not np.array_equal(blocks, stratified_blocks(labels, 5, [1, 2]))


def test_category_codes_depend_on_the_pooled_values_only() -> None:
    values = np.array(["b", "a", None, "c", "b", float("nan"), "a", "b"], dtype=object)
    codes = category_codes(values)
    # by decreasing count (b: 3, a: 2, c: 1), missing values NaN
    assert np.array_equal(codes, [0, 1, np.nan, 2, 0, np.nan, 1, 0], equal_nan=True)
    order = np.random.default_rng(0).permutation(len(values))
    assert np.array_equal(category_codes(values[order]), codes[order], equal_nan=True)
    many = np.array([f"c{i:03d}" for i in range(300)] + ["c299"], dtype=object)
    capped = category_codes(many)
    assert capped[-1] == 0 and capped.max() == MAX_CATEGORIES - 1
    assert len(np.unique(capped)) == MAX_CATEGORIES
    assert np.isnan(category_codes(np.array([None, None], dtype=object))).all()


# -- verdicts -----------------------------------------------------------------------------------
def test_registered_lazily_with_its_capabilities() -> None:
    detector = get_detector("classifier", max_samples=300)
    assert isinstance(detector, ClassifierDetector)
    caps = ClassifierDetector.capabilities
    assert caps.multivariate and caps.sample_cap == 5000 and detector.sample_cap == 300
    assert caps.input_kinds == frozenset({"numeric", "categorical"})
    assert detector.min_samples == 10 and detector.min_effect_size == DEFAULT_MIN_EFFECT_SIZE


def test_a_mean_shift_is_found_and_its_feature_named_first() -> None:
    rng = np.random.default_rng(3)
    detector = ClassifierDetector().fit(normal_frame(rng, 600))
    result = detector.score(normal_frame(rng, 600, shift=1.0, shifted=2))
    assert result.status is Status.DRIFT
    assert result.p_value is not None and result.p_value < 1e-6
    assert result.statistic == result.details["auc"] > 0.6
    assert result.effect_size == pytest.approx(result.statistic - 0.5)
    importances = result.details["importances"]
    assert next(iter(importances)) == "x2"
    assert list(importances.values()) == sorted(importances.values(), reverse=True)
    assert result.details["n_folds"] == 5 and len(result.details["block_aucs"]) == 4
    assert result.details["n_tested_reference"] == result.details["n_tested_window"] == 480
    assert (result.n_reference, result.n_window) == (600, 600)


def test_a_correlation_only_shift_is_found_where_per_feature_tests_are_blind() -> None:
    rng = np.random.default_rng(4)
    n = 800
    a, b = rng.normal(size=(2, n))
    reference = {"a": a, "b": b, "c": rng.normal(size=n)}
    u, v = rng.normal(size=(2, n))
    window = {"a": u, "b": 0.9 * u + math.sqrt(1 - 0.81) * v, "c": rng.normal(size=n)}
    for name in reference:  # the margins are the same: KS sees nothing
        assert stats.ks_2samp(reference[name], window[name]).pvalue > 0.05
    result = ClassifierDetector().fit(reference).score(window)
    assert result.status is Status.DRIFT
    assert set(list(result.details["importances"])[:2]) == {"a", "b"}


def test_mixed_input_with_unseen_categories_and_missing_values() -> None:
    rng = np.random.default_rng(5)
    n = 600
    colours = np.array(["red", "green", "blue"], dtype=object)

    def frame(new_share: float) -> dict[str, np.ndarray]:
        colour = rng.choice(colours, n)
        colour[rng.random(n) < new_share] = "violet"  # never in the reference
        colour[rng.random(n) < 0.1] = None
        amount = rng.normal(size=n)
        amount[rng.random(n) < 0.2] = np.nan
        flag = rng.random(n) < 0.5
        return {"colour": colour, "amount": amount, "flag": flag}

    detector = ClassifierDetector().fit(frame(0.0))
    same = detector.score(frame(0.0))
    assert same.status is Status.NO_DRIFT
    drifted = detector.score(frame(0.3))
    assert drifted.status is Status.DRIFT
    assert next(iter(drifted.details["importances"])) == "colour"


def test_many_unseen_categories_without_drift_are_no_alarm() -> None:
    # Regression: codes from the reference with one shared "unseen" code leak the side of a
    # row. A high-cardinality feature with no drift has many window-only values, all in that
    # one code, which no reference row can have: the classifier separates the sides.
    rng = np.random.default_rng(6)
    n = 1000

    def ids() -> np.ndarray:
        return np.array([f"user{v}" for v in rng.integers(0, 20 * n, n)], dtype=object)

    reference, window = {"user": ids(), "x": rng.normal(size=n)}, {
        "user": ids(), "x": rng.normal(size=n)}
    ours = ClassifierDetector().fit(reference).score(window)
    assert ours.status is Status.NO_DRIFT and ours.p_value is not None and ours.p_value > 0.05
    # the leaky encoding, built by hand: reference codes, then one code for unseen values
    seen = {v: i for i, v in enumerate(sorted(set(reference["user"])))}
    unseen = len(seen)
    leaky_ref = {"user": np.array([seen[v] for v in reference["user"]], dtype=float),
                 "x": reference["x"]}
    leaky_win = {"user": np.array([seen.get(v, unseen) for v in window["user"]], dtype=float),
                 "x": window["x"]}
    leaky = ClassifierDetector().fit(leaky_ref).score(leaky_win)
    assert leaky.status is Status.DRIFT and leaky.statistic > 0.9


def test_a_dataframe_and_a_mapping_give_the_same_result() -> None:
    rng = np.random.default_rng(7)
    reference = normal_frame(rng, 300, d=3)
    reference["kind"] = rng.choice(np.array(["a", "b", "c"], dtype=object), 300)
    window = normal_frame(rng, 250, d=3, shift=0.6)
    window["kind"] = rng.choice(np.array(["a", "b", "c"], dtype=object), 250)
    window["kind"][:20] = None
    from_mapping = ClassifierDetector().fit(reference).score(window)
    from_pandas = ClassifierDetector().fit(pd.DataFrame(reference)).score(pd.DataFrame(window))
    assert from_pandas == from_mapping
    assert from_mapping.status is Status.DRIFT


def test_the_same_window_gets_the_same_result() -> None:
    rng = np.random.default_rng(8)
    reference, window = normal_frame(rng, 400), normal_frame(rng, 300, shift=0.3)
    first = ClassifierDetector(seed=3).fit(reference).score(window)
    detector = ClassifierDetector(seed=3).fit(reference)
    assert detector.score(window) == first == detector.score(window)
    other = ClassifierDetector(seed=4).fit(reference).score(window)
    assert other.details["block_aucs"] != first.details["block_aucs"]


def test_larger_inputs_are_subsampled_with_the_seed() -> None:
    rng = np.random.default_rng(9)
    reference, window = normal_frame(rng, 900), normal_frame(rng, 700)
    detector = ClassifierDetector(max_samples=200, importances=False).fit(reference)
    result = detector.score(window)
    assert (result.n_reference, result.n_window) == (200, 200)
    assert result.details["n_reference_input"] == 900
    assert result.details["n_window_input"] == 700
    assert "importances" not in result.details
    assert detector.score(window) == result


@pytest.mark.parametrize(("n_reference", "n_window"), [(3, 50), (50, 9), (50, 0), (0, 0)])
def test_too_little_data_is_a_status_never_an_exception(n_reference: int, n_window: int
                                                        ) -> None:
    rng = np.random.default_rng(10)
    detector = ClassifierDetector().fit(normal_frame(rng, n_reference))
    result = detector.score(normal_frame(rng, n_window, shift=5.0))
    assert result.status is Status.INSUFFICIENT_DATA
    assert result.p_value is None and math.isnan(result.statistic)
    assert "min_samples" in result.details["reason"]


def test_a_design_that_cannot_reject_is_insufficient_data() -> None:
    # one row of each side per block: even a perfect classifier has p > 0.05
    rng = np.random.default_rng(11)
    detector = ClassifierDetector(min_samples=5).fit(normal_frame(rng, 5))
    result = detector.score(normal_frame(rng, 5, shift=10.0))
    assert result.status is Status.INSUFFICIENT_DATA
    assert "no outcome" in result.details["reason"]
    # at the default floor, 2 rows a side per block, a large shift is found
    detector = ClassifierDetector().fit(normal_frame(rng, 10, d=1))
    assert detector.score(normal_frame(rng, 10, d=1, shift=10.0)).status is Status.DRIFT


def test_small_effects_stay_below_the_floor() -> None:
    rng = np.random.default_rng(12)
    detector = ClassifierDetector(importances=False).fit(normal_frame(rng, 3000, d=2))
    result = detector.score(normal_frame(rng, 3000, d=2, shift=0.12))
    assert result.p_value is not None and result.p_value < ALPHA
    assert result.effect_size < DEFAULT_MIN_EFFECT_SIZE
    assert result.status is Status.NO_DRIFT
    lenient = ClassifierDetector(importances=False, min_effect_size=0.0)
    assert lenient.fit(normal_frame(rng, 3000, d=2)).score(
        normal_frame(rng, 3000, d=2, shift=0.12)).status is Status.DRIFT


def test_input_errors_name_the_feature() -> None:
    rng = np.random.default_rng(13)
    detector = ClassifierDetector()
    with pytest.raises(NotFittedError):
        detector.score(normal_frame(rng, 50))
    detector.fit({"x": rng.normal(size=50), "c": np.array(["a", "b"] * 25, dtype=object)})
    assert detector.features == ("x", "c")
    with pytest.raises(ValidationError, match="'c'"):
        detector.score({"x": rng.normal(size=50)})
    with pytest.raises(ValidationError, match="'x'"):
        detector.score({"x": np.array(["1.0"] * 50), "c": np.array(["a"] * 50)})
    with pytest.raises(ValidationError, match="'c'"):
        detector.score({"x": rng.normal(size=50), "c": rng.normal(size=50)})
    with pytest.raises(ValidationError, match="'x'"):
        detector.score({"x": np.array([1.0, "a"] * 25, dtype=object),
                        "c": np.array(["a"] * 50)})
    with pytest.raises(ValidationError):
        ClassifierDetector().fit({})


def test_a_feature_missing_from_the_whole_reference_takes_the_windows_kind() -> None:
    rng = np.random.default_rng(14)
    reference = {"x": rng.normal(size=200), "c": np.array([None] * 200, dtype=object)}
    window = {"x": rng.normal(size=200),
              "c": rng.choice(np.array(["a", "b"], dtype=object), 200)}
    result = ClassifierDetector().fit(reference).score(window)
    assert result.status is Status.DRIFT  # values where the reference had none
    assert next(iter(result.details["importances"])) == "c"


_WITHOUT_SKLEARN = """
import sys
class Hide:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "sklearn":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
sys.meta_path.insert(0, Hide())
from driftline.detector.classifier import ClassifierDetector
from driftline.errors import ConfigurationError
try:
    ClassifierDetector()
except ConfigurationError as exc:
    print("ConfigurationError:", exc)
print("sklearn" in sys.modules)
"""


def test_without_scikit_learn_the_module_imports_and_making_one_is_a_configuration_error(
) -> None:
    done = subprocess.run([sys.executable, "-c", _WITHOUT_SKLEARN], capture_output=True,
                          text=True, check=True)
    lines = done.stdout.strip().splitlines()
    assert lines[0].startswith("ConfigurationError:") and "scikit-learn" in lines[0]
    assert lines[1] == "False"


def test_columns_with_no_value_anywhere_are_no_evidence_and_no_error() -> None:
    rng = np.random.default_rng(15)
    empty = {"x": np.full(100, np.nan), "c": np.array([None] * 100, dtype=object)}
    result = ClassifierDetector().fit(empty).score(dict(empty))
    assert (result.status, result.statistic, result.p_value) == (Status.NO_DRIFT, 0.5, 1.0)
    assert result.details["importances"] == {"x": 0.0, "c": 0.0}
    shifted = ClassifierDetector().fit({**empty, "y": rng.normal(size=100)}).score(
        {**empty, "y": rng.normal(2.0, size=100)})
    assert shifted.status is Status.DRIFT and next(iter(shifted.details["importances"])) == "y"


def test_a_pyarrow_table_gives_the_same_result() -> None:
    pa = pytest.importorskip("pyarrow")
    rng = np.random.default_rng(16)
    reference = {"x": rng.normal(size=150), "c": rng.choice(np.array(["a", "b"]), 150)}
    window = {"x": rng.normal(0.8, size=150), "c": rng.choice(np.array(["a", "b"]), 150)}
    expected = ClassifierDetector().fit(reference).score(window)
    assert ClassifierDetector().fit(pa.table(reference)).score(pa.table(window)) == expected


@pytest.mark.parametrize("settings", [
    {"alpha": 0.0}, {"alpha": 1.0}, {"n_folds": 1}, {"n_folds": 2.5},
    {"min_effect_size": -0.1}, {"min_effect_size": 0.5}, {"min_samples": 3},
    {"max_samples": 5}, {"max_iter": 0}, {"learning_rate": 0.0}, {"max_leaf_nodes": 1},
    {"min_samples_leaf": 0}, {"seed": -1},
])
def test_bad_settings_are_configuration_errors(settings: dict[str, object]) -> None:
    with pytest.raises(ConfigurationError):
        ClassifierDetector(**settings)  # type: ignore[arg-type]


# -- calibration (slow) -------------------------------------------------------------------------
def _no_drift_rejections(make: object, n: int, m: int, seeds: int) -> int:
    assert callable(make)
    rejections = 0
    for seed in range(seeds):
        rng = np.random.default_rng([seed, 99])
        detector = ClassifierDetector(seed=seed, min_effect_size=0.0, importances=False,
                                      max_iter=30)
        result = detector.fit(make(rng, n)).score(make(rng, m))
        rejections += result.status is Status.DRIFT
    return rejections


def _mixed(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    p = np.r_[0.6, 0.3, np.full(10, 0.01)]
    levels = np.array([f"l{i}" for i in range(len(p))], dtype=object)
    colour = rng.choice(levels, n, p=p)
    colour[rng.random(n) < 0.1] = None
    x = np.round(rng.standard_cauchy(n), 1)  # heavy tails and ties
    x[rng.random(n) < 0.1] = np.nan
    return {"colour": colour, "x": x, "y": rng.poisson(1.0, n).astype(float)}


@pytest.mark.slow
@pytest.mark.parametrize(("make", "n", "m", "seeds"), [
    (lambda rng, n: normal_frame(rng, n, d=3), 20, 20, 200),
    (lambda rng, n: normal_frame(rng, n, d=3), 40, 200, 150),
    (_mixed, 60, 60, 150),
], ids=["normal-20", "normal-40:200", "mixed-60"])
def test_no_drift_false_alarm_rate_is_at_most_alpha(make: object, n: int, m: int,
                                                    seeds: int) -> None:
    """At alpha 0.05 with no effect floor: rejections within the 99.9% binomial quantile."""
    bound = int(stats.binom.ppf(0.999, seeds, ALPHA))
    assert _no_drift_rejections(make, n, m, seeds) <= bound
