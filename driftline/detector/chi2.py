"""Pearson's chi-squared test of homogeneity for categorical features.

Each feature's 2 x (K + 1) contingency table has one row for the reference and one for the
window; the columns are the K reference categories (sorted) plus ``UNSEEN``, which collects
window values whose category never occurs in the reference. Unseen categories therefore add
to the statistic (a new category is drift evidence) and ``unseen_categories`` names them.
Columns empty in both rows are dropped (their expected count is 0); the statistic and p-value
then equal ``scipy.stats.chi2_contingency(table, correction=False)``.

Values are compared as strings (``1`` and ``"1"`` are one category). ``None`` and float NaN
are missing: dropped, or counted as the category ``MISSING`` with ``count_missing=True``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
from scipy.special import chdtrc

from driftline.detector._base import Frame, register_detector
from driftline.detector._capabilities import Capabilities, CountScorer
from driftline.detector._result import DriftResult
from driftline.detector._univariate import Correction, FeatureTest, PerFeatureDetector
from driftline.errors import ValidationError

__all__ = ["MISSING", "UNSEEN", "Chi2Detector", "category_labels", "chi2_homogeneity"]

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
    alpha, correction, min_samples, min_effect_size
        As for every ``PerFeatureDetector``.

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
        alpha: float = 0.05,
        correction: Correction = "bonferroni",
        min_samples: int = 30,
        min_effect_size: float | None = None,
    ) -> None:
        super().__init__(
            alpha=alpha,
            correction=correction,
            min_samples=min_samples,
            min_effect_size=min_effect_size,
        )
        self.count_missing = bool(count_missing)
        self._categories: dict[str, tuple[str, ...]] = {}
        self._reference_counts: dict[str, npt.NDArray[np.float64]] = {}

    def _start_fit(self) -> None:
        self._categories, self._reference_counts = {}, {}

    def _clean_column(self, feature: str, values: npt.ArrayLike) -> npt.NDArray[Any]:
        labels = category_labels(values, count_missing=self.count_missing)
        if np.any(labels == UNSEEN):
            raise ValidationError(
                f"feature {feature!r} uses the reserved category {UNSEEN!r}", field=feature
            )
        return labels

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

    def _test_feature(self, feature: str, column: npt.NDArray[Any]) -> FeatureTest:
        return self._test_counts(feature, self.window_counts(feature, column))

    def _test_counts(self, feature: str, counts: npt.NDArray[np.float64]) -> FeatureTest:
        table = np.vstack([self._reference_counts[feature], counts])
        statistic, p_value, _ = chi2_homogeneity(table)
        cramers_v = math.sqrt(statistic / table.sum())
        return FeatureTest(statistic=statistic, p_value=p_value, effect_size=cramers_v)

    @property
    def counts_missing(self) -> bool:
        """Whether missing values are the category ``MISSING`` (``count_missing=True``)."""
        return self.count_missing

    def score_counts(self, counts: Mapping[str, npt.ArrayLike]) -> DriftResult:
        """Score window counts per feature: one count per reference category (in the order of
        ``categories``), then the count of unseen categories (as ``window_counts`` gives)."""
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
                tested[feature] = (self._test_counts(feature, window), n_window[feature])
        return self._summarize(n_reference, n_window, tested)

    @property
    def categories(self) -> dict[str, tuple[str, ...]]:
        """The reference categories per feature (table columns before ``UNSEEN``)."""
        self._fitted()
        return dict(self._categories)

    def unseen_categories(self, window: Frame) -> dict[str, tuple[str, ...]]:
        """Per feature, the window's categories that never occur in the reference (sorted)."""
        result: dict[str, tuple[str, ...]] = {}
        for feature in self._fitted():
            if feature not in window:
                raise ValidationError(f"window lacks fitted feature {feature!r}", field=feature)
            seen = set(self._categories[feature])
            column = self._clean_column(feature, window[feature])
            result[feature] = tuple(sorted(set(column.tolist()) - seen))
        return result
