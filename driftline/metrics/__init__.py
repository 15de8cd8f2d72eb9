"""Model-performance metrics with confidence intervals: numpy only, weighted, so a bootstrap
is a matrix of resampling weights and one pass per metric (``driftline.metrics.bootstrap``).

``classification_metrics`` and ``regression_metrics`` give each metric's value; ``interval``
its percentile-bootstrap interval. Checked against scikit-learn in the tests.
"""

from __future__ import annotations

from driftline.metrics.bootstrap import Estimate, bootstrap_weights, estimate
from driftline.metrics.classification import (
    CLASSIFICATION_METRICS,
    ClassificationData,
    classification_metrics,
)
from driftline.metrics.regression import REGRESSION_METRICS, RegressionData, regression_metrics

__all__ = ["CLASSIFICATION_METRICS", "REGRESSION_METRICS", "ClassificationData", "Estimate",
           "RegressionData", "bootstrap_weights", "classification_metrics", "estimate",
           "regression_metrics"]
