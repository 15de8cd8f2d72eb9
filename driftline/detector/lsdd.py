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
block ``(m, n_kernel_centers)`` and one GEMM for all permutations. A reference of fewer than
``POOLED_BELOW`` rows beyond its centres is instead encoded with each window, and ``lam`` then
chosen on splits of the pooled sample into the tested sizes (alibi's per-call rule), so that
the test stays exact (``driftline.detector._kernels``).

The p-value ``(k + 1) / (B + 1)`` and distance threshold are computed as in
``driftline.detector.mmd`` (the observed labelling ranked by the same arithmetic as the
permutations); alibi-detect reports ``k / B``.

Effect size: the statistic is a plug-in (biased) estimate of ``h' M h``; with the sample
covariances ``S_x``, ``S_y`` of the kernel features ``k(x_eff, c)`` and ``k(y, c)`` its bias is
``tr(M S_x) / n_x + tr(M S_y) / m`` (each ``S`` from at most ``BIAS_SAMPLE`` rows), and
``effect_size = max(statistic - bias, 0)`` (the
unbiased estimate of the population ``h' M h``, like MMD's unbiased MMD^2, clipped at 0: the
population value is never negative). ``min_effect_size`` is compared with it.

Effect-size floor (``DEFAULT_MIN_EFFECT_SIZE`` = 3e-3): the population statistic of a 0.13
standard-deviation mean shift of one of 5 standardized features, MMD's materiality, at the
default sample cap (5,000 reference rows, 250 centres). The statistic grows with the number
of centres (more of the density difference is captured): the same shift gives about 2.1e-3
with 1,000 reference rows (50 centres) and 1.1e-3 with 200 (10 centres), so on small
references the floor asks for a larger shift (about 0.16 and 0.21 sd), where the p-value is
the binding condition anyway. With d = 20 standardized features the floor is about a 0.34 sd
shift of one feature (MMD's: about 0.24 sd), with d = 2 about 0.13 sd.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from driftline.detector._base import register_detector
from driftline.detector._encoding import FloatMatrix
from driftline.detector._kernels import (
    DEFAULT_MAX_SAMPLES,
    PermutationDetector,
    PermutationTest,
    gaussian_kernel,
    permutation_indices,
    permutation_p_value,
    reference_bandwidth,
    subsample_rows,
)
from driftline.errors import ConfigurationError

__all__ = ["BIAS_SAMPLE", "DEFAULT_MIN_EFFECT_SIZE", "LAMBDA_CANDIDATES", "LSDDDetector"]

#: rows per side (a seeded sample) whose covariance gives that side's part of the bias
#: correction of the effect size (all rows up to that size). The sampling error of a term is
#: small: 0.35% of it (1.6e-6, against the 3e-3 floor) for a
#: 5,000-row window of 5 standard normal features
BIAS_SAMPLE = 1_000

#: regularization strengths tried at ``fit``, largest first (alibi-detect's ``1 / 4**i``)
LAMBDA_CANDIDATES: tuple[float, ...] = tuple(1.0 / 4**i for i in range(10))
#: ``min_effect_size`` default, in units of the statistic: the population LSDD statistic
#: (``h' M h`` with the population ``h``) of a 0.13 standard-deviation mean shift of one of 5
#: standardized Gaussian features under the default settings at the default sample cap
#: (5,000 reference rows, 250 centres, median-heuristic bandwidth, ``lam`` chosen at fit):
#: about 3.2e-3 (3.1e-3 .. 3.3e-3 over seeds). That is the materiality of MMD's default
#: floor (1e-3 MMD^2, the same shift), so the two tests call the same shifts immaterial on
#: large samples.
DEFAULT_MIN_EFFECT_SIZE = 3e-3


def _weights(perms: npt.NDArray[np.int64], n_first: int, n_total: int) -> FloatMatrix:
    """``(P, N)`` weights: ``1/n_first`` on each permutation's first ``n_first`` rows and
    ``-1/(N - n_first)`` on the rest, so ``weights @ K`` stacks the permuted ``h``."""
    w = np.full(perms.shape, -1.0 / (n_total - n_first))
    w[np.arange(len(perms))[:, None], perms[:, :n_first]] = 1.0 / n_first
    return w


@register_detector("lsdd")
class LSDDDetector(PermutationDetector):
    """Multivariate drift by an LSDD permutation test on the encoded features.

    Settings (defaults in brackets): ``alpha`` [0.05]; ``n_permutations`` [100], at least
    ``1/alpha``; ``n_kernel_centers`` [None: alibi's ``max(n_reference // 20, 1)``];
    ``lambda_rd_max`` [0.2, as in the paper]; ``regularization``: a fixed ``lam`` instead of
    the ``fit``-time choice [None]; ``bandwidth`` [None: median heuristic on the standardized
    reference, ``FALLBACK_BANDWIDTH`` when its rows are all the same]; ``standardize``
    [True]; ``min_samples`` rows per side [None: 2, plus the can-it-reject floor of
    ``driftline.detector._kernels``; the reference side counts the rows beyond the centres, so
    a reference needs 3 rows or more]; ``min_effect_size``: smallest bias-corrected statistic
    reported as drift [``DEFAULT_MIN_EFFECT_SIZE`` = 3e-3, see the module docstring];
    ``max_samples`` rows per side [5,000]; ``median_sample_size`` [2,000]; ``seed`` for the
    centres, the subsamples, the ``lam`` calibration and the permutations [0].

    ``DriftResult.details`` adds ``bandwidth``, ``regularization``, ``n_kernel_centers``,
    ``statistic_bias`` (subtracted for the effect size) to the shared ones.
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
        min_samples: int | None = None,
        min_effect_size: float = DEFAULT_MIN_EFFECT_SIZE,
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
        self._bandwidth = float("nan")
        self._lambda = float("nan")
        self._center_index: npt.NDArray[np.int64] = np.empty(0, dtype=np.int64)
        self._bias_x = 0.0

    @property
    def fitted_bandwidth(self) -> float:
        """The bandwidth fitted on the reference; NaN for a reference too small to test or of
        fewer than ``POOLED_BELOW`` tested rows (then chosen with each window)."""
        self._fitted_encoder()
        return self._bandwidth

    @property
    def fitted_regularization(self) -> float:
        """The ``lam`` fitted on the reference (given, or chosen at ``fit``); NaN as
        ``fitted_bandwidth``."""
        self._fitted_encoder()
        return self._lambda

    @property
    def center_index(self) -> npt.NDArray[np.int64]:
        """Rows of the (subsampled) reference used as kernel centres, in the order used."""
        self._fitted_encoder()
        return self._center_index.copy()

    def _n_centers(self, n_reference: int) -> int:
        return min(self.n_kernel_centers or max(n_reference // 20, 1), n_reference)

    def _tested_rows(self, n_reference: int) -> int:
        return n_reference - self._n_centers(n_reference)

    def _fit_encoded(self, x: FloatMatrix, window: FloatMatrix | None) -> None:
        n = len(x)
        n_centers = self._n_centers(n)
        pooled = x if window is None else np.vstack([x, window])
        bw, source = reference_bandwidth(
            pooled, self.bandwidth, max_rows=self.median_sample_size, seed=self.seed)
        self._bandwidth_source = source if window is None or source == "given" else \
            f"{source}_pooled"
        order = np.random.default_rng(self.seed).permutation(n)
        centers = x[order[:n_centers]]
        self._k_xc = gaussian_kernel(x[order[n_centers:]], centers, bw)
        h_matrix = gaussian_kernel(centers, centers, np.sqrt(2.0) * bw)
        if self.regularization is not None:
            lam = self.regularization
        elif window is None:  # half splits of the effective reference
            lam = self._choose_lambda(h_matrix, self._k_xc, len(self._k_xc) // 2)
        else:  # splits of the pooled sample into the tested sizes, as alibi on every call
            k_pool = np.vstack([self._k_xc, gaussian_kernel(window, centers, bw)])
            lam = self._choose_lambda(h_matrix, k_pool, len(self._k_xc))
        inv = np.asarray(np.linalg.inv(h_matrix + lam * np.eye(n_centers)), dtype=np.float64)
        self._metric = np.asarray(2.0 * inv - inv @ h_matrix @ inv, dtype=np.float64)
        self._centers, self._center_index = centers, order[:n_centers]
        self._bandwidth, self._lambda = bw, lam
        rows = subsample_rows(len(self._k_xc), BIAS_SAMPLE, [self.seed, 3])
        self._bias_x = self._trace_term(self._k_xc if rows is None else self._k_xc[rows],
                                        len(self._k_xc))

    def _trace_term(self, k: FloatMatrix, n: int) -> float:
        """``tr(M S) / n``, ``S`` the sample covariance (ddof=1) of the rows of ``k`` (kernel
        features of a side of ``n`` rows, or a random sample of them): that side's part of
        the statistic's bias."""
        centred = k - k.mean(axis=0)
        gram = centred.T @ centred
        return float(np.sum(self._metric * gram)) / ((len(k) - 1) * n)

    def _run_test(self, y: FloatMatrix) -> PermutationTest:
        k_yc = gaussian_kernel(y, self._centers, self._bandwidth)
        h = self._k_xc.mean(axis=0) - k_yc.mean(axis=0)
        observed = float(h @ self._metric @ h)
        n_x, m = len(self._k_xc), len(y)
        perms = permutation_indices(n_x + m, self.n_permutations, self.seed)
        # the observed labelling first, ranked by the same arithmetic as the permutations
        perms = np.vstack([np.arange(n_x + m, dtype=np.int64), perms])
        w = _weights(perms, n_x, n_x + m)
        h_perm = w[:, :n_x] @ self._k_xc + w[:, n_x:] @ k_yc
        stats = np.einsum("pj,pj->p", h_perm @ self._metric, h_perm)
        p_value, threshold = permutation_p_value(float(stats[0]), stats[1:], self.alpha)
        # each side's covariance from at most BIAS_SAMPLE rows (seeded): the bias term is a
        # correction, and the full (m, c) Gram would cost as much as all the permutations
        rows = subsample_rows(m, BIAS_SAMPLE, [self.seed, 2])
        bias = self._bias_x + self._trace_term(k_yc if rows is None else k_yc[rows], m)
        details = {"bandwidth": self._bandwidth, "regularization": self._lambda,
                   "n_kernel_centers": len(self._centers), "statistic_bias": bias}
        return PermutationTest(observed, p_value, threshold, stats[1:].copy(),
                               effect_size=max(observed - bias, 0.0), n_reference=n_x,
                               n_window=m, details=details)

    def _choose_lambda(self, h_matrix: FloatMatrix, k: FloatMatrix, n_first: int) -> float:
        """alibi's relative-difference rule on the ``h`` of random splits of the rows ``k``
        (kernel features) into ``n_first`` and the rest: the largest candidate whose mean
        relative difference is below ``lambda_rd_max``. Where none is (many repeated rows;
        alibi raises), the candidate with the smallest one: the permutation test is valid for
        any ``lam``, only its power depends on it."""
        perms = permutation_indices(len(k), self.n_permutations, self.seed + 1)
        h = _weights(perms, n_first, len(k)) @ k
        eye = np.eye(len(h_matrix))
        rds: list[float] = []
        with np.errstate(invalid="ignore", divide="ignore"):
            for lam in LAMBDA_CANDIDATES:
                omega = np.linalg.solve(h_matrix + lam * eye, h.T).T
                ratio = (np.einsum("pj,pj->p", omega @ h_matrix, omega)
                         / np.einsum("pj,pj->p", h, omega))
                rd = float(np.mean(1.0 - ratio))
                if rd < self.lambda_rd_max:
                    return lam
                rds.append(rd)
        finite = [(rd, i) for i, rd in enumerate(rds) if np.isfinite(rd)]
        return LAMBDA_CANDIDATES[min(finite)[1] if finite else 0]
