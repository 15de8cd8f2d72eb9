"""Pearson's chi-squared test of homogeneity for categorical features.

Each feature's 2 x (K + 1) contingency table has one row for the reference and one for the
window; the columns are the K reference categories (sorted) plus ``UNSEEN``, which collects
window values whose category never occurs in the reference. Unseen categories therefore add
to the statistic (a new category is drift evidence) and ``unseen_categories`` names them.
Columns empty in both rows are dropped (their expected count is 0); the statistic and p-value
then equal ``scipy.stats.chi2_contingency(table, correction=False)``.

Values are compared as strings. ``None`` and float NaN are missing: dropped, or counted as the
category ``MISSING`` with ``count_missing=True``. A numeric feature (numbers or bools, by
ingest's rule) is refused with the feature named: treating each distinct float as a category
makes every continuous feature "drift". Pass ``n_bins`` to bin numeric features at reference
quantiles instead.

Validity. Pearson's chi-squared distribution needs large expected counts (Cochran: every
expected count >= 1 and at most 20% below 5). Where a table breaks that rule (small windows,
rare or unseen categories) the p-value is a seeded Monte-Carlo permutation p-value
``(k + 1) / (B + 1)`` over ``n_permutations`` tables with the same margins (the window's counts
drawn from the pooled counts by a multivariate hypergeometric draw), valid at any size; the
details name the method and carry the Monte-Carlo error.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
from scipy.special import chdtrc

from driftline.detector._base import register_detector
from driftline.detector._capabilities import Capabilities, CountScorer
from driftline.detector._frames import (
    FrameLike,
    as_columns,
    categorical_values,
    feature_kind,
    numeric_values,
)
from driftline.detector._result import DriftResult
from driftline.detector._univariate import Correction, FeatureTest, PerFeatureDetector
from driftline.errors import ConfigurationError, ValidationError
from driftline.feature_kinds import FeatureKind

__all__ = [
    "MISSING",
    "UNSEEN",
    "Chi2Detector",
    "category_labels",
    "chi2_homogeneity",
    "chi2_permutation_p_value",
    "cochran_ok",
]

#: the column of window categories absent from the reference
UNSEEN = "__unseen__"
#: the category of missing values when ``count_missing=True``
MISSING = "__missing__"


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def category_labels(values: npt.ArrayLike, *, count_missing: bool = False) -> npt.NDArray[np.str_]:
    """A categorical column as strings; missing values dropped or labelled ``MISSING``."""
    raw = np.asarray(values, dtype=object).ravel()
    labels = [
        MISSING if _is_missing(v) else str(v)
        for v in raw.tolist()
        if count_missing or not _is_missing(v)
    ]
    return np.asarray(labels, dtype=np.str_)


def _pearson(observed: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Pearson's statistic of ``(..., 2, C)`` tables with no all-zero column or row."""
    rows = observed.sum(axis=-1, keepdims=True)
    cols = observed.sum(axis=-2, keepdims=True)
    expected = rows * cols / observed.sum(axis=(-2, -1), keepdims=True)
    out: npt.NDArray[np.float64] = np.sum((observed - expected) ** 2 / expected, axis=(-2, -1))
    return out


def cochran_ok(table: npt.ArrayLike) -> bool:
    """Cochran's rule for the chi-squared approximation: every expected count >= 1 and at
    most 20% of them below 5 (columns empty in both rows dropped)."""
    observed = np.asarray(table, dtype=np.float64)
    observed = observed[:, observed.sum(axis=0) > 0]
    if observed.size == 0 or observed.sum() == 0:
        return True
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0)) / observed.sum()
    return bool(expected.min() >= 1.0 and np.mean(expected < 5.0) <= 0.2)


def chi2_permutation_p_value(table: npt.ArrayLike, n_permutations: int, seed: int
                             ) -> tuple[float, float]:
    """``(statistic, p_value)``: the Monte-Carlo permutation p-value ``(k + 1) / (B + 1)`` of
    Pearson's statistic on a 2 x C table, the margins fixed (the window row drawn from the
    pooled column totals by a multivariate hypergeometric draw, seeded)."""
    observed = np.asarray(table, dtype=np.float64)
    observed = observed[:, observed.sum(axis=0) > 0]
    if observed.shape[1] < 2 or np.any(observed.sum(axis=1) == 0):
        return 0.0, 1.0
    statistic = float(_pearson(observed))
    totals = observed.sum(axis=0).astype(np.int64)
    n_window = int(observed[1].sum())
    rng = np.random.default_rng(seed)
    window = rng.multivariate_hypergeometric(totals, n_window, size=n_permutations)
    tables = np.stack([totals[None, :] - window, window], axis=1).astype(np.float64)
    permuted = _pearson(tables)
    k = int(np.count_nonzero(permuted >= statistic * (1.0 - 1e-12)))
    return statistic, (k + 1) / (n_permutations + 1)


def chi2_homogeneity(table: npt.ArrayLike) -> tuple[float, float, int]:
    """``(statistic, p_value, dof)`` of Pearson's test on a 2 x C table of counts.

    Columns that are zero in every row are dropped first; with fewer than two columns left
    the statistic is 0 and the p-value 1 (as scipy reports for zero degrees of freedom).
    """
    observed = np.asarray(table, dtype=np.float64)
    observed = observed[:, observed.sum(axis=0) > 0]
    if observed.shape[1] < 2 or np.any(observed.sum(axis=1) == 0):
        return 0.0, 1.0, 0
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0)) / observed.sum()
    statistic = float(np.sum((observed - expected) ** 2 / expected))
    dof = (observed.shape[0] - 1) * (observed.shape[1] - 1)
    return statistic, float(chdtrc(dof, statistic)), dof


@register_detector("chi2")
class Chi2Detector(PerFeatureDetector, CountScorer):
    """Chi-squared test per categorical feature, window counts against reference counts.

    The effect size is Cramér's V, ``sqrt(chi2 / N)`` for a two-row table, in [0, 1]; the
    default floor ``min_effect_size=0.1`` is Cohen's "small" effect for V with one degree of
    freedom in the smaller dimension.

    Parameters
    ----------
    count_missing
        Count missing values as the category ``"__missing__"`` (default: drop them).
    n_bins
        Bin numeric features into this many reference-quantile bins (fewer when quantiles
        tie) and test the bins; ``None`` (default) refuses numeric features.
    n_permutations, seed
        Monte-Carlo p-values where Cochran's rule fails (module docstring): 2,000 tables
        keep the Monte-Carlo error near alpha=0.05 at about 0.005; seeded, so the same
        window gives the same p-value.
    alpha, correction, min_samples, min_effect_size
        As for every ``PerFeatureDetector``; ``min_samples`` defaults to 5 per side (the
        permutation p-value is valid at any size, and with fewer than 5 rows a side the
        smallest p-value reachable is above 0.05 for two categories).

    Examples
    --------
    >>> import numpy as np
    >>> detector = Chi2Detector().fit({"c": np.array(["a"] * 50 + ["b"] * 50)})
    >>> detector.score({"c": np.array(["a"] * 80 + ["b"] * 20)}).drifted
    True
    >>> detector.unseen_categories({"c": np.array(["a", "z", "z", None], dtype=object)})
    {'c': ('z',)}
    """

    default_min_effect_size: ClassVar[float] = 0.1
    #: categorical features only; window counts per reference category suffice
    capabilities: ClassVar[Capabilities] = Capabilities(
        frozenset({"categorical"}), scores_from_counts=True)

    def __init__(
        self,
        *,
        count_missing: bool = False,
        n_bins: int | None = None,
        n_permutations: int = 2000,
        seed: int = 0,
        alpha: float = 0.05,
        correction: Correction = "bonferroni",
        min_samples: int | None = None,
        min_effect_size: float | None = None,
    ) -> None:
        super().__init__(
            alpha=alpha,
            correction=correction,
            min_samples=min_samples,
            min_effect_size=min_effect_size,
        )
        if n_bins is not None and (isinstance(n_bins, bool) or not isinstance(n_bins, int)
                                   or n_bins < 2):
            raise ConfigurationError(f"n_bins must be an integer >= 2 or None, got {n_bins!r}")
        if isinstance(n_permutations, bool) or not isinstance(n_permutations, int) \
                or n_permutations < 1:
            raise ConfigurationError(f"n_permutations must be an integer >= 1, got "
                                     f"{n_permutations!r}")
        self.count_missing = bool(count_missing)
        self.n_bins = n_bins
        self.n_permutations = n_permutations
        self.seed = int(seed)
        self._bin_edges: dict[str, npt.NDArray[np.float64]] = {}
        self._categories: dict[str, tuple[str, ...]] = {}
        self._reference_counts: dict[str, npt.NDArray[np.float64]] = {}

    def _start_fit(self) -> None:
        self._categories, self._reference_counts, self._bin_edges = {}, {}, {}

    def _clean_column(self, feature: str, values: npt.ArrayLike) -> npt.NDArray[Any]:
        if self.n_bins is not None and feature_kind(values) is FeatureKind.NUMERIC:
            return self._binned(feature, values)
        labels = category_labels(categorical_values(feature, values, self.name),
                                 count_missing=self.count_missing)
        if np.any(labels == UNSEEN):
            raise ValidationError(
                f"feature {feature!r} uses the reserved category {UNSEEN!r}", field=feature
            )
        return labels

    def _binned(self, feature: str, values: npt.ArrayLike) -> npt.NDArray[np.str_]:
        """Numeric values as reference-quantile bin labels (edges learnt at the first call
        of a fit); missing values dropped or ``MISSING``, as for categories."""
        arr = np.asarray(values)
        floats = numeric_values(feature, arr, self.name)
        if feature not in self._bin_edges:
            assert self.n_bins is not None
            levels = np.arange(1, self.n_bins) / self.n_bins
            edges = np.quantile(floats, levels) if floats.size else np.empty(0)
            self._bin_edges[feature] = np.unique(edges)
        bins = np.searchsorted(self._bin_edges[feature], floats, side="right")
        labels = np.char.add("bin_", bins.astype(np.str_))
        if self.count_missing:
            n_missing = arr.size - floats.size
            labels = np.concatenate([labels, np.full(n_missing, MISSING)])
        return np.asarray(labels, dtype=np.str_)

    @property
    def numeric_bin_edges(self) -> dict[str, npt.NDArray[np.float64]]:
        """Reference-quantile edges of the numeric features binned with ``n_bins``."""
        return dict(self._bin_edges)

    def _fit_feature(self, feature: str, column: npt.NDArray[Any]) -> None:
        categories, counts = np.unique(column, return_counts=True)
        self._categories[feature] = tuple(str(c) for c in categories)
        self._reference_counts[feature] = np.append(counts, 0).astype(np.float64)

    def window_counts(self, feature: str, column: npt.NDArray[Any]) -> npt.NDArray[np.float64]:
        """Window counts per reference category of ``feature``, then the ``UNSEEN`` count."""
        categories = self._categories[feature]
        values, counts = np.unique(column, return_counts=True)
        index = {c: i for i, c in enumerate(categories)}
        result = np.zeros(len(categories) + 1, dtype=np.float64)
        for value, count in zip(values.tolist(), counts.tolist(), strict=True):
            result[index.get(value, len(categories))] += count
        return result

    def unseen_level_counts(self, feature: str, column: npt.NDArray[Any]
                            ) -> npt.NDArray[np.float64]:
        """Counts of each window category the reference never had (their sum is the
        ``UNSEEN`` count of ``window_counts``)."""
        seen = set(self._categories[feature])
        values, counts = np.unique(column, return_counts=True)
        unseen = [c for v, c in zip(values.tolist(), counts.tolist(), strict=True)
                  if v not in seen]
        return np.asarray(unseen, dtype=np.float64)

    def _test_feature(self, feature: str, column: npt.NDArray[Any]) -> FeatureTest:
        return self._test_counts(feature, self.window_counts(feature, column),
                                 self.unseen_level_counts(feature, column))

    def _test_counts(self, feature: str, counts: npt.NDArray[np.float64],
                     unseen: npt.NDArray[np.float64] | None = None) -> FeatureTest:
        """``unseen``: the counts of each unseen category, when known. The table then has a
        column per unseen category (the test is exchangeable: lumping every category the
        reference happened to miss into one column makes that column all-window and a
        permutation can never produce it, so rare levels alone read as drift)."""
        reference = self._reference_counts[feature]
        if unseen is not None and unseen.size and abs(unseen.sum() - counts[-1]) < 0.5:
            reference = np.concatenate([reference[:-1], np.zeros(unseen.size)])
            counts = np.concatenate([counts[:-1], unseen])
        table = np.vstack([reference, counts])
        details: dict[str, Any]
        if cochran_ok(table):
            statistic, p_value, _ = chi2_homogeneity(table)
            details = {"p_value_method": "asymptotic"}
        else:
            statistic, p_value = chi2_permutation_p_value(table, self.n_permutations, self.seed)
            error = math.sqrt(p_value * (1.0 - p_value) / self.n_permutations)
            details = {"p_value_method": "permutation", "n_permutations": self.n_permutations,
                       "p_value_mc_error": error}
        cramers_v = math.sqrt(statistic / table.sum())
        return FeatureTest(statistic, p_value, cramers_v, details)

    @property
    def counts_missing(self) -> bool:
        """Whether missing values are the category ``MISSING`` (``count_missing=True``)."""
        return self.count_missing

    def score_counts(self, counts: Mapping[str, npt.ArrayLike],
                     unseen: Mapping[str, npt.ArrayLike] | None = None) -> DriftResult:
        """Score window counts per feature: one count per reference category (in the order of
        ``categories``), then the count of unseen categories (as ``window_counts`` gives).
        ``unseen``: per feature, the count of each unseen category (``unseen_level_counts``),
        which keeps the test valid when the reference misses rare levels."""
        n_reference = self._fitted()
        tested: dict[str, tuple[FeatureTest, int]] = {}
        n_window: dict[str, int] = {}
        for feature, n_ref in n_reference.items():
            if feature not in counts:
                raise ValidationError(f"counts lack fitted feature {feature!r}", field=feature)
            window = np.asarray(counts[feature], dtype=np.float64)
            if window.shape != (len(self._categories[feature]) + 1,):
                raise ValidationError(
                    f"expected {len(self._categories[feature]) + 1} counts for {feature!r} "
                    f"(its reference categories, then unseen), got shape {window.shape}",
                    field=feature)
            n_window[feature] = int(window.sum())
            if min(n_ref, n_window[feature]) >= self.min_samples:
                levels = None if unseen is None or feature not in unseen else np.asarray(
                    unseen[feature], dtype=np.float64)
                tested[feature] = (self._test_counts(feature, window, levels),
                                   n_window[feature])
        return self._summarize(n_reference, n_window, tested)

    @property
    def categories(self) -> dict[str, tuple[str, ...]]:
        """The reference categories per feature (table columns before ``UNSEEN``)."""
        self._fitted()
        return dict(self._categories)

    def unseen_categories(self, window: FrameLike) -> dict[str, tuple[str, ...]]:
        """Per feature, the window's categories that never occur in the reference (sorted)."""
        result: dict[str, tuple[str, ...]] = {}
        window = as_columns(window, what="window", same_length=False)
        for feature in self._fitted():
            if feature not in window:
                raise ValidationError(f"window lacks fitted feature {feature!r}", field=feature)
            seen = set(self._categories[feature])
            column = self._clean_column(feature, window[feature])
            result[feature] = tuple(sorted(set(column.tolist()) - seen))
        return result
