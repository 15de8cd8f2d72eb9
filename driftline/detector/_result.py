"""Frozen results shared by every detector.

A detector never decides on significance alone: ``status`` combines the p-value (or distance
threshold), the effect size and the minimum sample size, each a named setting of the detector.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

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

    @property
    def drifted(self) -> bool:
        return self.status is Status.DRIFT


@dataclass(frozen=True, slots=True)
class DriftResult:
    """The result of ``Detector.score``: the overall verdict plus per-feature details.

    For per-feature tests, ``statistic`` is the largest per-feature statistic, ``p_value`` the
    smallest corrected p-value and ``threshold`` the corrected significance level.
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

    @property
    def drifted(self) -> bool:
        return self.status is Status.DRIFT

    @property
    def drifted_features(self) -> tuple[str, ...]:
        return tuple(f.feature for f in self.features if f.drifted)
