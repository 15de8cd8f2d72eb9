"""Least-squares density difference (LSDD, Bu et al. 2016) with a permutation test.

The algorithm is alibi-detect's ``LSDDDrift``: the density difference ``p_ref - p_window`` is
modelled as a sum of Gaussian bumps on ``n_kernel_centers`` reference rows (the centres,
chosen at ``fit``; the other reference rows form the effective reference). With
``h = mean k(x_eff, c) - mean k(y, c)`` and ``H = k_{sqrt(2) sigma}(c, c)`` the statistic is
``h' M h`` where ``M = 2 (H + lam I)^-1 - (H + lam I)^-1 H (H + lam I)^-1``. As in alibi, ``H``
is not divided by ``(pi sigma^2)^(d/2)``, so the statistic is LSDD times that constant (same
p-values, stable in high dimensions).

Reference once: the encoding, the bandwidth (median heuristic, as ``MMDDetector``), the
centres, ``k(x_eff, c)`` and ``M`` are computed at ``fit``. alibi picks ``lam`` on every call
from the permuted ``h`` of the window; here it is picked once at ``fit`` by the same rule
(the largest of ``LAMBDA_CANDIDATES`` whose mean relative difference
``1 - w'Hw / h'w``, ``w = (H + lam I)^-1 h``, stays below ``lambda_rd_max``) on ``h`` from
random half splits of the effective reference, i.e. no-drift windows. The criterion does not
depend on the scale of ``h``, so windows of any size share it. A window then costs one kernel
block ``(m, n_kernel_centers)`` and one GEMM for all permutations.

The p-value and distance threshold are computed as in ``driftline.detector.mmd``.
"""

from __future__ import annotations

from typing import Self

import numpy as np
import numpy.typing as npt

from driftline.detector._base import Frame, register_detector
from driftline.detector._encoding import FloatMatrix, FrameEncoder
from driftline.detector._kernels import (
    DEFAULT_MAX_SAMPLES,
    PermutationDetector,
    PermutationTest,
    gaussian_kernel,
    median_bandwidth,
    permutation_indices,
    permutation_p_value,
    subsample,
)
from driftline.errors import ConfigurationError, ValidationError

__all__ = ["LAMBDA_CANDIDATES", "LSDDDetector"]

#: regularization strengths tried at ``fit``, largest first (alibi-detect's ``1 / 4**i``)
LAMBDA_CANDIDATES: tuple[float, ...] = tuple(1.0 / 4**i for i in range(10))


def _weights(perms: npt.NDArray[np.int64], n_first: int, n_total: int) -> FloatMatrix:
    """``(P, N)`` weights: ``1/n_first`` on each permutation's first ``n_first`` rows and
    ``-1/(N - n_first)`` on the rest, so ``weights @ K`` stacks the permuted ``h``."""
    w = np.full(perms.shape, -1.0 / (n_total - n_first))
    w[np.arange(len(perms))[:, None], perms[:, :n_first]] = 1.0 / n_first
    return w


@register_detector("lsdd")
class LSDDDetector(PermutationDetector):
    """Multivariate drift by an LSDD permutation test on the encoded features.

    Settings: ``alpha``; ``n_permutations``; ``n_kernel_centers`` (``None``: alibi's
    ``max(n_reference // 20, 1)``); ``lambda_rd_max`` (0.2 as in the paper);
    ``regularization``: a fixed ``lam`` instead of the ``fit``-time choice; ``bandwidth``
    (``None``: median heuristic on the standardized reference); ``standardize``;
    ``min_samples``; ``min_effect_size``: smallest statistic reported as drift (default 0,
    off: the statistic's scale depends on ``n_kernel_centers`` and the bandwidth);
    ``max_samples`` rows per side; ``median_sample_size``; ``seed`` for the centres, the
    subsamples, the ``lam`` calibration and the permutations.
    """

    def __init__(
        self,
        *,
        alpha: float = 0.05,
        n_permutations: int = 100,
        n_kernel_centers: int | None = None,
        lambda_rd_max: float = 0.2,
        regularization: float | None = None,
        bandwidth: float | None = None,
        standardize: bool = True,
        min_samples: int = 30,
        min_effect_size: float = 0.0,
        max_samples: int = DEFAULT_MAX_SAMPLES,
        median_sample_size: int = 2000,
        seed: int = 0,
    ) -> None:
        super().__init__(alpha=alpha, n_permutations=n_permutations, bandwidth=bandwidth,
                         standardize=standardize, min_samples=min_samples,
                         min_effect_size=min_effect_size, max_samples=max_samples,
                         median_sample_size=median_sample_size, seed=seed)
        if n_kernel_centers is not None and n_kernel_centers < 1:
            raise ConfigurationError(f"n_kernel_centers must be >= 1, got {n_kernel_centers!r}")
        if regularization is not None and not regularization > 0.0:
            raise ConfigurationError(f"regularization must be > 0, got {regularization!r}")
        self.n_kernel_centers = n_kernel_centers
        self.lambda_rd_max = lambda_rd_max
        self.regularization = regularization
        self._centers: FloatMatrix = np.empty((0, 0))
        self._k_xc: FloatMatrix = np.empty((0, 0))
        self._metric: FloatMatrix = np.empty((0, 0))
        self._bandwidth = 0.0
        self._lambda = 0.0
        self._center_index: npt.NDArray[np.int64] = np.empty(0, dtype=np.int64)

    @property
    def fitted_bandwidth(self) -> float:
        self._fitted_encoder()
        return self._bandwidth

    @property
    def fitted_regularization(self) -> float:
        """The ``lam`` in use (given, or chosen at ``fit``)."""
        self._fitted_encoder()
        return self._lambda

    @property
    def center_index(self) -> npt.NDArray[np.int64]:
        """Rows of the (subsampled) reference used as kernel centres, in the order used."""
        self._fitted_encoder()
        return self._center_index.copy()

    def fit(self, reference: Frame) -> Self:
        encoder = FrameEncoder(standardize=self.standardize).fit(reference)
        x = subsample(encoder.transform(reference), self.max_samples, [self.seed, 0])
        n = len(x)
        n_centers = self.n_kernel_centers or max(n // 20, 1)
        if n < self.min_samples or n - n_centers < 2:
            raise ValidationError(
                f"reference has {n} rows: needs min_samples={self.min_samples} and at least 2 "
                f"rows beyond n_kernel_centers={n_centers}",
                field="reference",
            )
        bw = self.bandwidth or median_bandwidth(x, max_rows=self.median_sample_size, seed=self.seed)
        order = np.random.default_rng(self.seed).permutation(n)
        centers = x[order[:n_centers]]
        self._k_xc = gaussian_kernel(x[order[n_centers:]], centers, bw)
        h_matrix = gaussian_kernel(centers, centers, np.sqrt(2.0) * bw)
        lam = self.regularization or self._choose_lambda(h_matrix)
        inv = np.asarray(np.linalg.inv(h_matrix + lam * np.eye(n_centers)), dtype=np.float64)
        self._metric = np.asarray(2.0 * inv - inv @ h_matrix @ inv, dtype=np.float64)
        self._centers, self._center_index = centers, order[:n_centers]
        self._bandwidth, self._lambda, self._encoder = bw, lam, encoder
        return self

    @property
    def _n_reference(self) -> int:
        return len(self._k_xc) + len(self._centers)

    def _run_test(self, y: FloatMatrix) -> PermutationTest:
        if len(y) < 1:
            raise ValidationError("window has no rows", field="window")
        k_yc = gaussian_kernel(y, self._centers, self._bandwidth)
        h = self._k_xc.mean(axis=0) - k_yc.mean(axis=0)
        observed = float(h @ self._metric @ h)
        n_x = len(self._k_xc)
        perms = permutation_indices(n_x + len(y), self.n_permutations, self.seed)
        w = _weights(perms, n_x, n_x + len(y))
        h_perm = w[:, :n_x] @ self._k_xc + w[:, n_x:] @ k_yc
        permuted = np.einsum("pj,pj->p", h_perm @ self._metric, h_perm)
        p_value, threshold = permutation_p_value(observed, permuted, self.alpha)
        return PermutationTest(observed, p_value, threshold, permuted)

    def _choose_lambda(self, h_matrix: FloatMatrix) -> float:
        """alibi's relative-difference rule on ``h`` from half splits of the reference."""
        n_x = len(self._k_xc)
        perms = permutation_indices(n_x, self.n_permutations, self.seed + 1)
        h = _weights(perms, n_x // 2, n_x) @ self._k_xc
        eye = np.eye(len(h_matrix))
        for lam in LAMBDA_CANDIDATES:
            omega = np.linalg.solve(h_matrix + lam * eye, h.T).T
            ratio = np.einsum("pj,pj->p", omega @ h_matrix, omega) / np.einsum("pj,pj->p", h, omega)
            if float(np.mean(1.0 - ratio)) < self.lambda_rd_max:
                return lam
        raise ValidationError(
            "no regularization meets lambda_rd_max; the reference may repeat many rows",
            field="reference",
        )
