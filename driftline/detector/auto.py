"""``test="auto"``: one calibrated test per feature, chosen by kind and size. The recommended
default when you do not know which test to pick.

The rule follows what Evidently users expect (its default test per column: up to 1,000
reference rows KS for numeric columns and chi-squared, or a Z-test when binary, for categorical
ones; above, normalized Wasserstein and Jensen-Shannon; a numeric column with at most 5
distinct values counts as categorical), but every verdict is calibrated, and there is one
multiple-testing correction across all features:

========================================  ===========================  ========================
feature (as the *reference* has it)       reference values             test
========================================  ===========================  ========================
numeric, at most ``max_codes`` distinct   any                          ``chi2`` on value labels
numeric                                   ``<= small_reference``       ``ks``
numeric                                   ``> small_reference``        ``wasserstein``
categorical                               ``<= small_reference``       ``chi2``
categorical                               ``> small_reference``        ``jensen_shannon``
========================================  ===========================  ========================

"Reference values" counts the non-missing values of the feature in the reference; the defaults
are ``small_reference=1000`` (Evidently's cut) and ``max_codes=5`` (a numeric feature with at
most 5 distinct values, e.g. a 0/1 flag or a 1-5 rating, is a set of category codes: KS on it is
very conservative, chi-squared is not). Numeric codes are compared as labels (``1.0`` -> ``"1"``)
at every size: with at most 5 cells the chi-squared approximation is accurate, and on a 0/1
flag chi-squared is Evidently's two-proportion Z-test (``chi2 = z^2``, the same p-value).

Why these tests: KS (exact p-value up to 10,000 values a side) and chi-squared (a Monte-Carlo
permutation p-value where Cochran's rule fails: small windows, rare categories) are meant to be
valid at every size (``tests/detector/test_calibration.py`` checks it). Above 1,000 reference
values a test flags shifts nobody cares about, so a distance with a practical threshold takes
over: normalized Wasserstein (W1 / reference std, threshold 0.1) and the Jensen-Shannon distance
(threshold 0.1), each calibrated: a distance drifts only when it is above its practical
threshold *and* above its null quantile at the sizes at hand (its bootstrap p-value below
``alpha`` after the correction).

The correction (``correction``, default Bonferroni, the family-wise rate) is applied once across
every tested feature's p-value: the tests' p-values and the distances' null p-values
``(k + 1) / (B + 1)`` (``B = max(1000, ceil(10 n_features / alpha))`` null draws, so at least ten
lie beyond a Bonferroni quantile). A drifted feature has a corrected p-value below ``alpha`` and
an effect at least the chosen test's floor (KS ``D >= 0.1``, Cramér's V ``>= 0.1``, the distance
above its practical threshold): for a distance under Bonferroni this is the distance's own rule,
above the larger of its practical threshold and its null quantile at level
``1 - alpha / n_features``, with ``n_features`` counting every feature, not only the distance's.
``FeatureResult.p_value`` is the corrected p-value and ``threshold`` what the statistic is held
against: ``alpha`` for a test, the practical threshold for a distance.

Each ``FeatureResult`` names the test that ran (``test``) and, in ``details``, the ``rule`` that
chose it (``"numeric_codes"``, ``"numeric_small_reference"``, ``"numeric_large_reference"``,
``"categorical_small_reference"``, ``"categorical_large_reference"``), a readable ``reason``,
the uncorrected ``p_value_raw`` and the test's own details (e.g. ``p_value_mc_error``).

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> reference = {"amount": rng.normal(size=500),
...              "country": rng.choice(np.array(["de", "fr", "us"]), 500)}
>>> detector = AutoDetector().fit(reference)
>>> {f: detector.choices[f].test for f in detector.features}
{'amount': 'ks', 'country': 'chi2'}
>>> window = {"amount": rng.normal(1.0, size=300),
...           "country": rng.choice(np.array(["de", "fr", "us"]), 300)}
>>> detector.score(window).drifted_features
('amount',)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, ClassVar, Literal, Self

import numpy as np
import numpy.typing as npt

from driftline.detector._base import BatchDetector, register_detector
from driftline.detector._capabilities import Capabilities
from driftline.detector._frames import (
    Columns,
    FrameLike,
    as_columns,
    categorical_values,
    feature_kind,
    numeric_values,
)
from driftline.detector._result import DriftResult, FeatureResult, Status
from driftline.detector._univariate import (
    CORRECTIONS,
    Correction,
    correct_p_values,
    summarize,
)
from driftline.detector.chi2 import Chi2Detector, category_labels
from driftline.detector.distances import JensenShannonDetector, WassersteinDetector
from driftline.detector.ks import KSDetector
from driftline.errors import ConfigurationError, NotFittedError, ValidationError
from driftline.feature_kinds import FeatureKind

__all__ = [
    "DEFAULT_MAX_CODES",
    "DEFAULT_N_BOOTSTRAP",
    "DEFAULT_SMALL_REFERENCE",
    "AutoDetector",
    "Choice",
    "Rule",
    "choose_test",
    "code_labels",
]

#: reference values up to which a test (KS / chi-squared) is used, above a distance (Evidently)
DEFAULT_SMALL_REFERENCE = 1000
#: a numeric feature with at most this many distinct reference values is tested as categories
DEFAULT_MAX_CODES = 5

Rule = Literal[
    "numeric_codes",
    "numeric_small_reference",
    "numeric_large_reference",
    "categorical_small_reference",
    "categorical_large_reference",
]
_Test = Literal["ks", "chi2", "wasserstein", "jensen_shannon"]
_TESTS: tuple[_Test, ...] = ("ks", "chi2", "wasserstein", "jensen_shannon")
#: the distances' null draws per feature and window size when they need no more (their default)
DEFAULT_N_BOOTSTRAP = 1000
#: a distance's details that describe its own per-group Bonferroni level, not auto's verdict
_LEVEL_DETAILS = frozenset({"threshold_source", "null_quantile", "null_level"})


@dataclass(frozen=True, slots=True)
class Choice:
    """The test chosen for one feature at ``fit`` and the rule that chose it."""

    test: _Test
    rule: Rule
    reason: str
    #: whether the feature is numeric but tested as category labels (``rule="numeric_codes"``)
    as_codes: bool = False


def choose_test(kind: FeatureKind | None, n_values: int, n_distinct: int, *,
                small_reference: int = DEFAULT_SMALL_REFERENCE,
                max_codes: int = DEFAULT_MAX_CODES) -> Choice:
    """The rule of the module table for a reference column of ``kind`` with ``n_values``
    non-missing values of which ``n_distinct`` are distinct (``kind=None``, no value present,
    is read as categorical: the test then reports ``insufficient_data``)."""
    small = n_values <= small_reference
    size = f"{n_values:,} reference values {'<=' if small else '>'} {small_reference:,}"
    if kind is FeatureKind.NUMERIC:
        if 0 < n_distinct <= max_codes:
            return Choice("chi2", "numeric_codes",
                          f"numeric with {n_distinct} distinct reference values <= {max_codes}: "
                          "chi2 on the value labels", as_codes=True)
        if small:
            return Choice("ks", "numeric_small_reference", f"numeric, {size}: ks")
        return Choice("wasserstein", "numeric_large_reference", f"numeric, {size}: wasserstein")
    if small:
        return Choice("chi2", "categorical_small_reference", f"categorical, {size}: chi2")
    return Choice("jensen_shannon", "categorical_large_reference",
                  f"categorical, {size}: jensen_shannon")


def code_labels(values: npt.NDArray[np.float64]) -> npt.NDArray[np.str_]:
    """Numeric codes (missing values already dropped) as category labels: integral values
    without a decimal point (``1.0`` -> ``"1"``), others by ``repr`` (``0.5`` -> ``"0.5"``)."""
    distinct, inverse = np.unique(values, return_inverse=True)
    names = [str(int(v)) if math.isfinite(v) and float(v).is_integer() else repr(float(v))
             for v in distinct.tolist()]
    labels: npt.NDArray[np.str_] = np.asarray(names, dtype=np.str_)[inverse.ravel()]
    return labels


@register_detector("auto")
class AutoDetector(BatchDetector):
    """Per feature the calibrated test the module table chooses; one correction across them.

    Parameters
    ----------
    alpha
        Family-wise significance level (default 0.05), in (0, 1): the corrected p-values of
        every tested feature are compared with it.
    correction
        ``"bonferroni"`` (default: family-wise error rate), ``"fdr"`` (Benjamini-Hochberg) or
        ``"none"``, applied once across all features, whatever test each one got.
    small_reference
        Non-missing reference values up to which a feature gets a test (KS / chi-squared) and
        above which a distance (Wasserstein / Jensen-Shannon); default 1,000, >= 1.
    max_codes
        A numeric feature with at most this many distinct reference values is tested as
        categories (chi-squared on its labels); default 5, >= 0 (0 never does).
    seed
        Seed of every random choice (chi-squared's Monte-Carlo tables, the distances' null
        draws); default 0, so the same window always gets the same verdict.

    The chosen tests keep their own defaults (effect-size floors, minimum sample sizes): see
    ``KSDetector``, ``Chi2Detector``, ``WassersteinDetector`` and ``JensenShannonDetector``.
    """

    #: numeric and categorical features, raw values (the tests need them, not counts)
    capabilities: ClassVar[Capabilities] = Capabilities(frozenset({"numeric", "categorical"}))

    def __init__(
        self,
        *,
        alpha: float = 0.05,
        correction: Correction = "bonferroni",
        small_reference: int = DEFAULT_SMALL_REFERENCE,
        max_codes: int = DEFAULT_MAX_CODES,
        seed: int = 0,
    ) -> None:
        if not 0.0 < alpha < 1.0:
            raise ConfigurationError(f"alpha must be in (0, 1), got {alpha!r}")
        if correction not in CORRECTIONS:
            raise ConfigurationError(f"correction must be one of {CORRECTIONS}, got {correction!r}")
        for name, value, low in (("small_reference", small_reference, 1),
                                 ("max_codes", max_codes, 0)):
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ConfigurationError(f"{name} must be an integer >= {low}, got {value!r}")
        self.alpha = float(alpha)
        self.correction: Correction = correction
        self.small_reference = small_reference
        self.max_codes = max_codes
        self.seed = int(seed)
        self._choices: dict[str, Choice] | None = None
        self._detectors: dict[_Test, BatchDetector] = {}

    # -- the contract ------------------------------------------------------------------------

    @property
    def features(self) -> tuple[str, ...]:
        return tuple(self._fitted())

    @property
    def choices(self) -> dict[str, Choice]:
        """The test chosen per feature at ``fit`` (a copy)."""
        return dict(self._fitted())

    def _fitted(self) -> dict[str, Choice]:
        if self._choices is None:
            raise NotFittedError(f"{type(self).__name__}.score called before fit")
        return self._choices

    def _new_detector(self, test: _Test, n_features: int) -> BatchDetector:
        """The chosen test with its own defaults, uncorrected (the correction is done here
        across every feature); a distance draws enough null samples for the corrected level
        (``ceil(10 n_features / alpha)``, at least ten draws beyond a Bonferroni quantile)."""
        if test == "ks":
            return KSDetector(alpha=self.alpha, correction="none")
        if test == "chi2":
            return Chi2Detector(alpha=self.alpha, correction="none", seed=self.seed)
        draws = max(DEFAULT_N_BOOTSTRAP, math.ceil(10 * n_features / self.alpha))
        if test == "wasserstein":
            return WassersteinDetector(alpha=self.alpha, seed=self.seed, n_permutations=draws)
        return JensenShannonDetector(alpha=self.alpha, seed=self.seed, n_bootstrap=draws)

    def fit(self, reference: FrameLike) -> Self:
        columns = as_columns(reference, what="reference", same_length=False)
        if not columns:
            raise ValidationError("reference has no features", field="reference")
        choices: dict[str, Choice] = {}
        groups: dict[_Test, Columns] = {}
        for feature, values in columns.items():
            kind = feature_kind(values)
            if kind is FeatureKind.NUMERIC:
                clean = numeric_values(feature, values, self.name)
                choice = choose_test(kind, int(clean.size), int(np.unique(clean).size),
                                     small_reference=self.small_reference,
                                     max_codes=self.max_codes)
                column: npt.NDArray[Any] = code_labels(clean) if choice.as_codes else values
            else:
                present = int(category_labels(values).size)
                choice = choose_test(kind, present, 0, small_reference=self.small_reference)
                column = values
            choices[feature] = choice
            groups.setdefault(choice.test, {})[feature] = column
        detectors = {test: self._new_detector(test, len(columns)).fit(groups[test])
                     for test in _TESTS if test in groups}
        self._choices, self._detectors = choices, detectors
        return self

    def score(self, window: FrameLike) -> DriftResult:
        choices = self._fitted()
        columns = as_columns(window, what="window", same_length=False)
        missing = [name for name in choices if name not in columns]
        if missing:
            raise ValidationError(f"window lacks fitted feature(s) {missing}", field=missing[0])
        groups: dict[_Test, Columns] = {}
        for feature, choice in choices.items():
            values = columns[feature]
            if choice.as_codes:
                values = code_labels(numeric_values(feature, values, self.name))
            elif choice.test == "jensen_shannon":  # chi2 checks its own; JS would bin numbers
                values = categorical_values(feature, values, self.name)
            groups.setdefault(choice.test, {})[feature] = values
        raw: dict[str, FeatureResult] = {}
        for test, detector in self._detectors.items():
            for result in detector.score(groups[test]).features:
                raw[result.feature] = result
        return self._summarize([raw[f] for f in choices])

    # -- the verdict -------------------------------------------------------------------------

    def _summarize(self, results: list[FeatureResult]) -> DriftResult:
        tested = {r.feature: r.p_value for r in results
                  if r.status is not Status.INSUFFICIENT_DATA and r.p_value is not None}
        corrected = correct_p_values(list(tested.values()), self.correction)
        adjusted = dict(zip(tested, corrected.tolist(), strict=True))
        return summarize(self.name, self.alpha,
                         [self._feature_result(r, adjusted.get(r.feature)) for r in results])

    def _feature_result(self, result: FeatureResult, p_value: float | None) -> FeatureResult:
        """The chosen test's result with the corrected p-value and the verdict on it."""
        choice = self._fitted()[result.feature]
        details: dict[str, Any] = {k: v for k, v in result.details.items()
                                   if k not in _LEVEL_DETAILS}
        details.update(rule=choice.rule, reason=choice.reason)
        if p_value is None:  # insufficient data: nothing was tested
            return replace(result, test=choice.test, details=details)
        detector = self._detectors[choice.test]
        if isinstance(detector, (KSDetector, Chi2Detector)):
            large, threshold = result.effect_size >= detector.min_effect_size, self.alpha
        else:
            threshold = float(getattr(detector, "threshold", 0.0))
            large = result.statistic > threshold
        details.update(p_value_raw=result.p_value, correction=self.correction)
        drifted = p_value < self.alpha and large
        return replace(result, test=choice.test, p_value=p_value, threshold=threshold,
                       status=Status.DRIFT if drifted else Status.NO_DRIFT, details=details)
