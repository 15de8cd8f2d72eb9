"""Distance detectors: a distance between reference and window distributions against a threshold.

No p-values: a feature drifts iff its distance is above ``threshold`` and both sides have at
least ``min_samples`` non-missing values. Default thresholds and their sources:

==================  =========  ==============================================================
name                threshold  source
==================  =========  ==============================================================
``psi``             0.2        Evidently's default (the classic rule: 0.1 moderate, 0.25 major)
``jensen_shannon``  0.1        Evidently's default; base-2 *distance* (sqrt of divergence)
``hellinger``       0.1        Evidently's default for its Hellinger distance
``linf``            0.3        Vertex AI Model Monitoring's default for categorical features
``wasserstein``     0.1        Evidently's default; W1 divided by the reference std
==================  =========  ==============================================================

Binning is fixed at ``fit`` from the reference, so a SQL engine can count a window without
pulling raw rows and call ``score_counts``:

* numeric feature: ``bin_edges[feature]`` are the distinct reference quantiles at
  ``1/n_bins, ..., (n_bins-1)/n_bins`` (numpy's default linear interpolation); a value ``x``
  goes to bin ``i = #{edges <= x}`` = ``np.searchsorted(edges, x, side="right")``, so there are
  ``len(edges) + 1`` bins, the first open to -inf and the last to +inf. NaN is dropped.
* categorical feature (str/object column): ``categories[feature]`` are the sorted reference
  categories (values compared as strings); bin ``i`` is ``categories[i]`` and one last bin
  counts categories unseen in the reference. Missing values are dropped.

Only PSI needs smoothing (a log of proportions): proportions that are exactly 0 on either side
are replaced by ``epsilon`` (default 1e-4, Evidently's value). The other distances are finite
on empty bins and use raw proportions. Wasserstein works on raw values only.
"""

from __future__ import annotations

import abc
import numbers
from collections.abc import Mapping
from typing import ClassVar, Self

import numpy as np
import numpy.typing as npt
from scipy.stats import wasserstein_distance

from driftline.detector._base import BatchDetector, Frame, as_float_column, register_detector
from driftline.detector._result import DriftResult, FeatureResult, Status
from driftline.detector._univariate import check_columns, check_min_samples, summarize
from driftline.detector.chi2 import category_labels
from driftline.errors import ConfigurationError, NotFittedError, ValidationError

__all__ = [
    "DistanceDetector",
    "HellingerDetector",
    "JensenShannonDetector",
    "LInfinityDetector",
    "PSIDetector",
    "WassersteinDetector",
    "is_categorical",
]

FloatArray = npt.NDArray[np.float64]


def is_categorical(values: npt.ArrayLike) -> bool:
    """Strings, or objects other than numbers and missing values, make a categorical column."""
    arr = np.asarray(values)
    if arr.dtype.kind in "US":
        return True
    if arr.dtype.kind != "O":
        return False
    return any(
        not isinstance(v, numbers.Real) or isinstance(v, bool)
        for v in arr.ravel().tolist()
        if v is not None
    )


class DistanceDetector(BatchDetector):
    """Shared settings and verdict of distance detectors (``threshold``, ``min_samples``)."""

    #: the threshold when none is given; each detector names its source in the module table
    default_threshold: ClassVar[float] = 0.0
    #: whether ``score_counts`` works (histogram distances) or raw values are needed
    supports_counts: ClassVar[bool] = True

    def __init__(self, *, threshold: float | None = None, min_samples: int = 30) -> None:
        value = self.default_threshold if threshold is None else threshold
        if not value >= 0.0:
            raise ConfigurationError(f"threshold must be >= 0, got {threshold!r}")
        self.threshold = float(value)
        self.min_samples = check_min_samples(min_samples)
        self._n_reference: dict[str, int] | None = None

    @property
    def features(self) -> tuple[str, ...]:
        return tuple(self._fitted())

    def _fitted(self) -> dict[str, int]:
        if self._n_reference is None:
            raise NotFittedError(f"{type(self).__name__}.score called before fit")
        return self._n_reference

    def _verdict(self, feature: str, distance: float | None, n_window: int) -> FeatureResult:
        """``distance`` is ``None`` when the window was too small to compute it."""
        n_ref = self._fitted()[feature]
        enough = min(n_ref, n_window) >= self.min_samples and distance is not None
        statistic = float(distance) if enough and distance is not None else 0.0
        if not enough:
            status = Status.INSUFFICIENT_DATA
        else:
            status = Status.DRIFT if statistic > self.threshold else Status.NO_DRIFT
        return FeatureResult(
            feature, self.name, statistic, None, self.threshold, statistic, status, n_ref, n_window
        )


class BinnedDistanceDetector(DistanceDetector):
    """A distance between binned reference and window proportions; see the module docstring.

    Parameters
    ----------
    threshold
        Drift iff the distance is above it; ``None`` takes ``default_threshold``.
    n_bins
        Number of quantile bins for numeric features (fewer when reference quantiles tie).
    min_samples
        Non-missing values needed on each side; fewer gives ``Status.INSUFFICIENT_DATA``.
    """

    def __init__(
        self, *, threshold: float | None = None, n_bins: int = 10, min_samples: int = 30
    ) -> None:
        super().__init__(threshold=threshold, min_samples=min_samples)
        if isinstance(n_bins, bool) or not isinstance(n_bins, int) or n_bins < 2:
            raise ConfigurationError(f"n_bins must be an integer >= 2, got {n_bins!r}")
        self.n_bins = n_bins
        self.bin_edges: dict[str, FloatArray] = {}
        self.categories: dict[str, tuple[str, ...]] = {}
        self._reference_p: dict[str, FloatArray] = {}

    @abc.abstractmethod
    def _distance(self, p: FloatArray, q: FloatArray) -> float:
        """The distance between reference proportions ``p`` and window proportions ``q``."""

    def fit(self, reference: Frame) -> Self:
        check_columns(reference, None, "reference")
        self.bin_edges, self.categories, self._reference_p = {}, {}, {}
        n_reference: dict[str, int] = {}
        for feature, values in reference.items():
            if is_categorical(values):
                labels = category_labels(values)
                self.categories[feature] = tuple(np.unique(labels).tolist())
                n_reference[feature] = int(labels.size)
            else:
                column = as_float_column(values)
                levels = np.arange(1, self.n_bins) / self.n_bins
                edges = np.quantile(column, levels) if column.size else np.empty(0)
                self.bin_edges[feature] = np.unique(edges)
                n_reference[feature] = int(column.size)
            self._n_reference = n_reference  # window_counts needs the feature's binning
            counts = self.window_counts(feature, values)
            self._reference_p[feature] = counts / max(counts.sum(), 1.0)
        return self

    def window_counts(self, feature: str, values: npt.ArrayLike) -> FloatArray:
        """Counts of ``values`` per bin of ``feature`` (what ``score_counts`` expects)."""
        if feature in self.categories:
            categories = self.categories[feature]
            labels = category_labels(values)
            index = np.searchsorted(np.asarray(categories, dtype=np.str_), labels)
            known = index < len(categories)
            known[known] = np.asarray(categories, dtype=np.str_)[index[known]] == labels[known]
            bins = np.where(known, index, len(categories))
            return np.bincount(bins, minlength=len(categories) + 1).astype(np.float64)
        edges = self.bin_edges[feature]
        try:
            column = as_float_column(values)
        except (TypeError, ValueError) as exc:
            message = f"feature {feature!r} must be numeric: {exc}"
            raise ValidationError(message, field=feature) from None
        bins = np.searchsorted(edges, column, side="right")
        return np.bincount(bins, minlength=edges.size + 1).astype(np.float64)

    def score(self, window: Frame) -> DriftResult:
        check_columns(window, list(self._fitted()), "window")
        return self.score_counts({f: self.window_counts(f, window[f]) for f in self._fitted()})

    def score_counts(self, counts: Mapping[str, npt.ArrayLike]) -> DriftResult:
        """Score window histograms: per feature, counts per reference bin (module docstring)."""
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


@register_detector("psi")
class PSIDetector(BinnedDistanceDetector):
    """Population stability index ``sum (q - p) ln(q / p)``, zero proportions -> ``epsilon``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> detector = PSIDetector().fit({"x": rng.normal(size=1000)})
    >>> detector.score({"x": rng.normal(1.0, size=1000)}).drifted
    True
    """

    default_threshold: ClassVar[float] = 0.2

    def __init__(
        self,
        *,
        epsilon: float = 1e-4,
        threshold: float | None = None,
        n_bins: int = 10,
        min_samples: int = 30,
    ) -> None:
        super().__init__(threshold=threshold, n_bins=n_bins, min_samples=min_samples)
        if not 0.0 < epsilon < 1.0:
            raise ConfigurationError(f"epsilon must be in (0, 1), got {epsilon!r}")
        self.epsilon = float(epsilon)

    def _distance(self, p: FloatArray, q: FloatArray) -> float:
        p, q = np.where(p == 0, self.epsilon, p), np.where(q == 0, self.epsilon, q)
        return float(np.sum((q - p) * np.log(q / p)))


@register_detector("jensen_shannon")
class JensenShannonDetector(BinnedDistanceDetector):
    """Jensen-Shannon distance, base 2 (in [0, 1]); equals ``scipy...jensenshannon(base=2)``."""

    default_threshold: ClassVar[float] = 0.1

    def _distance(self, p: FloatArray, q: FloatArray) -> float:
        m = (p + q) / 2.0
        with np.errstate(divide="ignore", invalid="ignore"):
            kl_p = np.where(p > 0, p * np.log2(p / m), 0.0)
            kl_q = np.where(q > 0, q * np.log2(q / m), 0.0)
        return float(np.sqrt(max(np.sum(kl_p + kl_q) / 2.0, 0.0)))


@register_detector("hellinger")
class HellingerDetector(BinnedDistanceDetector):
    """Hellinger distance ``||sqrt(p) - sqrt(q)||_2 / sqrt(2)`` (in [0, 1])."""

    default_threshold: ClassVar[float] = 0.1

    def _distance(self, p: FloatArray, q: FloatArray) -> float:
        return float(np.sqrt(np.sum((np.sqrt(p) - np.sqrt(q)) ** 2) / 2.0))


@register_detector("linf")
class LInfinityDetector(BinnedDistanceDetector):
    """L-infinity distance: the largest absolute difference of bin (category) proportions."""

    default_threshold: ClassVar[float] = 0.3

    def _distance(self, p: FloatArray, q: FloatArray) -> float:
        return float(np.max(np.abs(p - q)))


@register_detector("wasserstein")
class WassersteinDetector(DistanceDetector):
    """Wasserstein-1 distance on raw numeric values divided by the reference std (ddof=0).

    A constant reference has std 0: the statistic is then 0 for an identical window and +inf
    otherwise. Histograms lose the within-bin positions W1 depends on, so ``score_counts``
    raises ``ConfigurationError`` (``supports_counts`` is False).
    """

    default_threshold: ClassVar[float] = 0.1
    supports_counts: ClassVar[bool] = False

    _references: dict[str, FloatArray]

    def _column(self, feature: str, values: npt.ArrayLike) -> FloatArray:
        if is_categorical(values):
            raise ValidationError(
                f"wasserstein needs a numeric feature; {feature!r} is categorical", field=feature
            )
        return as_float_column(values)

    def fit(self, reference: Frame) -> Self:
        check_columns(reference, None, "reference")
        self._references = {f: np.sort(self._column(f, v)) for f, v in reference.items()}
        self._n_reference = {f: int(v.size) for f, v in self._references.items()}
        return self

    def score(self, window: Frame) -> DriftResult:
        check_columns(window, list(self._fitted()), "window")
        results = []
        for feature, ref in self._references.items():
            column = self._column(feature, window[feature])
            distance = None
            if ref.size and column.size:
                w1 = float(wasserstein_distance(ref, column))
                scale = float(np.std(ref))
                distance = w1 / scale if scale > 0 else (0.0 if w1 == 0 else float("inf"))
            results.append(self._verdict(feature, distance, int(column.size)))
        return summarize(self.name, self.threshold, results)

    def score_counts(self, counts: Mapping[str, npt.ArrayLike]) -> DriftResult:
        raise ConfigurationError(
            "wasserstein needs raw values: call score(), or use psi, jensen_shannon, hellinger "
            "or linf to score histogram counts"
        )
