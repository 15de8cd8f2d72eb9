"""Two-sample Kolmogorov-Smirnov test, equal to ``scipy.stats.ks_2samp(method="auto")``.

The reference is sorted once at ``fit``; a window is placed on the reference's distinct values
with one ``searchsorted`` of the sorted window (no pooled sort, no ranks), which gives the ECDF
difference at every pooled point. The p-value follows scipy's ``method="auto"`` choice: exact
when both samples have at most ``EXACT_MAX_N`` values, otherwise Smirnov's asymptotic
distribution ``kstwo.sf(D, round(n*m/(n+m)))``. For equal sizes the exact probability is
computed vectorized (scipy loops in Python); for unequal sizes scipy's compiled helper is used.
Where the exact computation overflows, scipy warns and falls back to the asymptotic p-value;
this module falls back the same way without the warning.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
from scipy.stats import kstwo
from scipy.stats._stats_pythran import _compute_outer_prob_inside_method

from driftline.detector._base import register_detector
from driftline.detector._capabilities import Capabilities
from driftline.detector._frames import FrameLike
from driftline.detector._univariate import FeatureTest, PerFeatureDetector, check_columns

__all__ = [
    "EXACT_MAX_N",
    "FloatArray",
    "KSDetector",
    "SortedReference",
    "ks_p_value",
    "ks_statistic",
]

#: scipy's ``MAX_AUTO_N``: ``method="auto"`` is exact iff both sample sizes are at most this
EXACT_MAX_N = 10_000

FloatArray = npt.NDArray[np.float64]


class SortedReference:
    """A reference column prepared for repeated KS statistics against windows."""

    __slots__ = ("ecdf", "n", "padded", "values")

    def __init__(self, column: FloatArray) -> None:
        ordered = np.sort(column)
        #: the distinct reference values, ascending
        self.values: FloatArray = np.unique(ordered)
        #: ``values`` followed by +inf, so a lookup one past the last value needs no bounds check
        self.padded: FloatArray = np.append(self.values, np.inf)
        # ecdf[k] = F_ref at values[k-1]; ecdf[0] = 0 (left of every reference value)
        below_or_at = np.searchsorted(ordered, self.values, side="right")
        self.ecdf: FloatArray = np.concatenate(([0.0], below_or_at / ordered.size))
        self.n = int(ordered.size)


def ks_statistic(reference: SortedReference, window: FloatArray) -> float:
    """``max |F_ref - F_win|`` over the pooled sample, as ``ks_2samp`` evaluates it.

    Between two distinct reference values F_ref is flat, so the largest ``F_ref - F_win`` is
    at a reference value and the smallest just before the next one: counts of the window per
    reference interval are all that is needed.
    """
    values, n_win = reference.values, window.size
    # sorted keys make searchsorted ~4x faster (numpy narrows each search from the last one)
    window = np.sort(window)
    left = np.searchsorted(values, window, side="left")
    # a window value equal to a reference value sits at, not before, that value
    right = left + (reference.padded[left] == window)
    n_bins = values.size + 1
    # le[k] = #window <= values[k]; lt_next[b] = #window < values[b] (b = 0..K, values[K] = inf)
    le = np.cumsum(np.bincount(left, minlength=n_bins))[:-1]
    lt_next = np.cumsum(np.bincount(right, minlength=n_bins))
    max_s = float(np.max(reference.ecdf[1:] - le / n_win))
    min_s = float(np.clip(-np.min(reference.ecdf - lt_next / n_win), 0.0, 1.0))
    return max(min_s, max_s)


def _prob_outside_square(n: int, h: int) -> float:
    """Vectorized ``scipy.stats._stats_py._compute_prob_outside_square``: P(D_{n,n} >= h/n).

    scipy's Horner form ``P = A0 (1 - A1 (1 - A2 (...)))`` is expanded into the alternating
    sum of cumulative products; the terms shrink fast, so the sum is accurate to ~1e-15.
    """
    k_max = n // h
    idx = np.arange((k_max + 1) * h, dtype=np.float64).reshape(k_max + 1, h)
    blocks = np.prod((n - idx) / (n + idx + 1.0), axis=1)
    terms = np.cumprod(blocks)
    signs = np.where(np.arange(terms.size) % 2 == 0, 1.0, -1.0)
    return float(2.0 * np.sum(signs * terms))


def _exact_p_value(n1: int, n2: int, h: int) -> float | None:
    """The exact two-sided p-value, or ``None`` where scipy's exact computation gives up."""
    g = math.gcd(n1, n2)
    try:
        with np.errstate(invalid="raise", over="raise"):
            if n1 == n2:
                prob = _prob_outside_square(n1, h)
            else:
                prob = float(_compute_outer_prob_inside_method(n1, n2, g, h))
    except (FloatingPointError, OverflowError):
        return None
    return prob if 0.0 <= prob <= 1.0 else None


def ks_p_value(d: float, n1: int, n2: int) -> tuple[float, float]:
    """``(statistic, p_value)`` as ``ks_2samp(method="auto")`` reports them for ``D = d``.

    In the exact branch scipy snaps ``d`` to the lattice ``h / lcm(n1, n2)``; so does this.
    """
    if max(n1, n2) <= EXACT_MAX_N:
        lcm = (n1 // math.gcd(n1, n2)) * n2
        h = round(d * lcm)
        d = h / lcm
        if h == 0:
            return d, 1.0
        prob = _exact_p_value(n1, n2, h)
        if prob is not None:
            return d, float(np.clip(prob, 0.0, 1.0))
    big, small = max(n1, n2), min(n1, n2)
    en = float(big) * float(small) / (float(big) + float(small))
    return d, float(np.clip(kstwo.sf(d, np.round(en)), 0.0, 1.0))


@register_detector("ks")
class KSDetector(PerFeatureDetector):
    """Two-sample Kolmogorov-Smirnov test per numeric feature.

    The effect size is the statistic ``D`` itself: the largest gap between the two ECDFs, a
    share of the population in [0, 1]. The default floor ``min_effect_size=0.1`` means at least
    10% of the probability mass must have moved at some cut point, the usual "small" KS effect;
    below that a large window makes any shift significant without it mattering.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> detector = KSDetector().fit({"x": rng.normal(size=500)})
    >>> detector.score({"x": rng.normal(1.0, size=500)}).drifted
    True
    >>> detector.score({"x": rng.normal(size=500)}).drifted
    False
    """

    default_min_effect_size: ClassVar[float] = 0.1
    #: 5 per side: the exact test is valid at any size, and from 4 rows per side a complete
    #: separation reaches p < 0.05 (2 / C(8, 4) = 0.029); 5 leaves a margin for one missing row
    default_min_samples: ClassVar[int] = 5
    #: numeric features only, whole columns
    capabilities: ClassVar[Capabilities] = Capabilities(frozenset({"numeric"}))

    _references: dict[str, SortedReference]

    def _start_fit(self) -> None:
        self._references = {}

    def _fit_feature(self, feature: str, column: npt.NDArray[Any]) -> None:
        self._references[feature] = SortedReference(column)

    def _test_feature(self, feature: str, column: npt.NDArray[Any]) -> FeatureTest:
        reference = self._references[feature]
        d, p_value = ks_p_value(ks_statistic(reference, column), reference.n, column.size)
        return FeatureTest(statistic=d, p_value=p_value, effect_size=d)

    def statistics(self, window: FrameLike) -> dict[str, float]:
        """The raw ``D`` per fitted feature (no p-value); features with no window values -> 0."""
        self._fitted()
        result: dict[str, float] = {}
        columns = check_columns(window, list(self._references), "window")
        for feature, reference in self._references.items():
            column = self._clean_column(feature, columns[feature])
            empty = column.size == 0 or reference.n == 0
            result[feature] = 0.0 if empty else ks_statistic(reference, column)
        return result

    @property
    def references(self) -> Mapping[str, SortedReference]:
        """The sorted reference per feature (a copy of the mapping)."""
        self._fitted()
        return dict(self._references)
