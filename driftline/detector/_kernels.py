"""Kernel and permutation-test helpers shared by the MMD, LSDD and online detectors.

The permutation tests (``PermutationDetector``: MMD, LSDD) share one verdict:

- p-value ``(k + 1) / (B + 1)``, ``k`` the permuted statistics at least as large as the
  observed one among ``B = n_permutations`` (the observed labelling counts as one of the
  relabellings, so the p-value is never 0 and the test is valid at every sample size). The
  observed statistic is compared with the permuted ones as computed by the same arithmetic
  (the identity labelling is one more column of the batched computation), so float rounding
  cannot rank it apart from a permutation that is the same split; values within
  ``TIE_TOLERANCE`` of the permuted range of it count as ties (conservative);
- ``insufficient_data`` (a status, never an exception) when a side has fewer than
  ``min_samples`` rows (default 2, the least every statistic here is defined on), or when no
  relabelling could give a p-value below ``alpha``: the observed split must be rarer than
  ``alpha`` among the ``C(n + m, n)`` splits of the pooled sample, counting a split and its
  mirror (which MMD cannot tell apart when ``n == m``) as one, i.e. ``C(n + m, n) > 2 /
  alpha``. At ``alpha = 0.05`` that is 4 rows per side for equal sides (``C(8, 4) = 70``;
  ``C(6, 3) = 20`` is not enough), 2 window rows against 8 or more reference rows;
- references of fewer than ``POOLED_BELOW`` (50) tested rows are encoded, and their bandwidth
  (LSDD: and regularization) chosen, on the pooled reference and window at each test, so the
  test is exact at every size (see ``PermutationDetector``);
- drift iff ``p_value < alpha`` and ``effect_size >= min_effect_size``.
"""

from __future__ import annotations

import abc
import copy
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self

import numpy as np
import numpy.typing as npt

from driftline.detector._base import BatchDetector
from driftline.detector._capabilities import Capabilities
from driftline.detector._encoding import FloatMatrix, FrameEncoder
from driftline.detector._frames import Columns, FrameLike
from driftline.detector._result import DriftResult, Status
from driftline.errors import ConfigurationError, NotFittedError, ValidationError

__all__ = [
    "DEFAULT_MAX_SAMPLES",
    "DEFAULT_MIN_SAMPLES",
    "FALLBACK_BANDWIDTH",
    "POOLED_BELOW",
    "TIE_TOLERANCE",
    "PermutationDetector",
    "PermutationTest",
    "Vector",
    "can_reject",
    "check_permutation_settings",
    "gaussian_kernel",
    "median_bandwidth",
    "monte_carlo_error",
    "permutation_indices",
    "permutation_p_value",
    "reference_bandwidth",
    "squared_distances",
    "subsample",
    "subsample_rows",
    "verdict",
]

Vector = npt.NDArray[np.float64]

#: rows per side below which a permutation test says ``insufficient_data`` (``min_samples``
#: default): 2, the fewest rows the unbiased MMD and LSDD's window covariance are defined on;
#: ``can_reject`` adds the combinatorial floor (4 per side for equal sides at alpha 0.05)
DEFAULT_MIN_SAMPLES = 2
#: kernel bandwidth (encoded units) when every reference row is the same, so the median
#: heuristic has no distance to work with: one reference standard deviation, and
#: ``exp(-1)`` between two different categories of a one-hot feature
FALLBACK_BANDWIDTH = 1.0
#: permuted statistics within this fraction of the spread of the permutation distribution
#: below the observed one count as ties (float rounding of the same split); conservative
TIE_TOLERANCE = 1e-6


def check_permutation_settings(n_permutations: int, bandwidth: float | None,
                               min_samples: int | None, max_samples: int,
                               alpha: float | None = None) -> None:
    """The settings every permutation-test detector shares, checked once here.

    With ``alpha``, ``n_permutations`` must allow a p-value below it: ``1 / (B + 1) < alpha``
    (at alpha 0.05, 20 permutations or more).
    """
    if isinstance(n_permutations, bool) or not isinstance(n_permutations, int) \
            or n_permutations < 1:
        raise ConfigurationError(f"n_permutations must be an integer >= 1, got "
                                 f"{n_permutations!r}")
    if alpha is not None and not 1.0 / (n_permutations + 1) < alpha:
        raise ConfigurationError(
            f"n_permutations={n_permutations} can never give a p-value below alpha={alpha} "
            f"(the smallest is 1/(n_permutations+1)); use at least {math.floor(1 / alpha)}")
    if bandwidth is not None and not bandwidth > 0.0:
        raise ConfigurationError(f"bandwidth must be > 0 or None, got {bandwidth!r}")
    floor = DEFAULT_MIN_SAMPLES if min_samples is None else min_samples
    if isinstance(floor, bool) or not isinstance(floor, int) or floor < DEFAULT_MIN_SAMPLES \
            or max_samples < floor:
        raise ConfigurationError(
            f"need {DEFAULT_MIN_SAMPLES} <= min_samples <= max_samples, got {min_samples!r}, "
            f"{max_samples!r}")


def can_reject(n: int, m: int, alpha: float) -> bool:
    """Whether some split of ``n + m`` pooled rows into ``n`` and ``m`` is rarer than
    ``alpha``, a split and its mirror counted as one: ``C(n + m, n) > 2 / alpha``."""
    if n < 1 or m < 1:
        return False
    log_splits = math.lgamma(n + m + 1) - math.lgamma(n + 1) - math.lgamma(m + 1)
    return log_splits > math.log(2.0 / alpha) + 1e-12


def monte_carlo_error(p_value: float, n_permutations: int) -> float:
    """The Monte-Carlo standard error of a permutation p-value, ``sqrt(p (1 - p) / B)``."""
    return float(np.sqrt(p_value * (1.0 - p_value) / n_permutations))


@dataclass(frozen=True, slots=True)
class PermutationTest:
    """The raw outcome of a permutation test, before the verdict.

    ``statistic``: the observed statistic (float64); ``p_value``: ``(k + 1) / (B + 1)``;
    ``distance_threshold``: alibi-detect's, the permuted statistics in decreasing order at
    index ``int(alpha * B)``; ``permuted``: the ``B`` permuted statistics; ``effect_size``:
    the test's non-negative effect (see each detector); ``n_reference`` / ``n_window``: the
    rows actually tested (after subsampling; LSDD's reference without its kernel centres);
    ``details``: what the detector adds for a reader (bandwidth, regularization...).
    """

    statistic: float
    p_value: float
    distance_threshold: float
    permuted: Vector
    effect_size: float = float("nan")
    n_reference: int = 0
    n_window: int = 0
    details: Mapping[str, Any] = field(default_factory=dict)


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
    ``ValidationError`` for fewer than 2 rows or all rows identical (``reference_bandwidth``
    falls back instead).
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


def reference_bandwidth(x: FloatMatrix, bandwidth: float | None, *, max_rows: int,
                        seed: int) -> tuple[float, str]:
    """The bandwidth in use and where it came from: ``"given"``, ``"median_heuristic"`` or
    ``"fallback"`` (``FALLBACK_BANDWIDTH``, when all reference rows are identical)."""
    if bandwidth is not None:
        return float(bandwidth), "given"
    try:
        return median_bandwidth(x, max_rows=max_rows, seed=seed), "median_heuristic"
    except ValidationError:  # fewer than 2 rows, or all (sampled) rows the same
        return FALLBACK_BANDWIDTH, "fallback"


def permutation_indices(n_total: int, n_permutations: int, seed: int) -> npt.NDArray[np.int64]:
    """``(n_permutations, n_total)``: row ``p`` is a permutation of the pooled sample; its first
    ``n_reference`` entries form the relabelled reference."""
    base = np.tile(np.arange(n_total, dtype=np.int64), (n_permutations, 1))
    return np.random.default_rng(seed).permuted(base, axis=1)


def permutation_p_value(statistic: float, permuted: Vector, alpha: float
                        ) -> tuple[float, float]:
    """The p-value ``(k + 1) / (B + 1)`` and alibi-detect's distance threshold.

    ``k`` counts the ``B`` permuted statistics ``>= statistic - TIE_TOLERANCE * spread``
    (``spread`` the range of the permuted and observed values). The threshold is the
    permuted statistics in decreasing order at index ``int(alpha * B)``.
    """
    values = np.asarray(permuted, dtype=np.float64)
    spread = float(max(values.max(), statistic) - min(values.min(), statistic))
    k = int(np.count_nonzero(values >= statistic - TIE_TOLERANCE * spread))
    threshold = float(np.sort(values)[::-1][int(alpha * len(values))])
    return (k + 1.0) / (len(values) + 1.0), threshold


def verdict(
    p_value: float, alpha: float, effect: float, min_effect: float, n_window: int, min_n: int
) -> Status:
    if n_window < min_n:
        return Status.INSUFFICIENT_DATA
    return Status.DRIFT if p_value < alpha and effect >= min_effect else Status.NO_DRIFT


def subsample_rows(n_rows: int, max_rows: int, seed: int | list[int]
                   ) -> npt.NDArray[np.int64] | None:
    """The rows ``subsample`` keeps (sorted), or ``None`` when all are kept."""
    if n_rows <= max_rows:
        return None
    keep = np.random.default_rng(seed).choice(n_rows, max_rows, replace=False)
    return np.sort(keep).astype(np.int64)


def subsample(x: FloatMatrix, max_rows: int, seed: int | list[int]) -> FloatMatrix:
    """A deterministic (seeded) subsample of at most ``max_rows`` rows, in original order."""
    rows = subsample_rows(len(x), max_rows, seed)
    return x if rows is None else x[rows]


#: rows per side a permutation test keeps by default (the ``max_samples`` default of MMD and
#: LSDD, their declared ``sample_cap`` and so the rows a drift monitor reads for them: one
#: number for all). A test on 5,000 rows per side takes about a second on 2 cores; 20,000
#: take ~16 s a window, so pass ``max_samples`` for more.
DEFAULT_MAX_SAMPLES = 5_000


#: references with fewer tested rows than this are encoded together with each window
#: (``PermutationDetector``): below it, a standardization and bandwidth fitted on the
#: reference alone make the observed split special and the test liberal (2 reference rows
#: against 50: 15% false alarms at alpha 0.05); from 20 rows on the measured rate is alpha
POOLED_BELOW = 50


class PermutationDetector(BatchDetector):
    """The template of the multivariate permutation tests (MMD, LSDD).

    The input (any table ``as_columns`` reads) is encoded by a ``FrameEncoder`` fitted on the
    reference and subsampled to ``max_samples`` rows (seeded) on each side. Too little data
    on either side is ``insufficient_data`` (see the module docstring), from ``fit`` too: a
    reference of 1 row fits, and every window then scores ``insufficient_data``. Otherwise
    the window is tested and judged on ``p_value < alpha`` and
    ``effect_size >= min_effect_size``.

    Small references (fewer than ``POOLED_BELOW`` = 50 tested rows): the encoding
    (standardization, categories), the bandwidth and LSDD's regularization are fitted on the
    pooled reference and window at each test instead of at ``fit``, so that they are the same
    for every relabelling and the permutation test is exact (a reference-fitted scale would
    be tuned to the observed reference). Larger references keep alibi-detect's choice, fitted
    once on the reference, whose pull on the test is then negligible.

    ``DriftResult.details`` carries ``n_permutations``, ``p_value_mc_error``
    (``sqrt(p (1 - p) / B)``), ``bandwidth`` and ``bandwidth_source``, ``encoding``
    (``"reference"`` or ``"pooled"``), the rows given (``n_reference_rows``,
    ``n_window_rows``) and tested (``n_reference_tested``, ``n_window_tested``: after
    subsampling; LSDD's reference without its centres), ``distance_threshold``,
    ``min_effect_size`` and what each test adds.
    """

    #: all features at once (categorical ones encoded), from a sample of at most
    #: ``max_samples`` rows per side
    capabilities: ClassVar[Capabilities] = Capabilities(
        frozenset({"numeric", "categorical"}), multivariate=True,
        sample_cap=DEFAULT_MAX_SAMPLES)

    def __init__(self, *, alpha: float, n_permutations: int, bandwidth: float | None,
                 standardize: bool, min_samples: int | None, min_effect_size: float,
                 max_samples: int, median_sample_size: int, seed: int) -> None:
        """The settings every permutation test shares, checked and kept here."""
        if not 0.0 < alpha < 1.0:
            raise ConfigurationError(f"alpha must be in (0, 1), got {alpha!r}")
        check_permutation_settings(n_permutations, bandwidth, min_samples, max_samples, alpha)
        if not min_effect_size >= 0.0:
            raise ConfigurationError(f"min_effect_size must be >= 0, got {min_effect_size!r}")
        self.alpha = alpha
        self.n_permutations = n_permutations
        self.bandwidth = bandwidth
        self.standardize = standardize
        self.min_samples = DEFAULT_MIN_SAMPLES if min_samples is None else min_samples
        self.min_effect_size = min_effect_size
        self.max_samples = max_samples
        self.median_sample_size = median_sample_size
        self.seed = seed
        self._encoder: FrameEncoder | None = None
        self._pooled_reference: Columns | None = None
        self._n_reference_rows = 0
        self._n_reference = 0
        self._bandwidth_source = ""

    # -- what each test fills in ------------------------------------------------------------

    @abc.abstractmethod
    def _tested_rows(self, n_reference: int) -> int:
        """Reference rows that enter the permutation test out of ``n_reference`` (LSDD: the
        rows beyond its kernel centres)."""

    @abc.abstractmethod
    def _fit_encoded(self, x: FloatMatrix, window: FloatMatrix | None) -> None:
        """Learn the test's state from the encoded, subsampled reference ``x`` (only called
        when it is large enough to test); ``window``: the encoded window whose rows join the
        bandwidth (and regularization) choice in the pooled mode, else ``None``."""

    @abc.abstractmethod
    def _run_test(self, y: FloatMatrix) -> PermutationTest:
        """The permutation test of the encoded window ``y`` (already judged testable)."""

    # -- the contract -----------------------------------------------------------------------

    @property
    def features(self) -> tuple[str, ...]:
        return self._fitted_encoder().features

    @property
    def sample_cap(self) -> int:
        """``max_samples``: rows per side beyond which the input is subsampled anyway."""
        return self.max_samples

    @property
    def _n_reference_tested(self) -> int:
        return self._tested_rows(self._n_reference)

    def fit(self, reference: FrameLike) -> Self:
        """Encode and subsample ``reference`` and learn the test's state. ``ValidationError``
        only for input that is not a readable table (never for too few rows)."""
        encoder = FrameEncoder(standardize=self.standardize)
        columns = encoder.columns(reference, "reference")
        encoder.fit_columns(columns)
        n_rows = encoder.n_rows(columns)
        rows = subsample_rows(n_rows, self.max_samples, [self.seed, 0])
        x = encoder.transform_columns(columns, rows, what="reference")
        self._encoder, self._n_reference_rows, self._n_reference = encoder, n_rows, len(x)
        self._pooled_reference = None
        self._bandwidth_source = ""
        tested = self._tested_rows(len(x))
        if tested < POOLED_BELOW:
            self._pooled_reference = {
                name: columns[name] if rows is None else columns[name][rows]
                for name in encoder.features}
        if tested >= self.min_samples:
            self._fit_encoded(x, None)
        return self

    def test(self, window: FrameLike) -> PermutationTest:
        """The permutation test of ``window`` against the reference, without a verdict;
        ``ValidationError`` when there is too little data to test (``score`` says
        ``insufficient_data`` instead)."""
        tester, y, _, reason = self._prepare(window)
        if reason is not None:
            raise ValidationError(f"too little data for the {self.name} test: {reason}",
                                  field="window")
        return tester._run_test(y)

    def score(self, window: FrameLike) -> DriftResult:
        tester, y, m_rows, reason = self._prepare(window)
        n, m = self._n_reference, len(y)
        sizes = {"n_reference_rows": self._n_reference_rows, "n_window_rows": m_rows,
                 "n_reference_tested": self._n_reference_tested, "n_window_tested": m}
        if reason is not None:
            nan = float("nan")
            details = {**sizes, "reason": reason, "min_samples": self.min_samples}
            return DriftResult(self.name, nan, None, self.alpha, nan,
                               Status.INSUFFICIENT_DATA, n, m, details=details)
        result = tester._run_test(y)
        drift = result.p_value < self.alpha and result.effect_size >= self.min_effect_size
        details = {
            **sizes,
            "n_permutations": self.n_permutations,
            "p_value_mc_error": monte_carlo_error(result.p_value, self.n_permutations),
            "distance_threshold": result.distance_threshold,
            "min_effect_size": self.min_effect_size,
            "bandwidth_source": tester._bandwidth_source,
            "encoding": "reference" if self._pooled_reference is None else "pooled",
            **result.details,
        }
        return DriftResult(
            self.name, result.statistic, result.p_value, self.alpha, result.effect_size,
            Status.DRIFT if drift else Status.NO_DRIFT, n, m, details=details,
        )

    # -- shared steps -----------------------------------------------------------------------

    def _insufficient(self, m: int) -> str | None:
        """Why a window of ``m`` (subsampled) rows cannot be tested, or ``None``."""
        n = self._n_reference_tested
        if min(n, m) < self.min_samples:
            return (f"{n} reference and {m} window rows tested; each side needs "
                    f"min_samples={self.min_samples}")
        if not can_reject(n, m, self.alpha):
            return (f"{n} reference and {m} window rows: no split of the pooled rows is rarer "
                    f"than alpha={self.alpha}, so the test could not reject")
        return None

    def _prepare(self, window: FrameLike) -> tuple[Self, FloatMatrix, int, str | None]:
        """The detector state to test with, the encoded subsampled window, its rows before
        subsampling and why it cannot be tested (or ``None``)."""
        encoder = self._fitted_encoder()
        columns = encoder.columns(window, "window")
        n_rows = encoder.n_rows({name: columns[name] for name in encoder.features
                                 if name in columns})
        rows = subsample_rows(n_rows, self.max_samples, [self.seed, 1])
        y = encoder.transform_columns(columns, rows, what="window")  # checks the features
        reason = self._insufficient(len(y))
        if reason is not None or self._pooled_reference is None:
            return self, y, n_rows, reason
        reference = self._pooled_reference
        sampled = {name: columns[name] if rows is None else columns[name][rows]
                   for name in encoder.features}
        pooled = FrameEncoder(standardize=self.standardize).fit_columns(
            {name: np.concatenate([reference[name], sampled[name]]) for name in reference})
        x = pooled.transform_columns(reference, what="reference")
        y = pooled.transform_columns(sampled, what="window")
        tester = copy.copy(self)
        tester._fit_encoded(x, y)
        return tester, y, n_rows, None

    def _fitted_encoder(self) -> FrameEncoder:
        if self._encoder is None:
            raise NotFittedError(f"{type(self).__name__}.fit must be called before score")
        return self._encoder
