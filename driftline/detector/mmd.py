"""Maximum mean discrepancy (MMD) with a Gaussian kernel and a batched permutation test.

The statistic is alibi-detect's ``MMDDrift`` statistic: the unbiased MMD^2 of Gretton et al.
(2012), ``sum_{i!=j} k(x_i,x_j)/(n(n-1)) + sum_{i!=j} k(y_i,y_j)/(m(m-1)) - 2 mean k(x,y)``,
with ``k(a, b) = exp(-|a-b|^2 / (2 bandwidth^2))``. ``estimator="biased"`` keeps the diagonals
(the V-statistic, denominators ``n^2`` and ``m^2``).

Speed. A permutation relabels the pooled sample; its statistic is a quadratic form of the
label vector ``w`` (``+m`` on the relabelled reference, ``-n`` on the window) in the zero-
diagonal pooled kernel matrix ``K0``, plus terms in the row sums of ``K0``. All permutations
are stacked into one ``(N, P)`` matrix ``W`` and ``K0 @ W`` is one float32 GEMM, computed row
block by row block so that ``K0`` is never held whole (``block_bytes``). The reference block
``K_xx`` depends only on the reference and is cached at ``fit`` when it fits in
``kernel_cache_bytes``; the observed statistic is summed in float64.

The observed labelling is one more column of ``W`` (the first), so the observed statistic is
ranked among the permuted ones by the same float32 arithmetic (the reported ``statistic`` is
the float64 one).

p-value ``(k + 1) / (B + 1)``, ``k`` the permuted statistics at least as large as the observed
one (``driftline.detector._kernels``); alibi-detect reports ``k / B``, the same permutations
read without the observed labelling. Drift needs ``p_value < alpha`` and
``effect_size >= min_effect_size``. The ``distance_threshold`` is alibi's: the permuted
statistics sorted in decreasing order, taken at index ``int(alpha * n_permutations)``; ``test``
returns it and ``score`` puts it in ``DriftResult.details``, while the ``DriftResult`` carries
``threshold=alpha``.

Effect size: ``max(MMD^2_u, 0)``, the unbiased MMD^2 (whichever ``estimator`` the test uses)
clipped at 0. The population MMD^2 is never negative and the unbiased estimate is negative only
by sampling noise around 0; its positive part is closer to the truth in mean square, and it
is in the units of ``min_effect_size``. The ``statistic`` stays the (possibly negative)
estimate the test ranks, as alibi-detect's.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt

from driftline.detector._base import register_detector
from driftline.detector._encoding import FloatMatrix
from driftline.detector._kernels import (
    DEFAULT_MAX_SAMPLES,
    PermutationDetector,
    PermutationTest,
    Vector,
    gaussian_kernel,
    median_bandwidth,
    permutation_indices,
    permutation_p_value,
    reference_bandwidth,
    squared_distances,
)
from driftline.errors import ConfigurationError

__all__ = [
    "DEFAULT_MIN_EFFECT_SIZE",
    "MMDDetector",
    "MiB",
    "PermutationTest",
    "gaussian_kernel",
    "label_weights",
    "median_bandwidth",
    "permutation_indices",
    "permutation_p_value",
]

MiB = 2**20
#: ``min_effect_size`` default, in MMD^2: the population MMD^2 of a 0.13 standard-deviation
#: mean shift of one of 5 standardized Gaussian features with the median-heuristic bandwidth
#: (``2 (s/(s+2))^(d/2) (1 - exp(-delta^2 / (2 (s+2))))`` with ``s = sigma^2 ~ 4.35``)
DEFAULT_MIN_EFFECT_SIZE = 1e-3


def label_weights(n: int, m: int, n_permutations: int, seed: int) -> npt.NDArray[np.float32]:
    """``(n + m, 1 + n_permutations)`` float32 label weights, exact integers: ``+m`` on the
    (relabelled) reference and ``-n`` on the window. Column 0 is the observed labelling, the
    others the permutations of ``permutation_indices(n + m, n_permutations, seed)``."""
    perms = permutation_indices(n + m, n_permutations, seed)
    w = np.full((n_permutations + 1, n + m), -float(n), dtype=np.float32)
    w[0, :n] = float(m)
    w[1 + np.arange(n_permutations)[:, None], perms[:, :n]] = float(m)
    return np.ascontiguousarray(w.T)


def _row_blocks(n_rows: int, n_cols: int, block_bytes: int) -> list[slice]:
    step = max(1, block_bytes // (12 * max(n_cols, 1)))  # float64 distances + float32 kernel
    return [slice(i, min(i + step, n_rows)) for i in range(0, n_rows, step)]


def _kernel32(a: FloatMatrix, b: FloatMatrix, gamma: float) -> npt.NDArray[np.float32]:
    d2 = squared_distances(a, b)
    d2 *= -gamma
    k = d2.astype(np.float32)
    return np.exp(k, out=k)


def _zero_diagonal(block: npt.NDArray[np.float32], offset: int) -> None:
    rows = np.arange(block.shape[0])
    block[rows, rows + offset] = 0.0


@register_detector("mmd")
class MMDDetector(PermutationDetector):
    """Multivariate drift by an MMD permutation test on the encoded features.

    Settings (defaults in brackets): ``alpha`` significance level [0.05], in (0, 1);
    ``n_permutations`` [100], at least ``1/alpha`` (so that ``p < alpha`` is possible; the
    p-value's Monte-Carlo error is ``sqrt(p (1 - p) / B)``, about 0.022 at p = 0.05);
    ``estimator`` ``"unbiased"`` (alibi-detect's) or ``"biased"`` [unbiased]; ``bandwidth``
    of the Gaussian kernel in encoded units [None: median heuristic on the reference at
    ``fit``, see ``median_bandwidth``; ``FALLBACK_BANDWIDTH`` when all reference rows are the
    same]; ``standardize`` numeric features [True] (see ``FrameEncoder``); ``min_samples``
    rows per side below which the verdict is ``insufficient_data`` [None: 2, plus the
    can-it-reject floor of ``driftline.detector._kernels``: 4 rows per side for equal sides at
    alpha 0.05]; ``min_effect_size``: smallest MMD^2 reported as drift
    [``DEFAULT_MIN_EFFECT_SIZE`` = 1e-3, about a 0.13 standard-deviation mean shift of one of
    5 standardized features; for d standardized features the same floor is a larger single-
    feature shift, about 0.24 sd at d = 20]; ``max_samples`` rows per side [5,000] (larger
    inputs are subsampled with ``seed``); ``median_sample_size`` rows for the median heuristic
    [2,000]; ``kernel_cache_bytes`` largest reference kernel block kept from ``fit`` [256 MiB];
    ``block_bytes`` working memory per kernel row block [64 MiB]; ``seed`` for subsamples and
    permutations [0] (the same window always gets the same result).

    ``DriftResult.details`` adds ``bandwidth``, ``estimator`` and ``mmd2_unbiased`` to the
    shared ones (``PermutationDetector``).
    """

    def __init__(
        self,
        *,
        alpha: float = 0.05,
        n_permutations: int = 100,
        estimator: Literal["unbiased", "biased"] = "unbiased",
        bandwidth: float | None = None,
        standardize: bool = True,
        min_samples: int | None = None,
        min_effect_size: float = DEFAULT_MIN_EFFECT_SIZE,
        max_samples: int = DEFAULT_MAX_SAMPLES,
        median_sample_size: int = 2000,
        kernel_cache_bytes: int = 256 * MiB,
        block_bytes: int = 64 * MiB,
        seed: int = 0,
    ) -> None:
        super().__init__(alpha=alpha, n_permutations=n_permutations, bandwidth=bandwidth,
                         standardize=standardize, min_samples=min_samples,
                         min_effect_size=min_effect_size, max_samples=max_samples,
                         median_sample_size=median_sample_size, seed=seed)
        if estimator not in ("unbiased", "biased"):
            raise ConfigurationError(f"estimator must be 'unbiased' or 'biased', got {estimator!r}")
        self.estimator = estimator
        self.kernel_cache_bytes = kernel_cache_bytes
        self.block_bytes = block_bytes
        self._x: FloatMatrix = np.empty((0, 0))
        self._gamma = 0.0
        self._fitted_bandwidth = float("nan")
        self._k_xx: npt.NDArray[np.float32] | None = None
        self._rowsum_xx: Vector = np.empty(0)

    @property
    def fitted_bandwidth(self) -> float:
        """The kernel bandwidth fitted on the reference (given, from the median heuristic, or
        the fallback); NaN for a reference too small to test or one of fewer than
        ``POOLED_BELOW`` rows (its bandwidth is chosen with each window, see
        ``DriftResult.details``)."""
        self._fitted_encoder()
        return self._fitted_bandwidth

    def _fit_encoded(self, x: FloatMatrix, window: FloatMatrix | None) -> None:
        pooled = x if window is None else np.vstack([x, window])
        bw, source = reference_bandwidth(
            pooled, self.bandwidth, max_rows=self.median_sample_size, seed=self.seed)
        self._bandwidth_source = source if window is None or source == "given" else \
            f"{source}_pooled"
        self._x, self._fitted_bandwidth, self._gamma = x, bw, 1.0 / (2.0 * bw**2)
        self._cache_reference_kernel(x)

    def _cache_reference_kernel(self, x: FloatMatrix) -> None:
        """Row sums of the zero-diagonal ``K_xx`` and, within ``kernel_cache_bytes``, the
        block itself."""
        n = len(x)
        cache = n * n * 4 <= self.kernel_cache_bytes
        self._k_xx = np.empty((n, n), dtype=np.float32) if cache else None
        self._rowsum_xx = np.empty(n)
        for rows in _row_blocks(n, n, self.block_bytes):
            block = _kernel32(x[rows], x, self._gamma)
            _zero_diagonal(block, rows.start)
            self._rowsum_xx[rows] = block.sum(axis=1, dtype=np.float64)
            if self._k_xx is not None:
                self._k_xx[rows] = block

    def _tested_rows(self, n_reference: int) -> int:
        return n_reference

    def _run_test(self, y: FloatMatrix) -> PermutationTest:
        return self._permutation_test(y)

    def _outcome(self, sums: tuple[float, float, float], stats: Vector, n: int, m: int
                 ) -> PermutationTest:
        """The test from the float64 sums ``(xx, yy, xy)`` (zero diagonals) and the ``B + 1``
        statistics of ``label_weights`` (observed labelling first)."""
        sum_xx, sum_yy, sum_xy = sums
        observed = self._mmd2(sum_xx, sum_yy, sum_xy, n, m)
        unbiased = sum_xx / (n * (n - 1)) + sum_yy / (m * (m - 1)) - 2.0 * sum_xy / (n * m)
        p_value, threshold = permutation_p_value(float(stats[0]), stats[1:], self.alpha)
        details = {"bandwidth": self._fitted_bandwidth, "estimator": self.estimator,
                   "mmd2_unbiased": unbiased}
        return PermutationTest(observed, p_value, threshold, stats[1:].copy(),
                               effect_size=max(unbiased, 0.0), n_reference=n, n_window=m,
                               details=details)

    def _permutation_test(self, y: FloatMatrix) -> PermutationTest:
        x, gamma, blocks = self._x, self._gamma, self.block_bytes
        n, m = len(x), len(y)
        # Integer label weights are exact in float32: +m on the relabelled reference, -n else.
        w = label_weights(n, m, self.n_permutations, self.seed)
        kw = np.zeros_like(w)  # K0 @ W, accumulated block by block
        rowsum = np.concatenate([self._rowsum_xx, np.zeros(m)])  # K0 @ 1 in float64
        if self._k_xx is not None:
            kw[:n] = self._k_xx @ w[:n]
        else:
            for rows in _row_blocks(n, n, blocks):
                block = _kernel32(x[rows], x, gamma)
                _zero_diagonal(block, rows.start)
                kw[rows] += block @ w[:n]
        sum_xy = 0.0
        for rows in _row_blocks(n, m, blocks):
            block = _kernel32(x[rows], y, gamma)
            kw[rows] += block @ w[n:]
            kw[n:] += block.T @ w[rows]
            cross = block.sum(axis=1, dtype=np.float64)
            rowsum[rows] += cross
            rowsum[n:] += block.sum(axis=0, dtype=np.float64)
            sum_xy += float(cross.sum())
        sum_yy = 0.0
        for rows in _row_blocks(m, m, blocks):
            block = _kernel32(y[rows], y, gamma)
            _zero_diagonal(block, rows.start)
            kw[n:][rows] += block @ w[n:]
            within = block.sum(axis=1, dtype=np.float64)
            rowsum[n:][rows] += within
            sum_yy += float(within.sum())
        sum_xx = float(self._rowsum_xx.sum())
        return self._outcome((sum_xx, sum_yy, sum_xy), self._permuted_mmd2(w, kw, rowsum, n, m),
                             n, m)

    def _mmd2(self, sum_xx: float, sum_yy: float, sum_xy: float, n: int, m: int) -> float:
        """MMD^2 from the zero-diagonal within-sample sums (the Gaussian diagonal is 1)."""
        cross = 2.0 * sum_xy / (n * m)
        if self.estimator == "biased":
            return (sum_xx + n) / n**2 + (sum_yy + m) / m**2 - cross
        return sum_xx / (n * (n - 1)) + sum_yy / (m * (m - 1)) - cross

    def _permuted_mmd2(
        self,
        w: npt.NDArray[np.float32],
        kw: npt.NDArray[np.float32],
        rowsum: Vector,
        n: int,
        m: int,
    ) -> Vector:
        nm = float(n * m)
        # q = (w/nm)' K0 (w/nm): the biased statistic with zero diagonals.
        q: Vector = np.einsum("ip,ip->p", w, kw, dtype=np.float64) / nm**2
        if self.estimator == "biased":
            return q + (1.0 / n + 1.0 / m)
        # Recover the within-sample sums from q: indicator a = (w + n) / (n + m).
        total = float(rowsum.sum())
        w_rowsum = (w.T.astype(np.float64) @ rowsum) / nm
        c = 1.0 / n + 1.0 / m
        sum_xx = (q + 2.0 * w_rowsum / m + total / m**2) / c**2
        a_rowsum = (w_rowsum + total / m) / c
        sum_yy = total - 2.0 * a_rowsum + sum_xx
        out: Vector = q + sum_xx / (n**2 * (n - 1)) + sum_yy / (m**2 * (m - 1))
        return out
