"""Two-sample Cramér-von Mises test, equal to ``scipy.stats.cramervonmises_2samp(method="auto")``.

The statistic is Anderson's ``T = U / (n m (n+m)) - (4 n m - 1) / (6 (n+m))`` with mid-ranks in
the pooled sample. The reference is sorted once at ``fit`` and its ranks among itself kept, so
a window needs one sort and ``searchsorted`` calls, no pooled ``rankdata``. The p-value is exact
when both samples have at most ``EXACT_MAX_N`` values (scipy's enumeration) and Anderson's
normalized asymptotic approximation otherwise, as in scipy.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
from scipy.stats._hypotests import _cdf_cvm_inf, _pval_cvm_2samp_exact

from driftline.detector._base import register_detector
from driftline.detector._capabilities import Capabilities
from driftline.detector._univariate import FeatureTest, PerFeatureDetector

__all__ = [
    "EXACT_MAX_N",
    "CvMDetector",
    "FloatArray",
    "RankedReference",
    "cvm_p_value",
    "cvm_statistic",
    "cvm_u",
]

#: ``method="auto"`` in scipy is exact iff both sample sizes are at most this
EXACT_MAX_N = 20
#: below this normalized statistic the asymptotic cdf is < 1.3e-18 and scipy returns p = 1
_ASYMPTOTIC_FLOOR = 0.003

FloatArray = npt.NDArray[np.float64]


class RankedReference:
    """A sorted reference column with the counts needed for pooled mid-ranks."""

    __slots__ = ("below", "equal", "n", "values")

    def __init__(self, column: FloatArray) -> None:
        self.values: FloatArray = np.sort(column)
        below = np.searchsorted(self.values, self.values, side="left")
        self.below = below.astype(np.float64)
        self.equal = (np.searchsorted(self.values, self.values, side="right") - below).astype(
            np.float64
        )
        self.n = int(self.values.size)


def _mid_ranks(
    below: FloatArray, equal: FloatArray, other: FloatArray, points: FloatArray
) -> FloatArray:
    """Pooled mid-ranks of ``points`` given their own counts and the other sorted sample."""
    other_below = np.searchsorted(other, points, side="left")
    other_equal = np.searchsorted(other, points, side="right") - other_below
    smaller = below + other_below
    ties = equal + other_equal
    return smaller + (ties + 1.0) / 2.0


def cvm_u(reference: RankedReference, window: FloatArray) -> float:
    """Anderson's ``U = n sum (r(x_i) - i)^2 + m sum (r(y_j) - j)^2`` (eq. 10)."""
    x, y = reference.values, np.sort(window)
    nx, ny = x.size, y.size
    y_below = np.searchsorted(y, y, side="left").astype(np.float64)
    y_equal = np.searchsorted(y, y, side="right") - y_below
    rx = _mid_ranks(reference.below, reference.equal, y, x)
    ry = _mid_ranks(y_below, y_equal, x, y)
    u = nx * np.sum((rx - np.arange(1, nx + 1, dtype=np.float64)) ** 2) + ny * np.sum(
        (ry - np.arange(1, ny + 1, dtype=np.float64)) ** 2
    )
    return float(u)


def cvm_statistic(u: float, nx: int, ny: int) -> float:
    """``T`` from ``U`` (eq. 9 in Anderson 1962)."""
    k, n = nx * ny, nx + ny
    return u / (k * n) - (4 * k - 1) / (6 * n)


def cvm_p_value(u: float, nx: int, ny: int) -> float:
    """The p-value of ``cramervonmises_2samp(method="auto")`` for the statistic ``U``."""
    if max(nx, ny) <= EXACT_MAX_N:
        return float(_pval_cvm_2samp_exact(u, nx, ny))
    t = cvm_statistic(u, nx, ny)
    k, n = nx * ny, nx + ny
    # mean and variance of T (eqs. 11 and 14), then the normalized statistic (eq. 15)
    et = (1 + 1 / n) / 6
    vt = (n + 1) * (4 * k * n - 3 * (nx**2 + ny**2) - 2 * k) / (45 * n**2 * 4 * k)
    tn = 1 / 6 + (t - et) / math.sqrt(45 * vt)
    if tn < _ASYMPTOTIC_FLOOR:
        return 1.0
    return float(max(1.0 - float(_cdf_cvm_inf(np.asarray(tn))), 0.0))


@register_detector("cvm")
class CvMDetector(PerFeatureDetector):
    """Two-sample Cramér-von Mises test per numeric feature.

    The effect size is the root-mean-square ECDF gap over the pooled sample,
    ``sqrt(T (n+m) / (n m))`` = ``sqrt(omega^2)``: T rescaled to remove its growth with the
    sample size, in the same units as the KS statistic (a share of the population, in [0, 1],
    never above ``D``). The default floor ``min_effect_size=0.05`` is half the KS floor because
    an average gap is smaller than the largest gap for the same shift.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> detector = CvMDetector().fit({"x": rng.normal(size=500)})
    >>> detector.score({"x": rng.normal(1.0, size=500)}).drifted
    True
    """

    default_min_effect_size: ClassVar[float] = 0.05
    #: numeric features only, whole columns
    capabilities: ClassVar[Capabilities] = Capabilities(frozenset({"numeric"}))

    _references: dict[str, RankedReference]

    def _start_fit(self) -> None:
        self._references = {}

    def _fit_feature(self, feature: str, column: npt.NDArray[Any]) -> None:
        self._references[feature] = RankedReference(column)

    def _test_feature(self, feature: str, column: npt.NDArray[Any]) -> FeatureTest:
        reference = self._references[feature]
        nx, ny = reference.n, int(column.size)
        u = cvm_u(reference, column)
        t = cvm_statistic(u, nx, ny)
        effect = math.sqrt(max(t, 0.0) * (nx + ny) / (nx * ny))
        return FeatureTest(statistic=t, p_value=cvm_p_value(u, nx, ny), effect_size=effect)
