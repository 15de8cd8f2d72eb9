"""Per-feature hypothesis tests: the template every univariate batch test fills in.

A subclass says how to clean a column, what to learn from the reference column and how to test a
window column against it (``_fit_feature`` / ``_test_feature``). Everything else is written here
once: the minimum sample size, the multiple-testing correction across features, the verdict per
feature and the overall ``DriftResult``.

A feature drifts iff its *corrected* p-value is below ``alpha``, its effect size is at least
``min_effect_size`` and both sides have at least ``min_samples`` non-missing values. The effect
size floor is what keeps a million-row window from flagging a shift nobody cares about.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any, ClassVar, Literal, NamedTuple, Self

import numpy as np
import numpy.typing as npt

from driftline.detector._base import BatchDetector
from driftline.detector._frames import Columns, FrameLike, as_columns, numeric_values
from driftline.detector._result import DriftResult, FeatureResult, Status
from driftline.errors import ConfigurationError, NotFittedError, ValidationError

__all__ = [
    "CORRECTIONS",
    "Correction",
    "FeatureTest",
    "PerFeatureDetector",
    "check_columns",
    "check_min_samples",
    "correct_p_values",
    "summarize",
]

Correction = Literal["bonferroni", "fdr", "none"]
CORRECTIONS: tuple[str, ...] = ("bonferroni", "fdr", "none")


class FeatureTest(NamedTuple):
    """What a per-feature test returns: raw statistic, raw p-value and effect size, and the
    details a reader needs for a borderline verdict (e.g. ``p_value_mc_error``)."""

    statistic: float
    p_value: float
    effect_size: float
    details: Mapping[str, Any] = MappingProxyType({})


def correct_p_values(p_values: npt.ArrayLike, method: Correction) -> npt.NDArray[np.float64]:
    """Adjusted p-values: Bonferroni (family-wise error) or Benjamini-Hochberg (FDR).

    Adjusted values are compared with the unchanged ``alpha``; both are clipped to 1.
    """
    p = np.asarray(p_values, dtype=np.float64)
    m = p.size
    if m == 0 or method == "none":
        return p.copy()
    if method == "bonferroni":
        return np.minimum(p * m, 1.0)
    if method == "fdr":
        order = np.argsort(p, kind="stable")
        scaled = p[order] * m / np.arange(1, m + 1)
        # step-up: the adjusted value of rank i is the smallest scaled value at rank >= i
        monotone = np.minimum.accumulate(scaled[::-1])[::-1]
        adjusted = np.empty_like(p)
        adjusted[order] = np.minimum(monotone, 1.0)
        return adjusted
    raise ConfigurationError(f"correction must be one of {CORRECTIONS}, got {method!r}")


def _headline_key(f: FeatureResult) -> tuple[float, float]:
    relative = f.effect_size / f.threshold if f.threshold > 0 else f.effect_size
    return (1.0 if f.p_value is None else f.p_value, -relative)


def summarize(test: str, threshold: float, features: Sequence[FeatureResult]) -> DriftResult:
    """The overall result: drift if any feature drifted, insufficient data if every feature is.

    The headline statistic, p-value, threshold and effect size come from one feature (see
    ``DriftResult``); the sample sizes are the largest per-feature counts.
    """
    tested = [f for f in features if f.status is not Status.INSUFFICIENT_DATA]
    drifted = [f for f in tested if f.drifted]
    if drifted:
        status = Status.DRIFT
    elif not tested:
        status = Status.INSUFFICIENT_DATA
    else:
        status = Status.NO_DRIFT
    head = min(drifted or tested, key=_headline_key) if tested else None
    return DriftResult(
        test=test,
        statistic=head.statistic if head else 0.0,
        p_value=head.p_value if head else None,
        threshold=head.threshold if head else threshold,
        effect_size=head.effect_size if head else 0.0,
        status=status,
        n_reference=max((f.n_reference for f in features), default=0),
        n_window=max((f.n_window for f in features), default=0),
        features=tuple(features),
        feature=head.feature if head else None,
        details=dict(head.details) if head else {},
    )


def check_columns(frame: FrameLike, expected: Sequence[str] | None, what: str) -> Columns:
    """``frame`` through the input adapter (``driftline.detector._frames``); raise
    ``ValidationError`` for an empty frame or one missing fitted features. Columns may differ
    in length: a per-feature test reads each on its own (and histograms are per feature)."""
    columns = as_columns(frame, what=what, same_length=False)
    if expected is None:
        if len(columns) == 0:
            raise ValidationError(f"{what} has no features", field=what)
        return columns
    missing = [name for name in expected if name not in columns]
    if missing:
        raise ValidationError(f"{what} lacks fitted feature(s) {missing}", field=missing[0])
    return columns


def check_min_samples(min_samples: int) -> int:
    if isinstance(min_samples, bool) or not isinstance(min_samples, int) or min_samples < 1:
        raise ConfigurationError(f"min_samples must be an integer >= 1, got {min_samples!r}")
    return min_samples


class PerFeatureDetector(BatchDetector):
    """Template for univariate tests applied to every feature, with one correction across them.

    Parameters
    ----------
    alpha
        Significance level, compared with the corrected p-values.
    correction
        ``"bonferroni"`` (family-wise error rate), ``"fdr"`` (Benjamini-Hochberg) or ``"none"``.
    min_samples
        Non-missing values needed on *each* side; fewer gives ``Status.INSUFFICIENT_DATA``.
        ``None`` takes the test's ``default_min_samples``: the smallest size at which the
        test is valid and can reject at all, not a blanket 30 (a 28-row reference against a
        72-row window with a large shift is drift, and the effect-size floor keeps small
        shifts out).
    min_effect_size
        Smallest effect size that counts as drift; ``None`` takes the test's
        ``default_min_effect_size``.
    """

    #: the effect-size floor when ``min_effect_size`` is not given; set by each test
    default_min_effect_size: ClassVar[float] = 0.0
    #: the sample-size floor when ``min_samples`` is not given; set by each test
    default_min_samples: ClassVar[int] = 5

    def __init__(
        self,
        *,
        alpha: float = 0.05,
        correction: Correction = "bonferroni",
        min_samples: int | None = None,
        min_effect_size: float | None = None,
    ) -> None:
        if not 0.0 < alpha < 1.0:
            raise ConfigurationError(f"alpha must be in (0, 1), got {alpha!r}")
        if correction not in CORRECTIONS:
            raise ConfigurationError(f"correction must be one of {CORRECTIONS}, got {correction!r}")
        effect = self.default_min_effect_size if min_effect_size is None else min_effect_size
        if not effect >= 0.0:
            raise ConfigurationError(f"min_effect_size must be >= 0, got {min_effect_size!r}")
        self.alpha = float(alpha)
        self.correction: Correction = correction
        self.min_samples = check_min_samples(
            self.default_min_samples if min_samples is None else min_samples)
        self.min_effect_size = float(effect)
        self._n_reference: dict[str, int] | None = None

    # -- the template methods --------------------------------------------------------------

    def _clean_column(self, feature: str, values: npt.ArrayLike) -> npt.NDArray[Any]:
        """The column with missing values removed; numeric by default (a string column,
        numeric-looking or not, is refused with the feature named)."""
        return numeric_values(feature, values, self.name)

    def _start_fit(self) -> None:
        """Drop what a previous ``fit`` learnt; called before the first ``_fit_feature``."""

    @abc.abstractmethod
    def _fit_feature(self, feature: str, column: npt.NDArray[Any]) -> None:
        """Learn what the test needs from one clean reference column."""

    @abc.abstractmethod
    def _test_feature(self, feature: str, column: npt.NDArray[Any]) -> FeatureTest:
        """Test one clean window column (with enough samples) against the reference."""

    # -- the contract ------------------------------------------------------------------------

    @property
    def features(self) -> tuple[str, ...]:
        return tuple(self._fitted())

    def _fitted(self) -> dict[str, int]:
        if self._n_reference is None:
            raise NotFittedError(f"{type(self).__name__}.score called before fit")
        return self._n_reference

    def fit(self, reference: FrameLike) -> Self:
        reference = check_columns(reference, None, "reference")
        self._start_fit()
        n_reference: dict[str, int] = {}
        for feature, values in reference.items():
            column = self._clean_column(feature, values)
            self._fit_feature(feature, column)
            n_reference[feature] = int(column.size)
        self._n_reference = n_reference
        return self

    def score(self, window: FrameLike) -> DriftResult:
        n_reference = self._fitted()
        window = check_columns(window, list(n_reference), "window")
        tested: dict[str, tuple[FeatureTest, int]] = {}
        n_window: dict[str, int] = {}
        for feature, n_ref in n_reference.items():
            column = self._clean_column(feature, window[feature])
            n_window[feature] = int(column.size)
            if min(n_ref, column.size) >= self.min_samples:
                tested[feature] = (self._test_feature(feature, column), int(column.size))
        return self._summarize(n_reference, n_window, tested)

    def _summarize(self, n_reference: dict[str, int], n_window: dict[str, int],
                   tested: dict[str, tuple[FeatureTest, int]]) -> DriftResult:
        """Correct the tested features' p-values together and give the overall verdict."""
        corrected = correct_p_values([t.p_value for t, _ in tested.values()], self.correction)
        adjusted = dict(zip(tested, corrected.tolist(), strict=True))
        results = [
            self._feature_result(feature, n_reference[feature], n_window[feature], tested, adjusted)
            for feature in n_reference
        ]
        return summarize(self.name, self.alpha, results)

    def _feature_result(
        self,
        feature: str,
        n_ref: int,
        n_win: int,
        tested: dict[str, tuple[FeatureTest, int]],
        adjusted: dict[str, float],
    ) -> FeatureResult:
        if feature not in tested:
            insufficient = Status.INSUFFICIENT_DATA
            return FeatureResult(
                feature, self.name, 0.0, None, self.alpha, 0.0, insufficient, n_ref, n_win
            )
        outcome = tested[feature][0]
        p_value = adjusted[feature]
        drifted = p_value < self.alpha and outcome.effect_size >= self.min_effect_size
        return FeatureResult(
            feature=feature,
            test=self.name,
            statistic=float(outcome.statistic),
            p_value=p_value,
            threshold=self.alpha,
            effect_size=float(outcome.effect_size),
            status=Status.DRIFT if drifted else Status.NO_DRIFT,
            n_reference=n_ref,
            n_window=n_win,
            details=dict(outcome.details),
        )
