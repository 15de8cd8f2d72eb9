"""What the distance detectors share (``distances/_base.py``): the documented binning
convention, ``score_counts`` equal to ``score``, precise errors, the verdict's sample floor."""

from __future__ import annotations

import numpy as np
import pytest

from driftline.detector import (
    HellingerDetector,
    JensenShannonDetector,
    LInfinityDetector,
    PSIDetector,
    Status,
    get_detector,
)
from driftline.detector.distances import BinnedDistanceDetector, is_categorical
from driftline.errors import ConfigurationError, NotFittedError, ValidationError
from tests.detector.distances.conftest import Frame

BINNED = ["psi", "jensen_shannon", "hellinger", "linf"]


def test_numeric_bins_follow_the_documented_searchsorted_convention(
    data: tuple[Frame, Frame],
) -> None:
    ref, win = data
    detector = PSIDetector(n_bins=10).fit(ref)
    edges = detector.bin_edges["x"]
    np.testing.assert_allclose(edges, np.quantile(ref["x"], np.arange(1, 10) / 10))
    counts = detector.window_counts("x", win["x"])
    manual = [np.sum(edges <= x) for x in win["x"]]  # bin = number of edges <= x
    np.testing.assert_array_equal(counts, np.bincount(manual, minlength=10))
    assert detector.categories["c"] == ("blue", "green", "red")
    assert detector.window_counts("c", win["c"])[-1] == 50  # the unseen bucket


@pytest.mark.parametrize("name", BINNED)
def test_every_binned_distance_bins_the_same_way(name: str, data: tuple[Frame, Frame]) -> None:
    ref, win = data
    detector = get_detector(name).fit(ref)
    psi = PSIDetector().fit(ref)
    assert isinstance(detector, BinnedDistanceDetector)
    np.testing.assert_array_equal(detector.bin_edges["x"], psi.bin_edges["x"])
    assert detector.categories == psi.categories
    for feature in ("x", "c"):
        np.testing.assert_array_equal(
            detector.window_counts(feature, win[feature]), psi.window_counts(feature, win[feature])
        )


@pytest.mark.parametrize("name", BINNED)
def test_score_counts_equals_score(name: str, data: tuple[Frame, Frame]) -> None:
    ref, win = data
    detector = get_detector(name).fit(ref)
    assert isinstance(
        detector, PSIDetector | JensenShannonDetector | HellingerDetector | LInfinityDetector
    )
    counts = {f: detector.window_counts(f, win[f]) for f in detector.features}
    assert detector.score_counts(counts) == detector.score(win)
    assert detector.score(win).status is Status.DRIFT


def test_tied_quantiles_give_fewer_bins() -> None:
    ref = {"x": np.repeat([0.0, 1.0], 500)}
    detector = PSIDetector(n_bins=10).fit(ref)
    # nine quantiles, three distinct (linear interpolation puts the median at 0.5): four bins
    np.testing.assert_array_equal(detector.bin_edges["x"], [0.0, 0.5, 1.0])
    assert detector.window_counts("x", [0.0, 0.7, 1.0]).tolist() == [0.0, 1.0, 1.0, 1.0]


def test_missing_values_are_dropped() -> None:
    detector = PSIDetector().fit({"x": np.arange(100.0),
                                  "c": np.array(["a", None] * 50, dtype=object)})
    assert not detector.counts_missing
    assert detector.window_counts("x", [np.nan, 1.0, np.nan]).sum() == 1
    assert detector.window_counts("c", np.array(["a", None], dtype=object)).sum() == 1


def test_is_categorical() -> None:
    assert is_categorical(np.array(["a", "b"]))
    assert is_categorical(np.array(["a", 1.0, None], dtype=object))
    assert is_categorical(np.array([True, 1.0], dtype=object))  # bools are not numbers
    assert not is_categorical(np.array([1.0, 2.0]))
    assert not is_categorical(np.array([1.0, None, 3], dtype=object))


def test_bad_counts_name_the_feature(data: tuple[Frame, Frame]) -> None:
    ref, _ = data
    detector = PSIDetector().fit(ref)
    with pytest.raises(ValidationError, match="'x'"):
        detector.score_counts({"x": [1.0, 2.0], "c": [1.0, 1.0, 1.0, 0.0]})
    with pytest.raises(ValidationError, match="'c'"):
        detector.score_counts({"x": np.ones(10)})


def test_a_text_window_for_a_numeric_feature_names_it(data: tuple[Frame, Frame]) -> None:
    ref, _ = data
    with pytest.raises(ValidationError, match="'x' must be numeric") as caught:
        PSIDetector().fit(ref).window_counts("x", np.array(["a", "b"], dtype=object))
    assert caught.value.field == "x"


def test_small_windows_are_insufficient(data: tuple[Frame, Frame]) -> None:
    ref, win = data
    small = {f: v[:20] for f, v in win.items()}
    assert PSIDetector().fit(ref).score(small).status is Status.INSUFFICIENT_DATA


def test_score_before_fit_is_not_fitted(data: tuple[Frame, Frame]) -> None:
    _, win = data
    with pytest.raises(NotFittedError, match="before fit"):
        PSIDetector().score(win)


@pytest.mark.parametrize(
    ("settings", "name"),
    [({"threshold": -1}, "threshold"), ({"n_bins": 1}, "n_bins"), ({"epsilon": 0}, "epsilon")],
)
def test_bad_settings_name_the_setting(settings: dict[str, float], name: str) -> None:
    with pytest.raises(ConfigurationError, match=name):
        PSIDetector(**settings)  # type: ignore[arg-type]
