"""The multinomial bootstrap as weights: resample ``b`` of an ``(B, n)`` matrix of counts
(``Multinomial(n, 1/n)``), so a weighted metric of every resample is one matrix product.

``estimate`` gives a metric's value on the data (weights 1) and its percentile interval at
``confidence`` over ``B`` resamples (default 1000; fewer for large ``n`` so that ``B n`` stays
under ``MAX_CELLS``, at least 200): 40 labels get a wide interval, 40,000 a narrow one.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["DEFAULT_RESAMPLES", "MAX_CELLS", "Estimate", "bootstrap_weights", "estimate"]

_FloatArray = npt.NDArray[np.float64]
#: resamples when the data is small enough
DEFAULT_RESAMPLES = 1000
#: resamples x rows held at once (8 bytes each: 160 MB)
MAX_CELLS = 20_000_000


@dataclass(frozen=True, slots=True)
class Estimate:
    """A metric's value with its bootstrap interval (NaN bounds: fewer than 2 rows)."""

    value: float
    lower: float
    upper: float
    resamples: int


def bootstrap_weights(n: int, resamples: int, rng: np.random.Generator) -> _FloatArray:
    """``(resamples, n)`` multinomial resampling counts (each row sums to ``n``)."""
    counts = rng.multinomial(n, np.full(n, 1.0 / n), size=resamples)
    return np.asarray(counts, dtype=np.float64)


def estimate(metric: Callable[[_FloatArray], _FloatArray], n: int, *, confidence: float = 0.95,
             resamples: int = DEFAULT_RESAMPLES, seed: int = 0) -> Estimate:
    """``metric(weights)`` maps a ``(k, n)`` weight matrix to ``k`` values."""
    value = float(metric(np.ones((1, n)))[0]) if n else math.nan
    if n < 2:
        return Estimate(value, math.nan, math.nan, 0)
    resamples = max(200, min(resamples, MAX_CELLS // n))
    rng = np.random.default_rng(seed)
    values = metric(bootstrap_weights(n, resamples, rng))
    values = values[np.isfinite(values)]
    if not values.size:
        return Estimate(value, math.nan, math.nan, resamples)
    tail = (1.0 - confidence) / 2.0
    lower, upper = np.quantile(values, [tail, 1.0 - tail])
    return Estimate(value, float(lower), float(upper), resamples)
