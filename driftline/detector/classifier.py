"""Domain-classifier drift test: can a classifier tell the window's rows from the reference's?

The test of alibi-detect's ``ClassifierDrift``, NannyML's domain classifier and Evidently's
``DomainClassifier``: label the reference rows 0 and the window rows 1, train scikit-learn's
``HistGradientBoostingClassifier`` on part of the pooled sample and measure, on rows it did
not see, how well it ranks window rows above reference rows (the AUC). Without drift no
classifier beats a coin (AUC 0.5); a shift in any feature, or in how features go together
(a correlation-only shift, to which every per-feature test is blind), lets it do better::

    detector = ClassifierDetector().fit(reference)   # pandas / polars / pyarrow / mapping
    result = detector.score(window)
    result.details["auc"], result.details["importances"]   # which features separate them

Features. Numeric ones (numbers, bools as 0/1) are used as they are, missing values (NaN /
None) and infinities included: the trees split on them natively. Categorical ones (strings)
use the classifier's native categorical splits on ordinal codes; a missing value is NaN
(its own branch). Codes are assigned on the pooled sample of the window being tested, by
decreasing pooled count then name, so a category the reference never had (unseen) gets a code
of its own like any other; beyond 255 categories the rarest pooled ones share one code (the
classifier's limit). A category is only learnt from about 10 training rows of it (scikit-
learn's least support for a categorical split): many window-only categories of a row or two
each go unnoticed here (``chi2`` counts them). Codes are not taken from the reference alone
on purpose: "seen in the reference" is a property of the side a row came from, and an
encoding that folds every unseen category into one shared code leaks the label (a high-
cardinality feature with no drift at all has many window-only categories, all in the one
"unseen" code that no reference row can have, so the classifier separates the sides and the
test cries wolf; the test module has the case).
A code that depends only on the pooled multiset of values keeps the no-drift case
exchangeable, which is what the p-value below rests on.

The null: why not the Mann-Whitney p-value of k-fold out-of-fold scores. In stratified
k-fold cross-validation each fold's scores come from a classifier trained on the other folds'
labels, so the folds' AUCs are positively correlated (a chance cluster of window rows in the
pooled sample is learnt by every fold's classifier and then found in every fold), and the
out-of-fold AUC varies more than the Mann-Whitney null says. Measured here (HistGradient-
Boosting, 5 folds, alpha 0.05, no drift, 5 standard-normal features): 8.7% false alarms at
100 rows a side (400 seeds), 7.7% at 20 a side. That p-value is not calibrated, and a
permutation null that refits the classifier for every relabelling costs ``B * k`` fits (500
for B = 100). Bounding the folds' correlation by 1 (Stouffer's z of the folds against
N(0, 1)) is valid but nearly powerless (2% power against 22% for the scheme below, on a 0.4
sd mean shift of one of 5 features at 100 rows a side).

The null used: forward-chaining folds. The pooled sample is split into ``n_folds`` blocks,
stratified (each block holds ``1 / n_folds`` of each side, rows drawn at random with
``seed``). The classifier for block ``k`` (``k = 2 .. n_folds``) is trained on blocks ``1 ..
k-1`` only and scores block ``k``. Under no drift (the pooled rows exchangeable) the labels
inside block ``k`` are, given everything in blocks ``1 .. k-1`` and the block's own values, a
uniformly random assignment, so block ``k``'s Mann-Whitney U has exactly its null
distribution (ties included, with the usual tie-corrected variance) whatever the classifier
learnt, and it stays so given the earlier blocks' U: the standardized ``z_k`` are a sequence
of martingale differences of variance 1, uncorrelated. Stouffer's combination with weights
fixed by the design, ``Z = sum_k w_k z_k / sqrt(sum_k w_k^2)``, ``w_k = sqrt(n_k m_k)``
(the block's pairs), with one continuity correction, is then N(0, 1) up to the normal
approximation of U, and ``p_value = P(N(0, 1) >= Z)`` (one-sided: only a classifier better
than chance is evidence). A block whose scores are all tied has ``z_k = 0``. With the default
5 folds it costs 4 fits on 1/5 .. 4/5 of the data, half the work of 5-fold cross-validation,
and tests 4/5 of the rows.

Measured false alarms of this detector (defaults, no effect floor, alpha 0.05, no drift;
the number of seeds in brackets; the 99.9% binomial bound for 400 seeds is 8.3%):

=============================================  ============  ==========
data (rows reference : window)                  rate at 5%    rate at 1%
=============================================  ============  ==========
5 normal features, 20 : 20                      5.4% (2000)   1.1%
5 normal features, 100 : 100                    4.5% (400)    0.7%
5 normal features, 1,000 : 100                  5.0% (200)    0.0%
5 normal features, 5,000 : 5,000                5.0% (40)     0.0%
5 Poisson(1) features (ties), 200 : 200         5.2% (1000)   1.4%
5 Cauchy features, 100 : 1,000                  4.5% (200)    1.0%
mixed, 300 : 300                                4.0% (300)    0.7%
mixed, 2,000 : 2,000                            1.7% (60)     0.0%
=============================================  ============  ==========

"mixed": two categorical features with rare levels and 10% missing, an id-like categorical
(most window values unseen in the reference) and a numeric one with 20% missing. The slow
tests of ``tests/detector/test_classifier.py`` repeat smaller runs of these.

Statistic and effect: ``auc`` is the AUC over the tested blocks' pairs, ``sum_k U_k / sum_k
n_k m_k`` (each block scored by a classifier that never saw it), ``effect_size = auc - 0.5``.
Drift needs ``p_value < alpha`` and ``effect_size >= min_effect_size``. The floor 0.05 (AUC
0.55) is the AUC of the best classifier for a 0.18 standard-deviation mean shift of one
Gaussian feature (``Phi(0.18 / sqrt(2)) = 0.55``), about Cohen's "small" 0.2; the classifiers
trained on the early blocks see fewer rows, so the AUC measured here is a little below what a
classifier trained on every row would reach.

Importances (``details["importances"]``, largest first): for each feature, the drop of the
AUC when that feature's column is permuted (seeded) inside each tested block, the block's
classifier unchanged: "which features separate the windows". Features with a drop <= 0 do
not help the classifier.

Sizes. At most ``max_samples`` rows a side (default 5,000, the sample cap of every
multivariate test) are used, larger inputs subsampled with ``seed``. Fewer than
``min_samples`` rows on either side (default ``2 * n_folds``: two rows of each side in every
block, the least at which the one-sided p-value can fall below 0.05) give the status
``insufficient_data``, never an exception; so does a design under which no labelling could
give ``p_value < alpha``. Time: a few seconds for 5,000 rows a side and 20 features
(``benchmarks/bench_classifier.py``: 2.4x faster than alibi-detect's ``ClassifierDrift`` with
the same classifier and 5 folds; the classifiers stop early on windows without drift).

scikit-learn (``pip install 'driftline[server]'``) is imported by this module only when a
classifier is fitted, so importing it stays light; without scikit-learn, making the detector
raises ``ConfigurationError``. Every random choice (subsamples, blocks, the classifiers' own
validation splits, the importance permutations) derives from ``seed``: the same window gets
the same result.
"""

from __future__ import annotations

import importlib.util
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Self

import numpy as np
import numpy.typing as npt
from scipy import special, stats

from driftline.detector._base import BatchDetector, register_detector
from driftline.detector._capabilities import Capabilities
from driftline.detector._frames import Columns, FrameLike, as_columns, feature_kind
from driftline.detector._kernels import DEFAULT_MAX_SAMPLES
from driftline.detector._result import DriftResult, Status
from driftline.errors import ConfigurationError, NotFittedError, ValidationError
from driftline.feature_kinds import FeatureKind

__all__ = [
    "DEFAULT_MIN_EFFECT_SIZE",
    "MAX_CATEGORIES",
    "AUCTest",
    "ClassifierDetector",
    "category_codes",
    "forward_auc_test",
    "stratified_blocks",
]

#: the AUC floor above 0.5: AUC 0.55, a 0.18 sd mean shift of one Gaussian feature
DEFAULT_MIN_EFFECT_SIZE = 0.05
#: categories per feature the classifier's native categorical splits take (its ``max_bins``)
MAX_CATEGORIES = 255

_FloatArray = npt.NDArray[np.float64]
_IntArray = npt.NDArray[np.int64]


# -- the test on scores ----------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class AUCTest:
    """The combined Mann-Whitney test of the tested blocks' scores (``forward_auc_test``)."""

    auc: float
    z: float
    p_value: float
    block_aucs: tuple[float, ...]


def _mann_whitney(window: _FloatArray, reference: _FloatArray) -> tuple[float, float, float]:
    """``U`` of window scores above reference scores (ties count 1/2), its null mean and its
    tie-corrected null variance."""
    m, n = len(window), len(reference)
    pooled = np.concatenate([window, reference])
    ranks = stats.rankdata(pooled)
    u = float(ranks[:m].sum()) - m * (m + 1) / 2.0
    total = m + n
    _, ties = np.unique(pooled, return_counts=True)
    tie_term = float((ties.astype(np.float64) ** 3 - ties).sum()) / (total * (total - 1))
    variance = m * n / 12.0 * ((total + 1) - tie_term)
    return u, m * n / 2.0, max(variance, 0.0)


def forward_auc_test(blocks: Sequence[tuple[npt.ArrayLike, npt.ArrayLike]], *,
                     continuity: bool = True) -> AUCTest:
    """Stouffer's combination of one-sided Mann-Whitney tests, one per block.

    ``blocks``: per tested block, ``(window_scores, reference_scores)``. Each block's U
    (window scores above reference scores, ties 1/2) is standardized by its exact null mean
    and tie-corrected variance, ``z_k = (U_k - n_k m_k / 2) / sd_k`` (0 when every score of
    the block is tied), and ``Z = (sum_k w_k z_k - c) / sqrt(sum_k w_k^2)`` with the design
    weights ``w_k = sqrt(n_k m_k)`` and the continuity correction ``c = min_k w_k / (2 sd_k)``
    (half the smallest lattice step of the sum; ``continuity=False``: ``c = 0``). With one
    block this is scipy's ``mannwhitneyu(window, reference, alternative="greater",
    method="asymptotic")``. ``p_value = P(N(0, 1) >= Z)``; ``auc = sum_k U_k / sum_k n_k m_k``.

    Valid when the blocks' z are martingale differences under the null, as for the forward-
    chaining folds of ``ClassifierDetector`` (the module docstring has the argument and the
    measured false-alarm rates). Not valid for the blocks of ordinary k-fold cross-validation,
    whose scores come from classifiers that saw the other blocks' labels.
    """
    weighted = weights2 = 0.0
    correction = math.inf
    u_sum = pairs = 0.0
    aucs: list[float] = []
    for window, reference in blocks:
        w_scores = np.asarray(window, dtype=np.float64)
        r_scores = np.asarray(reference, dtype=np.float64)
        if len(w_scores) == 0 or len(r_scores) == 0:
            raise ValidationError("every block needs window and reference scores",
                                  field="blocks")
        u, mean, variance = _mann_whitney(w_scores, r_scores)
        n_pairs = float(len(w_scores) * len(r_scores))
        weight = math.sqrt(n_pairs)
        weights2 += n_pairs
        u_sum += u
        pairs += n_pairs
        aucs.append(u / n_pairs)
        if variance > 0.0:
            sd = math.sqrt(variance)
            weighted += weight * (u - mean) / sd
            correction = min(correction, weight / (2.0 * sd))
    if not aucs:
        raise ValidationError("no block to test", field="blocks")
    if math.isinf(correction):  # every block's scores tied: no evidence at all
        return AUCTest(u_sum / pairs, 0.0, 1.0, tuple(aucs))
    z = (weighted - (correction if continuity else 0.0)) / math.sqrt(weights2)
    p_value = float(special.ndtr(-z))
    return AUCTest(u_sum / pairs, z, p_value, tuple(aucs))


def _best_z(sizes: Sequence[tuple[int, int]]) -> float:
    """The largest ``Z`` of ``forward_auc_test`` any scoring could reach (every window score
    above every reference score, no ties)."""
    best = [(np.full(m, 1.0), np.zeros(n)) for m, n in sizes]
    return forward_auc_test(best).z


# -- the design --------------------------------------------------------------------------------
def stratified_blocks(labels: npt.ArrayLike, n_blocks: int, seed: int | Sequence[int]
                      ) -> _IntArray:
    """A block number ``0 .. n_blocks-1`` per row: each label's rows in random order (seeded)
    split into ``n_blocks`` parts whose sizes differ by at most one."""
    y = np.asarray(labels)
    rng = np.random.default_rng(seed)
    out = np.empty(len(y), dtype=np.int64)
    for value in np.unique(y):
        rows = np.flatnonzero(y == value)
        rows = rows[rng.permutation(len(rows))]
        for block, part in enumerate(np.array_split(rows, n_blocks)):
            out[part] = block
    return out


def category_codes(values: npt.ArrayLike, *, max_categories: int = MAX_CATEGORIES
                   ) -> _FloatArray:
    """Ordinal codes of a categorical column for the classifier: NaN for a missing value
    (None / NaN), else the rank of the category by decreasing count then name (``str``);
    beyond ``max_categories`` categories the rarest share the last code. A function of the
    multiset of values only, so applied to the pooled sample it cannot tell the sides apart.
    """
    arr = np.asarray(values, dtype=object)
    present = np.array([not _is_missing(v) for v in arr.tolist()], dtype=bool)
    codes = np.full(len(arr), np.nan)
    if not present.any():
        return codes
    names = np.array([str(v) for v in arr[present].tolist()], dtype=object)
    categories, inverse, counts = np.unique(names, return_inverse=True, return_counts=True)
    order = sorted(range(len(categories)), key=lambda i: (-int(counts[i]), str(categories[i])))
    rank = np.empty(len(categories), dtype=np.float64)
    rank[order] = np.arange(len(categories), dtype=np.float64)
    codes[present] = np.minimum(rank[inverse], max_categories - 1)
    return codes


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _is_number(value: object) -> bool:
    if isinstance(value, str | bytes):
        return False
    try:
        float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    return True


def _numeric(feature: str, values: npt.NDArray[Any]) -> _FloatArray:
    """A numeric column as float64, missing values NaN (kept in place)."""
    if feature_kind(values) is FeatureKind.CATEGORICAL:
        raise ValidationError(f"feature {feature!r} is numeric in the reference but holds "
                              "strings here", field=feature)
    if values.dtype == object:
        bad = [v for v in values.tolist() if not _is_missing(v) and not _is_number(v)]
        if bad:
            raise ValidationError(f"feature {feature!r} must be numeric: found {bad[0]!r}",
                                  field=feature)
        return np.array([np.nan if v is None else float(v) for v in values.tolist()],
                        dtype=np.float64)
    try:
        return values.astype(np.float64)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"feature {feature!r} must be numeric: {exc}",
                              field=feature) from None


def _categorical(feature: str, values: npt.NDArray[Any]) -> npt.NDArray[Any]:
    if feature_kind(values) is FeatureKind.NUMERIC:
        raise ValidationError(f"feature {feature!r} is categorical in the reference but holds "
                              "numbers here", field=feature)
    return values.astype(object)


def _rows(n_rows: int, max_rows: int, seed: Sequence[int]) -> _IntArray | None:
    """Rows of a seeded subsample (in their order), or None when all rows are kept."""
    if n_rows <= max_rows:
        return None
    keep = np.random.default_rng(list(seed)).choice(n_rows, max_rows, replace=False)
    return np.sort(keep).astype(np.int64)


def _random_state(seed: int, *path: int) -> int:
    """A scikit-learn ``random_state`` (uint32) derived from ``seed`` and a path."""
    return int(np.random.SeedSequence([seed, *path]).generate_state(1)[0])


def _sklearn_available() -> bool:
    try:
        return importlib.util.find_spec("sklearn") is not None
    except (ImportError, ValueError):  # hidden by an import hook, or a broken install
        return False


def _classifier_class() -> Any:
    try:
        from sklearn.ensemble import HistGradientBoostingClassifier
    except ImportError as exc:  # pragma: no cover - checked when the detector is made
        raise ConfigurationError("the 'classifier' test needs scikit-learn: "
                                 "pip install 'driftline[server]'") from exc
    return HistGradientBoostingClassifier


@dataclass(frozen=True, slots=True)
class _BlockModel:
    """One block's classifier and the columns it was trained on (``None``: no column had a
    value in the training rows, every score 0.5)."""

    model: Any
    columns: _IntArray

    @property
    def n_iter(self) -> int:
        return 0 if self.model is None else int(self.model.n_iter_)

    def scores(self, rows: _FloatArray) -> _FloatArray:
        if self.model is None:
            return np.full(len(rows), 0.5)
        proba = self.model.predict_proba(rows[:, self.columns])
        return np.asarray(proba[:, 1], dtype=np.float64)


# -- the detector ------------------------------------------------------------------------------
@register_detector("classifier")
class ClassifierDetector(BatchDetector):
    """Multivariate drift by a domain classifier's held-out AUC (module docstring).

    Settings (defaults; valid range): ``alpha`` significance level (0.05; (0, 1));
    ``n_folds`` forward-chaining blocks (5; >= 2: ``n_folds - 1`` classifiers, the first block
    only trains); ``min_effect_size`` smallest ``auc - 0.5`` reported as drift (0.05, i.e. AUC
    0.55; [0, 0.5)); ``min_samples`` rows per side below which the status is
    ``insufficient_data`` (``None``: ``2 * n_folds``; >= ``n_folds``); ``max_samples`` rows per
    side, larger inputs subsampled (5,000; >= ``min_samples``); the classifier's ``max_iter``
    boosting rounds (100), ``learning_rate`` (0.1), ``max_leaf_nodes`` (31) and
    ``early_stopping`` (True: stop when the loss on 10% of the training rows has not improved
    for 10 rounds, used from 20 rows of each side in training; stops early on no-drift
    windows, which are the common case); ``min_samples_leaf`` (``None``: scikit-learn's 20,
    lowered to a tenth of the training rows, at least 2, for small samples so that a tree can
    split at all); ``importances`` compute the permutation importances (True); ``seed`` of
    every random choice (0).
    """

    #: all features at once, from a sample of at most ``max_samples`` rows per side
    capabilities: ClassVar[Capabilities] = Capabilities(
        frozenset({"numeric", "categorical"}), multivariate=True,
        sample_cap=DEFAULT_MAX_SAMPLES)

    def __init__(
        self,
        *,
        alpha: float = 0.05,
        n_folds: int = 5,
        min_effect_size: float = DEFAULT_MIN_EFFECT_SIZE,
        min_samples: int | None = None,
        max_samples: int = DEFAULT_MAX_SAMPLES,
        max_iter: int = 100,
        learning_rate: float = 0.1,
        max_leaf_nodes: int = 31,
        early_stopping: bool = True,
        min_samples_leaf: int | None = None,
        importances: bool = True,
        seed: int = 0,
    ) -> None:
        if not 0.0 < alpha < 1.0:
            raise ConfigurationError(f"alpha must be in (0, 1), got {alpha!r}")
        if isinstance(n_folds, bool) or not isinstance(n_folds, int) or n_folds < 2:
            raise ConfigurationError(f"n_folds must be an integer >= 2, got {n_folds!r}")
        if not 0.0 <= min_effect_size < 0.5:
            raise ConfigurationError(
                f"min_effect_size (AUC - 0.5) must be in [0, 0.5), got {min_effect_size!r}")
        floor = 2 * n_folds if min_samples is None else min_samples
        if floor < n_folds or max_samples < floor:
            raise ConfigurationError(
                f"need n_folds <= min_samples <= max_samples, got {n_folds!r}, {floor!r}, "
                f"{max_samples!r}")
        if max_iter < 1 or not learning_rate > 0.0 or max_leaf_nodes < 2:
            raise ConfigurationError("need max_iter >= 1, learning_rate > 0, max_leaf_nodes >= 2")
        if min_samples_leaf is not None and min_samples_leaf < 1:
            raise ConfigurationError(f"min_samples_leaf must be >= 1, got {min_samples_leaf!r}")
        if not 0 <= seed < 2**63:
            raise ConfigurationError(f"seed must be a non-negative integer, got {seed!r}")
        if not _sklearn_available():
            raise ConfigurationError("the 'classifier' test needs scikit-learn: "
                                     "pip install 'driftline[server]'")
        self.alpha = alpha
        self.n_folds = n_folds
        self.min_effect_size = min_effect_size
        self.min_samples = floor
        self.max_samples = max_samples
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.early_stopping = early_stopping
        self.min_samples_leaf = min_samples_leaf
        self.importances = importances
        self.seed = seed
        self._kinds: dict[str, FeatureKind | None] | None = None
        self._reference: Columns = {}
        self._n_reference = 0
        self._n_reference_input = 0

    @property
    def sample_cap(self) -> int:
        """``max_samples``: rows per side beyond which the input is subsampled anyway."""
        return self.max_samples

    @property
    def features(self) -> tuple[str, ...]:
        return tuple(self._fitted_kinds())

    def fit(self, reference: FrameLike) -> Self:
        columns = as_columns(reference, what="reference", same_length=True)
        if not columns:
            raise ValidationError("reference has no features", field="reference")
        n_rows = len(next(iter(columns.values())))
        keep = _rows(n_rows, self.max_samples, [self.seed, 0])
        kinds: dict[str, FeatureKind | None] = {}
        kept: Columns = {}
        for name, values in columns.items():
            kind = feature_kind(values)
            kinds[name] = kind
            column = values if keep is None else values[keep]
            if kind is FeatureKind.CATEGORICAL:
                column = _categorical(name, column)
            elif kind is FeatureKind.NUMERIC:
                column = _numeric(name, column)
            kept[name] = column
        self._kinds, self._reference = kinds, kept
        self._n_reference_input = n_rows
        self._n_reference = n_rows if keep is None else len(keep)
        return self

    def score(self, window: FrameLike) -> DriftResult:
        kinds = self._fitted_kinds()
        columns = as_columns(window, what="window", same_length=True)
        missing = [name for name in kinds if name not in columns]
        if missing:
            raise ValidationError(f"window lacks the fitted features {missing}",
                                  field=missing[0])
        m_input = len(columns[next(iter(kinds))])
        keep = _rows(m_input, self.max_samples, [self.seed, 1])
        n, m = self._n_reference, m_input if keep is None else len(keep)
        sizes = {"n_reference_input": self._n_reference_input, "n_window_input": m_input,
                 "n_folds": self.n_folds, "min_samples": self.min_samples}
        if min(n, m) < self.min_samples:
            return self._insufficient(n, m, {**sizes, "reason": (
                f"fewer than min_samples={self.min_samples} rows on a side")})
        x, categorical = self._design(columns, keep)
        labels = np.concatenate([np.zeros(n, dtype=np.int64), np.ones(m, dtype=np.int64)])
        blocks = stratified_blocks(labels, self.n_folds, [self.seed, 2])
        block_sizes = [(int((labels[blocks == k] == 1).sum()), int((labels[blocks == k] == 0)
                        .sum())) for k in range(1, self.n_folds)]
        if float(special.ndtr(-_best_z(block_sizes))) >= self.alpha:
            return self._insufficient(n, m, {**sizes, "reason": (
                f"no outcome of {self.n_folds} blocks of these sizes has p < {self.alpha}")})
        models, scored = self._fit_blocks(x, labels, blocks, categorical)
        test = forward_auc_test([(scores[y == 1], scores[y == 0]) for scores, y, _ in scored])
        effect = test.auc - 0.5
        drifted = test.p_value < self.alpha and effect >= self.min_effect_size
        details: dict[str, Any] = {
            "auc": test.auc, "z": test.z, "block_aucs": test.block_aucs,
            "null": "forward_chaining_mann_whitney", **sizes,
            "n_tested_reference": sum(b[1] for b in block_sizes),
            "n_tested_window": sum(b[0] for b in block_sizes),
            "n_iter": tuple(model.n_iter for model in models),
        }
        if self.importances:
            details["importances"] = self._importances(models, scored, test.auc)
        return DriftResult(self.name, test.auc, test.p_value, self.alpha, effect,
                           Status.DRIFT if drifted else Status.NO_DRIFT, n, m,
                           details=details)

    # -- internals ----------------------------------------------------------------------------
    def _fitted_kinds(self) -> dict[str, FeatureKind | None]:
        if self._kinds is None:
            raise NotFittedError(f"{type(self).__name__}.fit must be called before score")
        return self._kinds

    def _insufficient(self, n: int, m: int, details: Mapping[str, Any]) -> DriftResult:
        nan = float("nan")
        return DriftResult(self.name, nan, None, self.alpha, nan, Status.INSUFFICIENT_DATA,
                           n, m, details=dict(details))

    def _design(self, columns: Columns, keep: _IntArray | None
                ) -> tuple[_FloatArray, list[bool]]:
        """The pooled ``(n + m, d)`` matrix (reference rows first) and the categorical mask."""
        kinds = self._fitted_kinds()
        out: list[_FloatArray] = []
        categorical: list[bool] = []
        for name, kind in kinds.items():
            window = columns[name] if keep is None else columns[name][keep]
            reference = self._reference[name]
            if kind is None:  # no value in the reference: the window decides
                kind = feature_kind(window) or FeatureKind.NUMERIC
            if kind is FeatureKind.CATEGORICAL:
                pooled = np.concatenate([_categorical(name, reference),
                                         _categorical(name, window)])
                out.append(category_codes(pooled))
                categorical.append(True)
            else:
                out.append(np.concatenate([_numeric(name, reference), _numeric(name, window)]))
                categorical.append(False)
        return np.column_stack(out), categorical

    def _classifier(self, labels: _IntArray, categorical: list[bool], block: int) -> Any:
        n_train = len(labels)
        minority = int(min((labels == 0).sum(), (labels == 1).sum()))
        leaf = self.min_samples_leaf
        if leaf is None:
            leaf = min(20, max(2, n_train // 10))
        return _classifier_class()(
            max_iter=self.max_iter, learning_rate=self.learning_rate,
            max_leaf_nodes=self.max_leaf_nodes, min_samples_leaf=leaf,
            early_stopping=self.early_stopping and minority >= 20,
            categorical_features=categorical if any(categorical) else None,
            random_state=_random_state(self.seed, 3, block))

    def _fit_blocks(self, x: _FloatArray, labels: _IntArray, blocks: _IntArray,
                    categorical: list[bool]
                    ) -> tuple[list[_BlockModel], list[tuple[_FloatArray, _IntArray, _FloatArray]]]:
        """Per tested block: the classifier trained on the blocks before it and
        ``(scores, labels, rows)`` of the block."""
        models: list[_BlockModel] = []
        scored: list[tuple[_FloatArray, _IntArray, _FloatArray]] = []
        for k in range(1, self.n_folds):
            train, test = blocks < k, blocks == k
            # a column with no value in the training rows tells nothing (and cannot be
            # binned); which columns those are depends on the training blocks only
            used = np.flatnonzero(~np.isnan(x[train]).all(axis=0))
            model = None
            if len(used):
                model = self._classifier(labels[train], [categorical[j] for j in used], k)
                model.fit(x[train][:, used], labels[train])
            block = _BlockModel(model, used)
            rows = x[test]
            models.append(block)
            scored.append((block.scores(rows), labels[test], rows))
        return models, scored

    def _importances(self, models: list[_BlockModel],
                     scored: list[tuple[_FloatArray, _IntArray, _FloatArray]],
                     auc: float) -> dict[str, float]:
        """AUC drop per feature when its column is permuted inside every tested block."""
        names = list(self._fitted_kinds())
        rng = np.random.default_rng([self.seed, 4])
        drops: dict[str, float] = {}
        for j, name in enumerate(names):
            u_sum = pairs = 0.0
            for model, (_, y, rows) in zip(models, scored, strict=True):
                shuffled = rows.copy()
                shuffled[:, j] = rows[rng.permutation(len(rows)), j]
                scores = model.scores(shuffled)
                u, _, _ = _mann_whitney(scores[y == 1], scores[y == 0])
                n_pairs = float((y == 1).sum() * (y == 0).sum())
                u_sum, pairs = u_sum + u, pairs + n_pairs
            drops[name] = auc - u_sum / pairs
        order = sorted(names, key=lambda f: (-drops[f], names.index(f)))
        return {f: drops[f] for f in order}
