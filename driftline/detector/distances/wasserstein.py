"""Normalized Wasserstein-1 distance.

Thresholds and binning: see ``driftline.detector.distances``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar, Self

import numpy as np
import numpy.typing as npt
from scipy.stats import wasserstein_distance

from driftline.detector._base import Frame, as_float_column, register_detector
from driftline.detector._capabilities import Capabilities
from driftline.detector._result import DriftResult
from driftline.detector._univariate import check_columns, summarize
from driftline.detector.distances._base import DistanceDetector, FloatArray, is_categorical
from driftline.errors import ConfigurationError, ValidationError

__all__ = ["WassersteinDetector"]


@register_detector("wasserstein")
class WassersteinDetector(DistanceDetector):
    """Wasserstein-1 distance on raw numeric values divided by the reference std (ddof=0).

    A constant reference has std 0: the statistic is then 0 for an identical window and +inf
    otherwise. Histograms lose the within-bin positions W1 depends on, so ``score_counts``
    raises ``ConfigurationError`` (``capabilities.scores_from_counts`` is False).
    """

    default_threshold: ClassVar[float] = 0.1
    #: numeric features only, raw values (no counts)
    capabilities: ClassVar[Capabilities] = Capabilities(frozenset({"numeric"}))

    _references: dict[str, FloatArray]

    def _column(self, feature: str, values: npt.ArrayLike) -> FloatArray:
        if is_categorical(values):
            raise ValidationError(
                f"wasserstein needs a numeric feature; {feature!r} is categorical", field=feature
            )
        return as_float_column(values)

    def fit(self, reference: Frame) -> Self:
        check_columns(reference, None, "reference")
        self._references = {f: np.sort(self._column(f, v)) for f, v in reference.items()}
        self._n_reference = {f: int(v.size) for f, v in self._references.items()}
        return self

    def score(self, window: Frame) -> DriftResult:
        check_columns(window, list(self._fitted()), "window")
        results = []
        for feature, ref in self._references.items():
            column = self._column(feature, window[feature])
            distance = None
            if ref.size and column.size:
                w1 = float(wasserstein_distance(ref, column))
                scale = float(np.std(ref))
                distance = w1 / scale if scale > 0 else (0.0 if w1 == 0 else float("inf"))
            results.append(self._verdict(feature, distance, int(column.size)))
        return summarize(self.name, self.threshold, results)

    def score_counts(self, counts: Mapping[str, npt.ArrayLike]) -> DriftResult:
        raise ConfigurationError(
            "wasserstein needs raw values: call score(), or use psi, jensen_shannon, hellinger "
            "or linf to score histogram counts"
        )
