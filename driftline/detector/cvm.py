"""Two-sample Cramér-von Mises test from its ECDF definition, valid with ties and unequal sizes.

Over the distinct pooled values ``z_k`` with pooled multiplicity ``t_k`` (``N = n + m``)::

    T = (n m / N) * sum_k (F_n(z_k) - G_m(z_k))^2 * t_k / N

Without ties this is Anderson's ``T`` and equals ``scipy.stats.cramervonmises_2samp``. With ties
scipy's mid-rank formula ``U / (n m N) - (4 n m - 1) / (6 N)`` is a different number (it can be
many times larger: on two samples of one three-valued distribution it rejects every time), so
it is not used here. The reference is sorted once at ``fit`` (its distinct values, counts and
ECDF); a window needs one sort and a linear merge into the table of counts per distinct pooled
value (``CountTable``).

The p-value (``cvm_p_value``):

* no ties, both sides of 2 .. ``EXACT_MAX_N`` values: scipy's exact enumeration;
* no ties, the smaller side at least ``ASYMPTOTIC_MIN_N`` and the larger above ``EXACT_MAX_N``:
  Anderson's normalized asymptotic approximation, as scipy (calibrated there: measured false
  alarm rates 4.8% .. 5.3% at alpha 0.05 from 10 vs 1000 to 100 vs 1000);
* otherwise (ties, or a side under ``ASYMPTOTIC_MIN_N`` against one over ``EXACT_MAX_N``, where
  the asymptotic p-value rejects 5.5% .. 5.6% at alpha 0.05, e.g. 5 vs 300): a Monte-Carlo
  permutation p-value ``(k + 1) / (B + 1)``, exactly valid at every size. A permutation of the
  pooled sample only redistributes each distinct value's count between the two sides, so the
  window's counts are drawn from the multivariate hypergeometric distribution of the table,
  ``B`` draws at a time, and ``T`` of every draw is one matrix product. Tables with more than
  ``max_cells`` distinct values are first merged into at most ``max_cells`` cells of about
  equal pooled mass (``_merge_cells``), the gap read at each cell's last value. The cells
  depend on the pooled sample only, so the permutation test of the merged statistic is exact
  as well; the reported statistic is still ``T`` of the full table. Before its last value a
  cell holds under ``1 / max_cells`` of the pooled sample, so the ECDF gaps it leaves out are
  those within 0.1% of the pooled mass (1,000 cells), far below any effect floor.

Permutations are drawn in batches of ``PERMUTATION_BATCH`` and stop once the p-value is sure to
be at least ``stop_at`` (``(k + 1) / (B + 1) >= stop_at`` already): a detector passes its
``alpha``, so a stopped feature cannot drift whatever the remaining draws, and its p-value is
``(k + 1) / (b + 1)`` from the ``b`` draws made (at least ``stop_at``).
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence
from typing import Any, ClassVar, NamedTuple

import numpy as np
import numpy.typing as npt
from scipy.stats._hypotests import _cdf_cvm_inf, _pval_cvm_2samp_exact

from driftline.detector._base import register_detector
from driftline.detector._capabilities import Capabilities
from driftline.detector._univariate import Correction, FeatureTest, PerFeatureDetector
from driftline.errors import ConfigurationError

__all__ = [
    "ASYMPTOTIC_MIN_N",
    "DEFAULT_N_PERMUTATIONS",
    "EXACT_MAX_N",
    "MAX_CELLS",
    "PERMUTATION_BATCH",
    "CountTable",
    "CvMDetector",
    "CvMPValue",
    "FloatArray",
    "IntArray",
    "RankedReference",
    "count_table",
    "cvm_effect_size",
    "cvm_p_value",
    "cvm_statistic",
    "cvm_u",
    "permutation_p_value",
]

#: ``method="auto"`` in scipy is exact iff both sample sizes are at most this
EXACT_MAX_N = 20
#: untied samples with a side below this (and one above ``EXACT_MAX_N``) get a permutation
#: p-value: the asymptotic one is anti-conservative there (5.5% .. 5.6% at alpha 0.05)
ASYMPTOTIC_MIN_N = 10
#: permutations when ``n_permutations`` is not given (Monte-Carlo error 0.007 at p = 0.05);
#: the detector raises it so that ``F`` Bonferroni-corrected features can still drift
DEFAULT_N_PERMUTATIONS = 999
#: the most cells a permutation table keeps (B x cells hypergeometric draws per window)
MAX_CELLS = 1000
#: permutations drawn between two checks of the stopping rule
PERMUTATION_BATCH = 100
#: below this normalized statistic the asymptotic cdf is < 1.3e-18 and scipy returns p = 1
_ASYMPTOTIC_FLOOR = 0.003
#: a permuted statistic within this relative distance below the observed one counts as >=
#: (rounding; distinct tables closer than this are counted too, which is conservative)
_RELATIVE_TOLERANCE = 1e-10
#: permutations for a feature whose effect is below the floor (no drift whatever the p-value)
_SHORT_RUN = 99

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def _run_ends(ordered: FloatArray) -> IntArray:
    """The index of the last element of every run of equal values in a sorted array."""
    if ordered.size == 0:
        return np.empty(0, dtype=np.int64)
    ends = np.flatnonzero(ordered[1:] != ordered[:-1])
    return np.append(ends, ordered.size - 1).astype(np.int64)


class RankedReference:
    """A reference column prepared once: its distinct values, their counts and cumulative counts."""

    __slots__ = ("counts", "cumulative", "n", "tied", "values")

    def __init__(self, column: FloatArray) -> None:
        ordered = np.sort(np.asarray(column, dtype=np.float64))
        ends = _run_ends(ordered)
        #: the distinct values, ascending
        self.values: FloatArray = ordered[ends]
        #: ``cumulative[j]`` = number of reference values <= ``values[j]``
        self.cumulative: IntArray = ends + 1
        #: ``counts[j]`` = number of reference values equal to ``values[j]``
        self.counts: IntArray = np.diff(self.cumulative, prepend=0)
        self.n = int(ordered.size)
        #: whether some value occurs twice
        self.tied = bool(self.values.size < self.n)


class CountTable(NamedTuple):
    """The pooled sample as counts per distinct value (ascending), from ``count_table``."""

    #: ``t_k``: pooled multiplicity of the k-th distinct pooled value
    totals: IntArray
    #: number of reference values <= ``z_k``
    reference_le: IntArray
    #: number of window values <= ``z_k``
    window_le: IntArray
    n: int
    m: int
    #: whether some pooled value occurs twice
    tied: bool

    def gaps(self) -> FloatArray:
        """``F_n(z_k) - G_m(z_k)`` at every distinct pooled value."""
        gaps: FloatArray = self.reference_le / self.n - self.window_le / self.m
        return gaps

    def squared_gap_sum(self) -> float:
        """``sum_k (F_n(z_k) - G_m(z_k))^2 t_k``."""
        gaps = self.gaps()
        return float(np.einsum("k,k,k->", gaps, gaps, self.totals.astype(np.float64)))


def count_table(reference: RankedReference, window: FloatArray) -> CountTable:
    """Merge a window into the reference's distinct values: one sort of the window, then
    linear passes (``O(K + m log m)`` for ``K`` distinct pooled values)."""
    y = np.sort(np.asarray(window, dtype=np.float64))
    ends = _run_ends(y)
    values, window_counts = y[ends], np.diff(ends + 1, prepend=0)
    k_ref = reference.values.size
    pos = np.searchsorted(reference.values, values, side="left")
    match = pos < k_ref
    match[match] = reference.values[pos[match]] == values[match]
    new_pos = pos[~match]  # window values absent from the reference: before values[pos]
    # merged index of every reference value and of every new window value
    ref_index = np.arange(k_ref) + np.cumsum(np.bincount(new_pos, minlength=k_ref + 1))[:k_ref]
    new_index = new_pos + np.arange(new_pos.size)
    size = k_ref + new_pos.size
    ref_counts = np.zeros(size, dtype=np.int64)
    ref_counts[ref_index] = reference.counts
    win_counts = np.zeros(size, dtype=np.int64)
    win_counts[ref_index[pos[match]]] = window_counts[match]
    win_counts[new_index] = window_counts[~match]
    tied = reference.tied or bool(np.any(match)) or values.size < y.size
    return CountTable(
        totals=ref_counts + win_counts,
        reference_le=np.cumsum(ref_counts),
        window_le=np.cumsum(win_counts),
        n=reference.n,
        m=int(y.size),
        tied=tied,
    )


def cvm_statistic(table: CountTable) -> float:
    """``T = (n m / N^2) sum_k (F_n(z_k) - G_m(z_k))^2 t_k``: scipy's statistic without ties."""
    n, m = table.n, table.m
    total = n + m
    return n * m / (total * total) * table.squared_gap_sum()


def cvm_effect_size(table: CountTable) -> float:
    """The RMS ECDF gap over the pooled sample, ``sqrt(sum_k (F_n - G_m)^2 t_k / N)``.

    A share of the population in [0, 1], never above the KS ``D = max_k |F_n - G_m|`` (a
    weighted mean of squares is at most the largest square); ``= sqrt(T N / (n m))``.
    """
    return math.sqrt(table.squared_gap_sum() / (table.n + table.m))


def cvm_u(table: CountTable) -> float:
    """Anderson's ``U = n m N T + n m (4 n m - 1) / 6`` (eq. 9 solved for ``U``).

    Without ties ``U = n sum (r(x_i) - i)^2 + m sum (r(y_j) - j)^2`` with the pooled ranks, an
    integer: what scipy's exact enumeration takes. With ties it is this table's ``T`` rescaled,
    not scipy's mid-rank ``U``.
    """
    n, m = table.n, table.m
    k = n * m
    return k * (n + m) * cvm_statistic(table) + k * (4 * k - 1) / 6


class CvMPValue(NamedTuple):
    """A p-value and how it was computed (``details`` for ``FeatureTest``)."""

    p_value: float
    #: ``"exact"``, ``"asymptotic"`` or ``"permutation"``
    method: str
    tied: bool
    #: permutations drawn (0 unless ``method == "permutation"``)
    n_permutations: int = 0
    #: cells of the permutation table (the distinct pooled values, or ``max_cells`` at most)
    n_cells: int = 0

    @property
    def mc_error(self) -> float:
        """The Monte-Carlo standard error ``sqrt(p (1 - p) / B)`` (0 for other methods)."""
        if self.n_permutations == 0:
            return 0.0
        return math.sqrt(self.p_value * (1.0 - self.p_value) / self.n_permutations)

    def details(self) -> dict[str, Any]:
        details: dict[str, Any] = {"p_value_method": self.method, "ties": self.tied}
        if self.method == "permutation":
            details.update(n_permutations=self.n_permutations, p_value_mc_error=self.mc_error,
                           n_cells=self.n_cells)
        return details


def _asymptotic_p_value(t: float, nx: int, ny: int) -> float:
    """scipy's ``_pval_cvm_2samp_asymptotic`` for one statistic."""
    k, n = nx * ny, nx + ny
    # mean and variance of T (eqs. 11 and 14), then the normalized statistic (eq. 15)
    et = (1 + 1 / n) / 6
    vt = (n + 1) * (4 * k * n - 3 * (nx**2 + ny**2) - 2 * k) / (45 * n**2 * 4 * k)
    tn = 1 / 6 + (t - et) / math.sqrt(45 * vt)
    if tn < _ASYMPTOTIC_FLOOR:
        return 1.0
    return float(max(1.0 - float(_cdf_cvm_inf(np.asarray(tn))), 0.0))


def _merge_cells(table: CountTable, max_cells: int) -> tuple[IntArray, IntArray]:
    """``(totals, window_le)`` on at most ``max_cells`` cells of about equal pooled mass.

    Cell ``c`` ends at the first distinct value whose cumulative pooled count reaches
    ``ceil(c N / max_cells)``; a function of the pooled counts only (permutation invariant).
    """
    if table.totals.size <= max_cells:
        return table.totals, table.window_le
    cumulative = np.cumsum(table.totals)
    total = int(cumulative[-1])
    targets = (np.arange(1, max_cells + 1, dtype=np.int64) * total + max_cells - 1) // max_cells
    ends = np.unique(np.searchsorted(cumulative, targets, side="left"))
    return np.diff(cumulative[ends], prepend=0), table.window_le[ends]


def permutation_p_value(
    table: CountTable,
    *,
    n_permutations: int = DEFAULT_N_PERMUTATIONS,
    seed: int | Sequence[int] = 0,
    max_cells: int = MAX_CELLS,
    stop_at: float = 0.0,
) -> CvMPValue:
    """The Monte-Carlo permutation p-value ``(k + 1) / (b + 1)`` of ``T`` on ``table``.

    ``k`` of ``b`` permuted tables (window counts drawn from the multivariate hypergeometric
    distribution of ``table.totals``, seeded by ``seed`` and the pooled counts) have a
    statistic at least the observed one. ``b = n_permutations`` unless the stopping rule
    (module docstring) ends the run first: ``stop_at=0`` never stops.
    """
    totals, window_le = _merge_cells(table, max_cells)
    n, m = table.n, table.m
    cumulative = np.cumsum(totals)
    weights = totals.astype(np.float64)
    # F_n - G_m = (P - W) / n - W / m = P / n - W N / (n m), with P, W the cumulative counts
    base = cumulative / n
    scale = (n + m) / (n * m)
    observed_gaps = base - window_le * scale
    # einsum, not BLAS: a threaded BLAS call on a busy machine can take 1000x longer
    observed = float(np.einsum("k,k,k->", observed_gaps, observed_gaps, weights))
    threshold = observed - _RELATIVE_TOLERANCE * abs(observed)
    # the stream depends on the pooled sample too (permutation invariant, so the test stays
    # exact): one window always gets the same draws, different windows independent ones (with
    # one stream for all, the false-alarm rate over similar windows would be that stream's)
    pooled = [table.n, table.m, zlib.crc32(np.ascontiguousarray(table.totals).tobytes())]
    rng = np.random.default_rng([*_seed_words(seed), *pooled])
    exceed = drawn = 0
    while drawn < n_permutations:
        size = min(PERMUTATION_BATCH, n_permutations - drawn)
        counts = rng.multivariate_hypergeometric(totals, m, size=size)
        gaps = base - np.cumsum(counts, axis=1) * scale
        statistics = np.einsum("bk,bk,k->b", gaps, gaps, weights)
        exceed += int(np.count_nonzero(statistics >= threshold))
        drawn += size
        if stop_at > 0.0 and exceed + 1 >= stop_at * (n_permutations + 1):
            break
    p_value = (exceed + 1) / (drawn + 1)
    return CvMPValue(p_value, "permutation", table.tied, drawn, int(totals.size))


def _seed_words(seed: int | Sequence[int]) -> list[int]:
    return [int(seed)] if isinstance(seed, int | np.integer) else [int(word) for word in seed]


def cvm_p_value(
    table: CountTable,
    *,
    n_permutations: int = DEFAULT_N_PERMUTATIONS,
    seed: int | Sequence[int] = 0,
    max_cells: int = MAX_CELLS,
    stop_at: float = 0.0,
) -> CvMPValue:
    """The p-value of ``T``: exact, asymptotic or permutation (module docstring).

    Without ties and in scipy's validated range this is ``cramervonmises_2samp(method="auto")``;
    the permutation keywords apply to the other cases (``permutation_p_value``).
    """
    n, m = table.n, table.m
    if not table.tied and min(n, m) >= 2 and max(n, m) <= EXACT_MAX_N:
        u = round(cvm_u(table))  # an integer without ties; scipy's enumeration needs it exact
        return CvMPValue(float(_pval_cvm_2samp_exact(u, n, m)), "exact", False)
    if not table.tied and min(n, m) >= ASYMPTOTIC_MIN_N:
        return CvMPValue(_asymptotic_p_value(cvm_statistic(table), n, m), "asymptotic", False)
    return permutation_p_value(table, n_permutations=n_permutations, seed=seed,
                               max_cells=max_cells, stop_at=stop_at)


def _feature_seed(seed: int, feature: str) -> list[int]:
    """A stable per-feature stream (``hash(str)`` changes between processes)."""
    return [seed, zlib.crc32(feature.encode("utf-8", "surrogatepass"))]


@register_detector("cvm")
class CvMDetector(PerFeatureDetector):
    """Two-sample Cramér-von Mises test per numeric feature, valid with ties.

    Settings (besides ``alpha``, ``correction``, ``min_samples``, ``min_effect_size`` of
    ``PerFeatureDetector``):

    n_permutations
        Permutations for a Monte-Carlo p-value (ties, or a side under ``ASYMPTOTIC_MIN_N``
        against one over ``EXACT_MAX_N``), >= 1. ``None`` (default): ``DEFAULT_N_PERMUTATIONS``
        = 999 (Monte-Carlo error 0.007 at p = 0.05), raised to ``ceil(2 F / alpha) - 1`` for
        ``F`` fitted features under a correction, so that the smallest p-value ``1 / (B + 1)``
        corrected for ``F`` features is at most ``alpha / 2`` (with 999 permutations
        Bonferroni over 50 features at alpha 0.05 could never flag a feature).
    max_cells
        The most cells of a permutation table (>= 2, default ``MAX_CELLS`` = 1000); more
        distinct pooled values are merged into cells of about equal pooled mass (exact test of
        the merged statistic). The cost of a permuted window is about ``B x cells``
        hypergeometric draws (~0.2 ms per 1,000 cells here).
    seed
        Seeds the permutations (default 0, an integer >= 0): the same window gives the same
        p-value. Each feature has its own stream.

    ``default_min_samples = 4``: the smallest size of both sides at which the test can reject
    at alpha 0.05 (4 vs 4 separated: p = 2 / C(8, 4) = 0.029; 3 vs 3: p >= 2 / C(6, 3) = 0.1).
    Fewer values on a side give ``insufficient_data``.

    The effect size is the root-mean-square ECDF gap over the pooled sample
    (``cvm_effect_size``), ``sqrt(T N / (n m))``: a share of the population in [0, 1], never
    above the KS ``D``. The default floor ``min_effect_size=0.05`` is half the KS floor because
    an average gap is smaller than the largest gap for the same shift. A feature under the
    floor cannot drift, so its p-value comes from 99 permutations only.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> detector = CvMDetector().fit({"x": rng.normal(size=500)})
    >>> detector.score({"x": rng.normal(1.0, size=500)}).drifted
    True
    >>> counts = CvMDetector().fit({"x": rng.poisson(3.0, size=891).astype(float)})
    >>> result = counts.score({"x": rng.poisson(3.0, size=418).astype(float)})
    >>> result.drifted, result.details["p_value_method"]
    (False, 'permutation')
    """

    default_min_effect_size: ClassVar[float] = 0.05
    default_min_samples: ClassVar[int] = 4
    #: numeric features only, whole columns
    capabilities: ClassVar[Capabilities] = Capabilities(frozenset({"numeric"}))

    _references: dict[str, RankedReference]

    def __init__(
        self,
        *,
        alpha: float = 0.05,
        correction: Correction = "bonferroni",
        min_samples: int | None = None,
        min_effect_size: float | None = None,
        n_permutations: int | None = None,
        max_cells: int = MAX_CELLS,
        seed: int = 0,
    ) -> None:
        super().__init__(alpha=alpha, correction=correction, min_samples=min_samples,
                         min_effect_size=min_effect_size)
        if n_permutations is not None and not _is_int_at_least(n_permutations, 1):
            raise ConfigurationError(
                f"n_permutations must be None or an integer >= 1, got {n_permutations!r}")
        if not _is_int_at_least(max_cells, 2):
            raise ConfigurationError(f"max_cells must be an integer >= 2, got {max_cells!r}")
        if not _is_int_at_least(seed, 0):
            raise ConfigurationError(f"seed must be an integer >= 0, got {seed!r}")
        self.n_permutations = n_permutations
        self.max_cells = int(max_cells)
        self.seed = int(seed)
        self._references = {}

    def _start_fit(self) -> None:
        self._references = {}

    def _fit_feature(self, feature: str, column: npt.NDArray[Any]) -> None:
        self._references[feature] = RankedReference(column)

    def permutations(self) -> int:
        """The permutations a Monte-Carlo p-value draws at most (see ``n_permutations``)."""
        if self.n_permutations is not None:
            return self.n_permutations
        features = 1 if self.correction == "none" else max(len(self._references), 1)
        return max(DEFAULT_N_PERMUTATIONS, math.ceil(2 * features / self.alpha) - 1)

    def _test_feature(self, feature: str, column: npt.NDArray[Any]) -> FeatureTest:
        table = count_table(self._references[feature], column)
        effect = cvm_effect_size(table)
        permutations = self.permutations()
        if effect < self.min_effect_size:  # no drift whatever the p-value
            permutations = min(permutations, _SHORT_RUN)
        p = cvm_p_value(table, n_permutations=permutations, seed=_feature_seed(self.seed, feature),
                        max_cells=self.max_cells, stop_at=self.alpha)
        return FeatureTest(statistic=cvm_statistic(table), p_value=p.p_value,
                           effect_size=effect, details=p.details())


def _is_int_at_least(value: object, low: int) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        return False
    return bool(value >= low)
