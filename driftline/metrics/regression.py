"""Regression metrics, weighted (``weights``: ``(k, n)``): MAE, RMSE and R² (1 - SSE / SST
about the weighted mean; NaN for a constant truth), as scikit-learn's on unit weights."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["REGRESSION_METRICS", "RegressionData", "regression_metrics"]

_FloatArray = npt.NDArray[np.float64]
REGRESSION_METRICS = ("mae", "rmse", "r2")


@dataclass(frozen=True)
class RegressionData:
    truth: _FloatArray
    predicted: _FloatArray

    @property
    def n(self) -> int:
        return int(self.truth.size)


def _r2(truth: _FloatArray, squared: _FloatArray, w: _FloatArray) -> _FloatArray:
    total = w.sum(axis=1)
    mean = (w @ truth) / total
    sst = w @ truth**2 - total * mean**2
    sse = w @ squared
    out: _FloatArray = np.divide(sse, sst, out=np.full(sst.shape, np.nan),
                                where=sst > 1e-12 * np.maximum(w @ truth**2, 1e-300))
    return 1.0 - out


def regression_metrics(data: RegressionData
                       ) -> dict[tuple[str, str], Callable[[_FloatArray], _FloatArray]]:
    """``(subject, metric) -> metric(weights)`` for ``mae``, ``rmse`` and ``r2``."""
    error = data.predicted - data.truth
    absolute, squared = np.abs(error), error**2
    return {
        ("*", "mae"): lambda w: (w @ absolute) / w.sum(axis=1),
        ("*", "rmse"): lambda w: np.sqrt((w @ squared) / w.sum(axis=1)),
        ("*", "r2"): lambda w: _r2(data.truth, squared, w),
    }
