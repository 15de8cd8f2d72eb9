"""What a batch detector can take and how it wants its data: declared once, never probed.

Every registered detector class declares a ``Capabilities`` as the class attribute
``capabilities``; an engine asks ``detector_capabilities(name)`` (no instance needed) which
feature kinds a test takes, whether it sees all features at once and whether window counts
suffice. A detector that scores from counts also implements ``CountScorer`` (categorical
counts) or ``BinnedCountScorer`` (numeric bin counts too); ``as_count_scorer`` gives a fitted
detector typed as one, or ``None``::

    caps = detector_capabilities("psi")            # Capabilities(input_kinds=..., ...)
    scorer = as_count_scorer(detector)              # BinnedCountScorer | CountScorer | None
    if scorer is not None:
        scorer.score_counts({"carrier": [...], "dep_delay": [...]})

Registration checks the declaration (``check_capabilities``), so a new detector cannot be
half-wired: no declaration, unknown kinds, or ``scores_from_counts`` without ``CountScorer``
(or the reverse) fail when the class is registered.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np
import numpy.typing as npt

from driftline.detector._result import DriftResult
from driftline.errors import ConfigurationError

__all__ = [
    "INPUT_KINDS",
    "BinnedCountScorer",
    "Capabilities",
    "CountScorer",
    "FloatArray",
    "InputKind",
    "as_count_scorer",
    "check_capabilities",
]

#: the feature kinds a detector can take; equal to the values of ``FeatureKind`` (a StrEnum),
#: so ``FeatureKind.NUMERIC in caps.input_kinds`` holds
InputKind = Literal["numeric", "categorical"]
INPUT_KINDS: frozenset[InputKind] = frozenset(get_args(InputKind))


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a detector class takes and how it reads its data.

    ``input_kinds``: feature kinds the test takes (categorical features of a multivariate test
    are encoded). ``multivariate``: the test sees all features at once (one verdict, no
    per-feature results). ``scores_from_counts``: window counts per reference bin / category
    are enough (``CountScorer``), so no raw row needs to be read. ``sample_cap``: for tests
    that read a bounded sample, the default number of rows per side they use (their
    ``max_samples`` default; an instance's own cap is ``BatchDetector.sample_cap``); ``None``
    for tests that take whole columns.
    """

    input_kinds: frozenset[InputKind]
    multivariate: bool = False
    scores_from_counts: bool = False
    sample_cap: int | None = None

    def takes(self, kind: str) -> bool:
        """Whether a feature of ``kind`` (``"numeric"`` / ``"categorical"``) can be tested."""
        return kind in self.input_kinds


FloatArray = npt.NDArray[np.float64]


class CountScorer(abc.ABC):
    """A fitted detector that scores window counts per reference category.

    ``score_counts`` takes, per fitted feature, one count per entry of ``categories[feature]``
    (in that order) followed by the count of categories unseen in the reference. Missing
    values are counted as the category ``MISSING`` (``driftline.detector.chi2``) when
    ``counts_missing``, and dropped otherwise.
    """

    @property
    @abc.abstractmethod
    def categories(self) -> Mapping[str, tuple[str, ...]]:
        """The reference categories per categorical feature, in count order."""

    @property
    @abc.abstractmethod
    def counts_missing(self) -> bool:
        """Whether missing values are a category of their own (else they are not counted)."""

    @abc.abstractmethod
    def score_counts(self, counts: Mapping[str, npt.ArrayLike]) -> DriftResult:
        """Score the window's counts per fitted feature (layout: the class docstring)."""


class BinnedCountScorer(CountScorer):
    """A ``CountScorer`` that also takes numeric features as counts per reference bin.

    A numeric value ``x`` of ``feature`` falls in bin ``np.searchsorted(bin_edges[feature], x,
    side="right")``: ``len(edges) + 1`` bins, the first open to -inf, the last to +inf.
    """

    @property
    @abc.abstractmethod
    def bin_edges(self) -> Mapping[str, FloatArray]:
        """The reference bin edges per numeric feature."""


def as_count_scorer(detector: object) -> CountScorer | None:
    """``detector`` typed as a ``CountScorer`` when it scores from counts, else ``None``."""
    return detector if isinstance(detector, CountScorer) else None


def check_capabilities(cls: type) -> Capabilities:
    """The capabilities ``cls`` declares; ``ConfigurationError`` if missing or inconsistent."""
    caps = getattr(cls, "capabilities", None)
    name = cls.__name__
    if not isinstance(caps, Capabilities):
        raise ConfigurationError(
            f"{name} must declare `capabilities: ClassVar[Capabilities]` to be registered")
    if not caps.input_kinds or not caps.input_kinds <= INPUT_KINDS:
        raise ConfigurationError(
            f"{name}: input_kinds must be a non-empty subset of {sorted(INPUT_KINDS)}, "
            f"got {sorted(caps.input_kinds)}")
    if caps.scores_from_counts != issubclass(cls, CountScorer):
        raise ConfigurationError(
            f"{name}: scores_from_counts={caps.scores_from_counts} but it "
            f"{'does not implement' if caps.scores_from_counts else 'implements'} CountScorer")
    if caps.scores_from_counts and "numeric" in caps.input_kinds and not issubclass(
            cls, BinnedCountScorer):
        raise ConfigurationError(
            f"{name}: scores numeric features from counts, so it must be a BinnedCountScorer")
    if caps.sample_cap is not None and (caps.sample_cap < 1 or not caps.multivariate):
        raise ConfigurationError(
            f"{name}: sample_cap is for multivariate sample-based tests and must be >= 1")
    return caps
