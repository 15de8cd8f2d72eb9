"""Distance detectors: a distance between reference and window distributions, with a verdict
calibrated for the sample sizes.

The distance is the effect size (``FeatureResult.statistic`` and ``effect_size``). A feature
drifts iff both sides have at least ``min_samples`` non-missing values and its distance is
above the *applied* threshold, the larger of

* the practical threshold (``threshold``; defaults below): the smallest distance that matters,
  which alone decides with large samples (a tiny but significant shift of 10^6 rows is not
  drift), and
* the null quantile: the distance that no drift exceeds with probability ``alpha /
  n_features`` at the current sample sizes (Bonferroni across features; ``alpha`` default
  0.05). A distance's null value shrinks like ``1 / sqrt(n)``, so fixed thresholds alone
  false-alarm on small windows (Evidently applies them only above 1,000 reference rows);
  with it the family-wise false-alarm rate is at most ``alpha`` at every size.

``FeatureResult.threshold`` is the applied threshold; ``details`` say which applied
(``threshold_source``: ``"practical"`` or ``"null_quantile"``) and give
``practical_threshold``, ``null_quantile``, ``null_level`` (``1 - alpha / n_features``),
``n_bootstrap`` and ``null_window_size``. ``p_value`` is the share of null draws at least the
observed distance, ``(k + 1) / (B + 1)`` (not corrected for the number of features), so a
reader sees borderline verdicts.

==================  =========  ==============================================================
name                threshold  source
==================  =========  ==============================================================
``psi``             0.2        Evidently's default (the classic rule: 0.1 moderate, 0.25 major)
``jensen_shannon``  0.1        Evidently's default; natural-log *distance* (sqrt of divergence)
``hellinger``       0.1        Evidently's default for its Hellinger distance
``linf``            0.3        Vertex AI Model Monitoring's default for categorical features
``wasserstein``     0.1        Evidently's default; W1 divided by the reference std
==================  =========  ==============================================================

Wasserstein is the exception: it works on raw values, and its null is an exact permutation
test of the pooled values (``WassersteinDetector``); ``threshold`` is the practical one and
``p_value`` must be at most ``alpha / n_features``. For the binned distances:

The null, simulated from the reference only (so ``score_counts`` needs nothing but counts):
``B = max(n_bootstrap, ceil(10 n_features / alpha))`` draws (``n_bootstrap`` default 1000),
seeded by ``seed`` (default 0), the null quantile their ``ceil((B + 1) level)``-th smallest.
The window size is rounded *down* to the grid ``floor(2 ** (k / 4))`` and the draws cached
per feature and grid size: windows of similar size share them, and a smaller size has the
wider null (conservative). Once cached, a verdict costs a binary search.

* binned distances: the reference proportions stay as observed and the window is a
  multinomial sample from proportions drawn from ``Dirichlet(reference counts)`` (the Polya
  urn that continues the reference). For a continuous feature cut at reference quantiles
  this is the exact null (the probabilities between reference order statistics are
  Dirichlet); two independent multinomial samples from the reference proportions are too
  liberal (7-8% at 5% for 100 rows a side). An end bin the reference left empty (tied
  values: the top quantile is the maximum) keeps weight 1, the mass beyond a sample's extreme
  (without it, Poisson counts at 20 reference rows false-alarmed in 12-14%). A categorical
  feature adds an "unseen" category
  whose weight bounds the mass of categories the reference has not seen
  (``unseen_concentration``): with rare levels, a point estimate of it false-alarms in 10-20%
  of small windows, the bound stays within alpha (conservative there).

``min_samples`` defaults to 10 per side (``default_min_samples``): a window entirely outside
the reference is flagged from 5-6 rows a side with one feature; at 10 it is flagged with
``p ~ 0.001`` for every distance, numeric or categorical. Below it the status is
``insufficient_data``, never an exception.

Binning is fixed at ``fit`` from the reference, so a SQL engine can count a window without
pulling raw rows and call ``score_counts``:

* numeric feature: ``bin_edges[feature]`` are the distinct reference quantiles at
  ``1/n_bins, ..., (n_bins-1)/n_bins`` (numpy's default linear interpolation); a value ``x``
  goes to bin ``i = #{edges <= x}`` = ``np.searchsorted(edges, x, side="right")``, so there are
  ``len(edges) + 1`` bins, the first open to -inf and the last to +inf. NaN is dropped.
* categorical feature (strings, by ingest's rule ``driftline.feature_kinds``: numbers and
  bools are numeric): ``categories[feature]`` are the sorted reference categories (values
  compared as strings); bin ``i`` is ``categories[i]`` and one last bin counts categories
  unseen in the reference. Missing values are dropped.

Inputs go through the one adapter (``driftline.detector._frames``): a mapping of columns, a
pandas / polars DataFrame, a pyarrow Table...

Only PSI needs smoothing (a log of proportions): proportions that are exactly 0 on either side
are replaced by ``epsilon`` (default 1e-4, Evidently's value). The other distances are finite
on empty bins and use raw proportions. Wasserstein works on raw values only.
"""

# one detector per module; the binning they share is in _base

from __future__ import annotations

from driftline.detector.distances._base import (
    BinnedDistanceDetector,
    DistanceDetector,
    is_categorical,
    null_window_size,
    unseen_concentration,
)
from driftline.detector.distances.hellinger import HellingerDetector
from driftline.detector.distances.jensen_shannon import JensenShannonDetector
from driftline.detector.distances.linf import LInfinityDetector
from driftline.detector.distances.psi import PSIDetector
from driftline.detector.distances.wasserstein import WassersteinDetector

__all__ = [
    "BinnedDistanceDetector",
    "DistanceDetector",
    "HellingerDetector",
    "JensenShannonDetector",
    "LInfinityDetector",
    "PSIDetector",
    "WassersteinDetector",
    "is_categorical",
    "null_window_size",
    "unseen_concentration",
]
