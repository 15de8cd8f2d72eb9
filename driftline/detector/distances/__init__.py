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

# one detector per module; the binning they share is in _base

from __future__ import annotations

from driftline.detector.distances._base import (
    BinnedDistanceDetector,
    DistanceDetector,
    is_categorical,
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
]
