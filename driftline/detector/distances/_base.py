"""What the distance detectors share: verdicts, and reference bins fixed at fit."""

from __future__ import annotations

import abc
import numbers
from collections.abc import Mapping
from typing import ClassVar, Self

import numpy as np
import numpy.typing as npt

from driftline.detector._base import BatchDetector, Frame, as_float_column
from driftline.detector._capabilities import BinnedCountScorer, Capabilities
from driftline.detector._result import DriftResult, FeatureResult, Status
from driftline.detector._univariate import check_columns, check_min_samples, summarize
from driftline.detector.chi2 import category_labels
from driftline.errors import ConfigurationError, NotFittedError, ValidationError

__all__ = ["BinnedDistanceDetector", "DistanceDetector", "FloatArray", "is_categorical"]

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


class BinnedDistanceDetector(DistanceDetector, BinnedCountScorer):
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

    #: numeric (binned) and categorical features, scored from counts per bin / category
    capabilities: ClassVar[Capabilities] = Capabilities(
        frozenset({"numeric", "categorical"}), scores_from_counts=True)

    def __init__(
        self, *, threshold: float | None = None, n_bins: int = 10, min_samples: int = 30
    ) -> None:
        super().__init__(threshold=threshold, min_samples=min_samples)
        if isinstance(n_bins, bool) or not isinstance(n_bins, int) or n_bins < 2:
            raise ConfigurationError(f"n_bins must be an integer >= 2, got {n_bins!r}")
        self.n_bins = n_bins
        self._bin_edges: dict[str, FloatArray] = {}
        self._categories: dict[str, tuple[str, ...]] = {}
        self._reference_p: dict[str, FloatArray] = {}

    @abc.abstractmethod
    def _distance(self, p: FloatArray, q: FloatArray) -> float:
        """The distance between reference proportions ``p`` and window proportions ``q``."""

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

    def fit(self, reference: Frame) -> Self:
        check_columns(reference, None, "reference")
        self._bin_edges, self._categories, self._reference_p = {}, {}, {}
        n_reference: dict[str, int] = {}
        for feature, values in reference.items():
            if is_categorical(values):
                labels = category_labels(values)
                self._categories[feature] = tuple(np.unique(labels).tolist())
                n_reference[feature] = int(labels.size)
            else:
                column = as_float_column(values)
                levels = np.arange(1, self.n_bins) / self.n_bins
                edges = np.quantile(column, levels) if column.size else np.empty(0)
                self._bin_edges[feature] = np.unique(edges)
                n_reference[feature] = int(column.size)
            self._n_reference = n_reference  # window_counts needs the feature's binning
            counts = self.window_counts(feature, values)
            self._reference_p[feature] = counts / max(counts.sum(), 1.0)
        return self

    def window_counts(self, feature: str, values: npt.ArrayLike) -> FloatArray:
        """Counts of ``values`` per bin of ``feature`` (what ``score_counts`` expects)."""
        if feature in self._categories:
            categories = self._categories[feature]
            labels = category_labels(values)
            index = np.searchsorted(np.asarray(categories, dtype=np.str_), labels)
            known = index < len(categories)
            known[known] = np.asarray(categories, dtype=np.str_)[index[known]] == labels[known]
            bins = np.where(known, index, len(categories))
            return np.bincount(bins, minlength=len(categories) + 1).astype(np.float64)
        edges = self._bin_edges[feature]
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
