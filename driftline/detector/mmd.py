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

p-value (as alibi-detect): the share of permuted statistics at least as large as the observed
one, ``mean(observed <= permuted)``; drift needs ``p_value < alpha``. The reported
``distance_threshold`` is alibi's: the permuted statistics sorted in decreasing order, taken at
index ``int(alpha * n_permutations)``; it is returned by ``test``, while ``score``'s
``DriftResult`` carries ``threshold=alpha`` and ``effect_size`` = the MMD^2 statistic.
"""

from __future__ import annotations

from typing import Literal, Self

import numpy as np
import numpy.typing as npt

from driftline.detector._base import Frame, register_detector
from driftline.detector._encoding import FloatMatrix, FrameEncoder
from driftline.detector._kernels import (
    DEFAULT_MAX_SAMPLES,
    PermutationDetector,
    PermutationTest,
    Vector,
    gaussian_kernel,
    median_bandwidth,
    permutation_indices,
    permutation_p_value,
    squared_distances,
    subsample,
)
from driftline.errors import ConfigurationError, ValidationError

__all__ = [
    "MMDDetector",
    "MiB",
    "PermutationTest",
    "gaussian_kernel",
    "median_bandwidth",
    "permutation_indices",
    "permutation_p_value",
]

MiB = 2**20


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

    Settings: ``alpha`` significance level; ``n_permutations``; ``estimator`` ``"unbiased"``
    (alibi-detect's) or ``"biased"``; ``bandwidth`` of the Gaussian kernel in encoded units
    (``None``: median heuristic on the reference at ``fit``, see ``median_bandwidth``);
    ``standardize`` numeric features (see ``FrameEncoder``); ``min_samples`` rows in the
    reference and in a window below which the verdict is ``insufficient_data``;
    ``min_effect_size``: smallest MMD^2 reported as drift (the default 1e-3 is about a 0.13
    standard-deviation mean shift of one of 5 standardized features); ``max_samples`` rows
    per side (larger inputs are subsampled with ``seed``); ``median_sample_size`` rows for the
    median heuristic; ``kernel_cache_bytes`` largest reference kernel block kept from ``fit``;
    ``block_bytes`` working memory per kernel row block; ``seed`` for subsamples and
    permutations (the same window always gets the same result).
    """

    def __init__(
        self,
        *,
        alpha: float = 0.05,
        n_permutations: int = 100,
        estimator: Literal["unbiased", "biased"] = "unbiased",
        bandwidth: float | None = None,
        standardize: bool = True,
        min_samples: int = 30,
        min_effect_size: float = 1e-3,
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
        self._fitted_bandwidth = 0.0
        self._k_xx: npt.NDArray[np.float32] | None = None
        self._rowsum_xx: Vector = np.empty(0)

    @property
    def fitted_bandwidth(self) -> float:
        """The kernel bandwidth in use (given, or from the median heuristic)."""
        self._fitted_encoder()
        return self._fitted_bandwidth

    def fit(self, reference: Frame) -> Self:
        encoder = FrameEncoder(standardize=self.standardize).fit(reference)
        x = subsample(encoder.transform(reference), self.max_samples, [self.seed, 0])
        if len(x) < self.min_samples:
            raise ValidationError(
                f"reference has {len(x)} rows, min_samples is {self.min_samples}",
                field="reference",
            )
        bw = self.bandwidth or median_bandwidth(x, max_rows=self.median_sample_size, seed=self.seed)
        self._fitted_bandwidth, self._gamma = bw, 1.0 / (2.0 * bw**2)
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
        self._x, self._encoder = x, encoder
        return self

    @property
    def _n_reference(self) -> int:
        return len(self._x)

    def _run_test(self, y: FloatMatrix) -> PermutationTest:
        if len(y) < 2:
            raise ValidationError(f"window has {len(y)} rows, the test needs 2", field="window")
        return self._permutation_test(y)

    def _permutation_test(self, y: FloatMatrix) -> PermutationTest:
        x, gamma, blocks = self._x, self._gamma, self.block_bytes
        n, m = len(x), len(y)
        perms = permutation_indices(n + m, self.n_permutations, self.seed)
        # Integer label weights are exact in float32: +m on the relabelled reference, -n else.
        w = np.full((self.n_permutations, n + m), -float(n), dtype=np.float32)
        w[np.arange(self.n_permutations)[:, None], perms[:, :n]] = float(m)
        w = np.ascontiguousarray(w.T)
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
        observed = self._mmd2(sum_xx, sum_yy, sum_xy, n, m)
        permuted = self._permuted_mmd2(w, kw, rowsum, n, m)
        p_value, threshold = permutation_p_value(observed, permuted, self.alpha)
        return PermutationTest(observed, p_value, threshold, permuted)

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
