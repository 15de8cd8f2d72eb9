"""Frozen results shared by every detector.

A detector never decides on significance alone: ``status`` combines the p-value (or distance
threshold), the effect size and the minimum sample size, each a named setting of the detector.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["DriftResult", "FeatureResult", "Status"]


class Status(enum.StrEnum):
    """The verdict of one test on one window."""

    DRIFT = "drift"
    NO_DRIFT = "no_drift"
    INSUFFICIENT_DATA = "insufficient_data"


@dataclass(frozen=True, slots=True)
class FeatureResult:
    """One feature's test: statistic, p-value (``None`` for distances), and its verdict."""

    feature: str
    test: str
    statistic: float
    p_value: float | None
    threshold: float
    effect_size: float
    status: Status
    n_reference: int
    n_window: int
    #: what a reader needs to judge a borderline verdict: e.g. ``threshold_source``
    #: (``"practical"`` or ``"null_quantile"``), ``p_value_mc_error`` for Monte-Carlo p-values
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def drifted(self) -> bool:
        return self.status is Status.DRIFT


@dataclass(frozen=True, slots=True)
class DriftResult:
    """The result of ``Detector.score``: the overall verdict plus per-feature details.

    For per-feature tests the headline ``statistic``, ``p_value``, ``threshold`` and
    ``effect_size`` all come from one feature, named by ``feature``: among the drifted features
    (or, when none drifted, all tested ones) the one with the smallest corrected p-value, ties
    broken by the larger effect relative to its threshold. ``None`` for multivariate tests.
    """

    test: str
    statistic: float
    p_value: float | None
    threshold: float
    effect_size: float
    status: Status
    n_reference: int
    n_window: int
    features: tuple[FeatureResult, ...] = field(default=())
    feature: str | None = None
    #: as ``FeatureResult.details``, for the headline
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def drifted(self) -> bool:
        return self.status is Status.DRIFT

    @property
    def drifted_features(self) -> tuple[str, ...]:
        return tuple(f.feature for f in self.features if f.drifted)
