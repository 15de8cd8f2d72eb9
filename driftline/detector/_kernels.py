"""Kernel and permutation-test helpers shared by the MMD, LSDD and online detectors."""

from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import numpy.typing as npt

from driftline.detector._base import BatchDetector, Frame
from driftline.detector._capabilities import Capabilities
from driftline.detector._encoding import FloatMatrix, FrameEncoder
from driftline.detector._result import DriftResult, Status
from driftline.errors import ConfigurationError, NotFittedError, ValidationError

__all__ = [
    "DEFAULT_MAX_SAMPLES",
    "PermutationDetector",
    "PermutationTest",
    "Vector",
    "check_permutation_settings",
    "gaussian_kernel",
    "median_bandwidth",
    "permutation_indices",
    "permutation_p_value",
    "squared_distances",
    "subsample",
    "verdict",
]

Vector = npt.NDArray[np.float64]


def check_permutation_settings(n_permutations: int, bandwidth: float | None, min_samples: int,
                               max_samples: int) -> None:
    """The settings every permutation-test detector shares, checked once here."""
    if n_permutations < 1:
        raise ConfigurationError(f"n_permutations must be >= 1, got {n_permutations!r}")
    if bandwidth is not None and not bandwidth > 0.0:
        raise ConfigurationError(f"bandwidth must be > 0 or None, got {bandwidth!r}")
    if min_samples < 2 or max_samples < min_samples:
        raise ConfigurationError(
            f"need 2 <= min_samples <= max_samples, got {min_samples!r}, {max_samples!r}"
        )


@dataclass(frozen=True, slots=True)
class PermutationTest:
    """The raw outcome of a permutation test, before the verdict."""

    statistic: float
    p_value: float
    distance_threshold: float
    permuted: Vector


def squared_distances(x: FloatMatrix, y: FloatMatrix) -> FloatMatrix:
    """Pairwise squared Euclidean distances ``(len(x), len(y))``, clipped at 0."""
    d2 = x @ y.T
    d2 *= -2.0
    d2 += np.einsum("ij,ij->i", x, x)[:, None]
    d2 += np.einsum("ij,ij->i", y, y)[None, :]
    return np.maximum(d2, 0.0, out=d2)


def gaussian_kernel(x: FloatMatrix, y: FloatMatrix, bandwidth: float) -> FloatMatrix:
    """``exp(-|x_i - y_j|^2 / (2 bandwidth^2))`` in float64."""
    d2 = squared_distances(x, y)
    d2 *= -1.0 / (2.0 * bandwidth**2)
    return np.exp(d2, out=d2)


def median_bandwidth(x: FloatMatrix, *, max_rows: int = 2000, seed: int = 0) -> float:
    """The median heuristic as alibi-detect's ``sigma_median`` on the reference.

    ``sqrt(med / 2)`` where ``med`` is the lower median of the squared distances between
    distinct rows. Above ``max_rows`` rows a seeded subsample of ``max_rows`` rows is used. If
    more than half the distances are 0 (repeated rows), the median of the non-zero ones is used.
    """
    if len(x) > max_rows:
        x = x[np.sort(np.random.default_rng(seed).choice(len(x), max_rows, replace=False))]
    if len(x) < 2:
        raise ValidationError("the median heuristic needs at least 2 rows", field="reference")
    pairs = squared_distances(x, x)[np.triu_indices(len(x), 1)]
    k = (len(pairs) - 1) // 2
    med = float(np.partition(pairs, k)[k])
    if med <= 0.0:
        nonzero = pairs[pairs > 0.0]
        if nonzero.size == 0:
            raise ValidationError("all reference rows are identical", field="reference")
        med = float(np.median(nonzero))
    return float(np.sqrt(med / 2.0))


def permutation_indices(n_total: int, n_permutations: int, seed: int) -> npt.NDArray[np.int64]:
    """``(n_permutations, n_total)``: row ``p`` is a permutation of the pooled sample; its first
    ``n_reference`` entries form the relabelled reference."""
    base = np.tile(np.arange(n_total, dtype=np.int64), (n_permutations, 1))
    return np.random.default_rng(seed).permuted(base, axis=1)


def permutation_p_value(statistic: float, permuted: Vector, alpha: float) -> tuple[float, float]:
    """alibi-detect's p-value ``mean(statistic <= permuted)`` and distance threshold."""
    p_value = float(np.mean(statistic <= permuted))
    threshold = float(np.sort(permuted)[::-1][int(alpha * len(permuted))])
    return p_value, threshold


def verdict(
    p_value: float, alpha: float, effect: float, min_effect: float, n_window: int, min_n: int
) -> Status:
    if n_window < min_n:
        return Status.INSUFFICIENT_DATA
    return Status.DRIFT if p_value < alpha and effect >= min_effect else Status.NO_DRIFT


def subsample(x: FloatMatrix, max_rows: int, seed: int | list[int]) -> FloatMatrix:
    """A deterministic (seeded) subsample of at most ``max_rows`` rows, in original order."""
    if len(x) <= max_rows:
        return x
    keep = np.random.default_rng(seed).choice(len(x), max_rows, replace=False)
    return x[np.sort(keep)]


#: rows per side a permutation test keeps by default (the ``max_samples`` default of MMD and
#: LSDD, their declared ``sample_cap`` and so the rows a drift monitor reads for them: one
#: number for all). A test on 5,000 rows per side takes about a second on 2 cores; 20,000
#: take ~16 s a window, so pass ``max_samples`` for more.
DEFAULT_MAX_SAMPLES = 5_000


class PermutationDetector(BatchDetector):
    """The template of the multivariate permutation tests (MMD, LSDD): a window is encoded
    like the reference, subsampled to ``max_samples`` (seeded), tested, and judged on
    ``p_value < alpha``, ``statistic >= min_effect_size`` and ``min_samples`` rows."""

    #: all features at once (categorical ones encoded), from a sample of at most
    #: ``max_samples`` rows per side
    capabilities: ClassVar[Capabilities] = Capabilities(
        frozenset({"numeric", "categorical"}), multivariate=True,
        sample_cap=DEFAULT_MAX_SAMPLES)

    def __init__(self, *, alpha: float, n_permutations: int, bandwidth: float | None,
                 standardize: bool, min_samples: int, min_effect_size: float,
                 max_samples: int, median_sample_size: int, seed: int) -> None:
        """The settings every permutation test shares, checked and kept here."""
        if not 0.0 < alpha < 1.0:
            raise ConfigurationError(f"alpha must be in (0, 1), got {alpha!r}")
        check_permutation_settings(n_permutations, bandwidth, min_samples, max_samples)
        self.alpha = alpha
        self.n_permutations = n_permutations
        self.bandwidth = bandwidth
        self.standardize = standardize
        self.min_samples = min_samples
        self.min_effect_size = min_effect_size
        self.max_samples = max_samples
        self.median_sample_size = median_sample_size
        self.seed = seed
        self._encoder: FrameEncoder | None = None

    @abc.abstractmethod
    def _run_test(self, y: FloatMatrix) -> PermutationTest:
        """The permutation test of the encoded window ``y``."""

    @property
    @abc.abstractmethod
    def _n_reference(self) -> int:
        """Rows of the (subsampled) reference."""

    @property
    def features(self) -> tuple[str, ...]:
        return self._fitted_encoder().features

    @property
    def sample_cap(self) -> int:
        """``max_samples``: rows per side beyond which the input is subsampled anyway."""
        return self.max_samples

    def test(self, window: Frame) -> PermutationTest:
        """The permutation test of ``window`` against the reference, without a verdict."""
        return self._run_test(self._encode(window))

    def score(self, window: Frame) -> DriftResult:
        y = self._encode(window)
        n, m = self._n_reference, len(y)
        if m < self.min_samples:
            nan = float("nan")
            return DriftResult(self.name, nan, None, self.alpha, nan,
                               Status.INSUFFICIENT_DATA, n, m)
        result = self._run_test(y)
        status = verdict(
            result.p_value, self.alpha, result.statistic, self.min_effect_size, m, self.min_samples
        )
        return DriftResult(
            self.name, result.statistic, result.p_value, self.alpha, result.statistic, status,
            n, m,
        )

    def _encode(self, window: Frame) -> FloatMatrix:
        y = self._fitted_encoder().transform(window)
        return subsample(y, self.max_samples, [self.seed, 1])

    def _fitted_encoder(self) -> FrameEncoder:
        if self._encoder is None:
            raise NotFittedError(f"{type(self).__name__}.fit must be called before score")
        return self._encoder
