"""What the distance detectors share: the calibrated verdict, and reference bins fixed at fit.

The verdict (see the package docstring): drift iff the distance is above the larger of the
practical threshold and the null quantile of the distance at the current sample sizes.
"""

from __future__ import annotations

import abc
import math
from collections.abc import Mapping
from typing import Any, ClassVar, Self

import numpy as np
import numpy.typing as npt
from scipy.special import digamma

from driftline.detector._base import BatchDetector
from driftline.detector._capabilities import BinnedCountScorer, Capabilities
from driftline.detector._frames import FrameLike, categorical_values, feature_kind, numeric_values
from driftline.detector._result import DriftResult, FeatureResult, Status
from driftline.detector._univariate import check_columns, check_min_samples, summarize
from driftline.detector.chi2 import category_labels
from driftline.errors import ConfigurationError, NotFittedError, ValidationError
from driftline.feature_kinds import FeatureKind

__all__ = [
    "BinnedDistanceDetector",
    "DistanceDetector",
    "FloatArray",
    "is_categorical",
    "null_window_size",
    "unseen_concentration",
]

FloatArray = npt.NDArray[np.float64]

#: null draws per chunk (bounds the memory of one simulation to chunk x bins floats)
_CHUNK = 256
#: relative tolerance under which an observed distance ties a null draw (float rounding)
_TIE = 1e-9


def is_categorical(values: npt.ArrayLike) -> bool:
    """Whether a column is categorical by ingest's rule (``driftline.feature_kinds``): strings
    are categorical; numbers and bools (as 0/1) numeric; an all-missing column is not."""
    return feature_kind(values) is FeatureKind.CATEGORICAL


def null_window_size(n: int) -> int:
    """``n`` rounded down to the geometric grid ``floor(2 ** (k / 4))`` (exact below 16).

    The null distribution is simulated once per grid size and reused for every window of a
    size in ``[grid, next grid)``: a smaller window has a wider null, so the quantile used is
    conservative (by at most a factor ``2 ** (1 / 8)``, about 9%, on the null's spread).
    """
    if n < 16:
        return n
    return int(_GRID[int(_GRID.searchsorted(n, side="right")) - 1])


#: the grid points ``floor(2 ** (k / 4))`` from 16 up to 2 ** 60
_GRID = np.unique(np.floor(2.0 ** (np.arange(16, 241) / 4.0))).astype(np.int64)


def unseen_concentration(counts: npt.ArrayLike) -> float:
    """The Dirichlet weight of "a category the reference never saw", from reference counts.

    The larger of two estimates of the chance that a new row's category is unseen:

    * an upper bound of the Good-Turing missing mass: ``(N1 + 1 + 2 sqrt(N1 + 1)) / n``,
      ``N1`` the number of categories seen once (about a one-sided 97.5% Poisson bound on
      the expected number of singletons; with none it is the "rule of three", 3 / n);
    * the Dirichlet-process concentration whose expected number of distinct categories in
      ``n`` draws, ``theta (digamma(theta + n) - digamma(theta))``, is the number seen.

    The missing mass ``M`` becomes the weight ``n M / (1 - M)``, ``M`` at most ``n / (n + 1)``.
    A point estimate is not enough: small references with many rare categories under-estimate
    it often, and those are the windows that then false-alarm (measured in the tests).
    """
    c = np.asarray(counts, dtype=np.float64)
    c = c[c > 0]
    n = float(c.sum())
    if n <= 0:
        return 1.0
    singletons = float(np.sum(c == 1))
    missing = min((singletons + 1.0 + 2.0 * math.sqrt(singletons + 1.0)) / n, n / (n + 1.0))
    good_turing = n * missing / (1.0 - missing)
    return max(good_turing, _dirichlet_process_theta(int(c.size), n))


def _dirichlet_process_theta(distinct: int, n: float) -> float:
    """Solve ``theta (digamma(theta + n) - digamma(theta)) = distinct`` (increasing in theta)."""
    if distinct >= n:
        return n * n
    def expected(theta: float) -> float:
        return float(theta * (digamma(theta + n) - digamma(theta)))
    lo, hi = 1e-9, 1.0
    while expected(hi) < distinct:
        hi *= 2.0
    for _ in range(60):  # bisection on a log scale
        mid = math.sqrt(lo * hi)
        lo, hi = (mid, hi) if expected(mid) < distinct else (lo, mid)
    return hi


def _labels(feature: str, values: npt.ArrayLike, test: str) -> npt.NDArray[np.str_]:
    """``category_labels`` of a categorical window column, vectorized (no per-value Python
    loop): missing values (None, NaN) dropped, the rest as ``str``. A numeric dtype is refused
    (``categorical_values``); an object column is read as labels without scanning its kinds."""
    arr = np.asarray(values)
    if arr.dtype != object:
        return category_labels(categorical_values(feature, arr, test))
    arr = arr.ravel()
    try:
        with np.errstate(invalid="ignore"):
            none = np.equal(arr, np.full(arr.shape, None, dtype=object))
            missing: npt.NDArray[np.bool_] = np.asarray(none | np.not_equal(arr, arr),
                                                        dtype=np.bool_)
    except (TypeError, ValueError):  # values whose comparison is not a bool (e.g. pd.NA)
        return category_labels(arr)
    labels: npt.NDArray[np.str_] = arr[~missing].astype(np.str_)
    return labels


class DistanceDetector(BatchDetector):
    """Shared settings and the calibrated verdict of the distance detectors.

    Parameters
    ----------
    threshold
        The practical threshold: the smallest distance that counts as drift however many rows
        there are. ``None`` takes ``default_threshold`` (each detector's, with its source, in
        the package table); any value >= 0.
    alpha
        Family-wise false-alarm rate across features (default 0.05, in (0, 1)): each feature's
        null quantile is taken at level ``1 - alpha / n_features`` (Bonferroni).
    seed
        Seed of the null simulation (default 0); see each detector for what it seeds.
    min_samples
        Non-missing values needed on each side; fewer gives ``Status.INSUFFICIENT_DATA``.
        ``None`` takes ``default_min_samples`` (10, see the package docstring).
    """

    #: the practical threshold when none is given; each detector names its source
    default_threshold: ClassVar[float] = 0.0
    #: the sample floor when ``min_samples`` is None (see the package docstring)
    default_min_samples: ClassVar[int] = 10

    def __init__(
        self,
        *,
        threshold: float | None = None,
        alpha: float = 0.05,
        seed: int = 0,
        min_samples: int | None = None,
    ) -> None:
        value = self.default_threshold if threshold is None else threshold
        if not value >= 0.0:
            raise ConfigurationError(f"threshold must be >= 0, got {threshold!r}")
        if not 0.0 < alpha < 1.0:
            raise ConfigurationError(f"alpha must be in (0, 1), got {alpha!r}")
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ConfigurationError(f"seed must be an integer >= 0, got {seed!r}")
        self.threshold = float(value)
        self.alpha = float(alpha)
        self.seed = seed
        self.min_samples = check_min_samples(
            self.default_min_samples if min_samples is None else min_samples)
        self._n_reference: dict[str, int] | None = None

    @property
    def features(self) -> tuple[str, ...]:
        return tuple(self._fitted())

    def _fitted(self) -> dict[str, int]:
        if self._n_reference is None:
            raise NotFittedError(f"{type(self).__name__}.score called before fit")
        return self._n_reference

    @property
    def null_level(self) -> float:
        """The level of each feature's null quantile, ``1 - alpha / n_features``."""
        return 1.0 - self.alpha / max(len(self._fitted()), 1)

class BinnedDistanceDetector(DistanceDetector, BinnedCountScorer):
    """A distance between binned reference and window proportions; see the package docstring.

    Parameters
    ----------
    threshold, alpha, seed, min_samples
        As for every ``DistanceDetector``; a feature's null at a window size depends only on
        (seed, feature position, grid size), not on the windows scored before.
    n_bootstrap
        Null draws per feature and window size (default 1000, at least 100); raised to
        ``ceil(10 n_features / alpha)`` when smaller, so at least ten draws lie beyond the
        Bonferroni quantile (1400 for 7 features at alpha 0.05).
    n_bins
        Number of quantile bins for numeric features (default 10, at least 2; fewer bins when
        reference quantiles tie). Categorical features have one bin per reference category
        plus one for unseen categories.
    """

    #: numeric (binned) and categorical features, scored from counts per bin / category
    capabilities: ClassVar[Capabilities] = Capabilities(
        frozenset({"numeric", "categorical"}), scores_from_counts=True)

    def __init__(
        self,
        *,
        threshold: float | None = None,
        n_bins: int = 10,
        alpha: float = 0.05,
        n_bootstrap: int = 1000,
        seed: int = 0,
        min_samples: int | None = None,
    ) -> None:
        super().__init__(threshold=threshold, alpha=alpha, seed=seed, min_samples=min_samples)
        if isinstance(n_bootstrap, bool) or not isinstance(n_bootstrap, int) or n_bootstrap < 100:
            raise ConfigurationError(f"n_bootstrap must be an integer >= 100, got {n_bootstrap!r}")
        self.n_bootstrap = n_bootstrap
        self._null_cache: dict[tuple[str, int], tuple[FloatArray, float]] = {}
        if isinstance(n_bins, bool) or not isinstance(n_bins, int) or n_bins < 2:
            raise ConfigurationError(f"n_bins must be an integer >= 2, got {n_bins!r}")
        self.n_bins = n_bins
        self._bin_edges: dict[str, FloatArray] = {}
        self._categories: dict[str, tuple[str, ...]] = {}
        self._reference_counts: dict[str, FloatArray] = {}
        self._reference_p: dict[str, FloatArray] = {}

    @property
    def null_draws(self) -> int:
        """Null draws per feature and window size (``n_bootstrap``, raised as documented)."""
        return max(self.n_bootstrap, math.ceil(10.0 * len(self._fitted()) / self.alpha))

    def null_distances(self, feature: str, n_window: int) -> FloatArray:
        """The sorted null draws used for a window of ``n_window`` values (cached per grid
        size, ``null_window_size(n_window)``)."""
        return self._null(feature, null_window_size(n_window))[0]

    def _null(self, feature: str, grid: int) -> tuple[FloatArray, float]:
        """The sorted null draws at window size ``grid`` and their null quantile (cached)."""
        key = (feature, grid)
        cached = self._null_cache.get(key)
        if cached is None:
            position = list(self._fitted()).index(feature)
            rng = np.random.default_rng([self.seed, position, grid])
            null = np.sort(self._simulate_null(feature, grid, rng, self.null_draws))
            null.flags.writeable = False
            rank = math.ceil((null.size + 1) * self.null_level)  # exact size <= 1 - level
            cached = (null, float(null[rank - 1]) if rank <= null.size else math.inf)
            self._null_cache[key] = cached
        return cached

    def _reset_cache(self) -> None:
        self._null_cache = {}

    def _verdict(self, feature: str, distance: float | None, n_window: int) -> FeatureResult:
        """``distance`` is ``None`` when the window was too small to compute it."""
        n_ref = self._fitted()[feature]
        if min(n_ref, n_window) < self.min_samples or distance is None:
            return FeatureResult(feature, self.name, 0.0, None, self.threshold, 0.0,
                                 Status.INSUFFICIENT_DATA, n_ref, n_window)
        grid = null_window_size(n_window)
        null, quantile = self._null(feature, grid)
        draws = int(null.size)
        statistic = float(distance)
        tie = _TIE * abs(statistic) if math.isfinite(statistic) else 0.0
        exceed = draws - int(null.searchsorted(statistic - tie, side="left"))
        p_value = (exceed + 1) / (draws + 1)
        null_applies = quantile > self.threshold
        applied = quantile if null_applies else self.threshold
        drifted = statistic > applied + (tie if null_applies else 0.0)
        details: dict[str, Any] = {
            "threshold_source": "null_quantile" if null_applies else "practical",
            "practical_threshold": self.threshold,
            "null_quantile": quantile,
            "null_level": 1.0 - self.alpha / len(self._fitted()),
            "n_bootstrap": draws,
            "null_window_size": grid,
        }
        return FeatureResult(feature, self.name, statistic, p_value, applied, statistic,
                             Status.DRIFT if drifted else Status.NO_DRIFT, n_ref, n_window,
                             details=details)


    @abc.abstractmethod
    def _distances(self, p: FloatArray, q: FloatArray) -> FloatArray:
        """Row-wise distances between proportions ``p`` and ``q`` (arrays ``(rows, bins)``)."""

    def _distance(self, p: FloatArray, q: FloatArray) -> float:
        """The distance between reference proportions ``p`` and window proportions ``q``."""
        return float(self._distances(p[np.newaxis, :], q[np.newaxis, :])[0])

    @property
    def bin_edges(self) -> dict[str, FloatArray]:
        """The reference quantile edges per numeric feature (empty before ``fit``)."""
        return self._bin_edges

    @property
    def categories(self) -> dict[str, tuple[str, ...]]:
        """The sorted reference categories per categorical feature (empty before ``fit``)."""
        return self._categories

    @property
    def counts_missing(self) -> bool:
        """Always False: distances drop missing values."""
        return False

    def fit(self, reference: FrameLike) -> Self:
        columns = check_columns(reference, None, "reference")
        self._bin_edges, self._categories = {}, {}
        self._reference_counts, self._reference_p = {}, {}
        self._reset_cache()
        n_reference: dict[str, int] = {}
        for feature, values in columns.items():
            if feature_kind(values) is FeatureKind.CATEGORICAL:
                labels = category_labels(categorical_values(feature, values, self.name))
                self._categories[feature] = tuple(np.unique(labels).tolist())
                n_reference[feature] = int(labels.size)
            else:  # numeric, or no value at all (then one empty bin: insufficient data)
                column = numeric_values(feature, values, self.name)
                levels = np.arange(1, self.n_bins) / self.n_bins
                edges = np.quantile(column, levels) if column.size else np.empty(0)
                self._bin_edges[feature] = np.unique(edges)
                n_reference[feature] = int(column.size)
            self._n_reference = n_reference  # window_counts needs the feature's binning
            counts = self.window_counts(feature, values)
            self._reference_counts[feature] = counts
            self._reference_p[feature] = counts / max(counts.sum(), 1.0)
        self._n_reference = n_reference
        return self

    def window_counts(self, feature: str, values: npt.ArrayLike) -> FloatArray:
        """Counts of ``values`` per bin of ``feature`` (what ``score_counts`` expects)."""
        if feature in self._categories:
            categories = np.asarray(self._categories[feature], dtype=np.str_)
            labels = _labels(feature, values, self.name)
            index = np.searchsorted(categories, labels)
            known = index < categories.size
            known[known] = categories[index[known]] == labels[known]
            bins = np.where(known, index, categories.size)
            return np.bincount(bins, minlength=categories.size + 1).astype(np.float64)
        edges = self._bin_edges[feature]
        column = numeric_values(feature, values, self.name)
        bins = np.searchsorted(edges, column, side="right")
        return np.bincount(bins, minlength=edges.size + 1).astype(np.float64)

    def score(self, window: FrameLike) -> DriftResult:
        columns = check_columns(window, list(self._fitted()), "window")
        return self.score_counts({f: self.window_counts(f, columns[f]) for f in self._fitted()})

    def score_counts(self, counts: Mapping[str, npt.ArrayLike]) -> DriftResult:
        """Score window histograms: per feature, counts per reference bin (package docstring).

        The verdict needs nothing else: the null depends only on the reference counts and the
        window size, so counts a database computed give the same result as ``score``.
        """
        check_columns(counts, list(self._fitted()), "counts")
        results = []
        for feature, p in self._reference_p.items():
            q_counts = np.asarray(counts[feature], dtype=np.float64)
            if q_counts.shape != p.shape or not np.all(np.isfinite(q_counts) & (q_counts >= 0)):
                raise ValidationError(
                    f"counts for feature {feature!r} must be {p.size} non-negative numbers, "
                    f"got shape {q_counts.shape}",
                    field=feature,
                )
            n_window = round(float(q_counts.sum()))
            distance = self._distance(p, q_counts / n_window) if n_window else None
            results.append(self._verdict(feature, distance, n_window))
        return summarize(self.name, self.threshold, results)

    def _simulate_null(self, feature: str, n_window: int, rng: np.random.Generator,
                       size: int) -> FloatArray:
        """The reference proportions stay as observed; the window is a multinomial sample of
        ``n_window`` from proportions drawn from ``Dirichlet(reference counts)`` (the Polya
        urn that continues the reference), plus, for a categorical feature, an unseen
        category of weight ``unseen_concentration`` (package docstring)."""
        counts = self._reference_counts[feature]
        if feature in self._categories:
            seen = counts > 0
            weights = counts[seen]
            p = weights / weights.sum()
            weights = np.append(weights, unseen_concentration(weights))
            p = np.append(p, 0.0)
        else:
            p = counts / counts.sum()
            weights = counts.copy()
            for end in (0, -1):  # the mass beyond the reference's extremes (see the docstring)
                if weights[end] == 0:
                    weights[end] = 1.0
            keep = weights > 0
            weights, p = weights[keep], p[keep]
        out = np.empty(size, dtype=np.float64)
        for start in range(0, size, _CHUNK):
            rows = min(_CHUNK, size - start)
            shares = rng.dirichlet(weights, size=rows)
            q = rng.multinomial(n_window, shares) / float(n_window)
            out[start:start + rows] = self._distances(np.broadcast_to(p, q.shape), q)
        return out
