"""Jensen-Shannon distance.

Thresholds and binning: see ``driftline.detector.distances``.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from driftline.detector._base import register_detector
from driftline.detector.distances._base import BinnedDistanceDetector, FloatArray

__all__ = ["JensenShannonDetector"]


@register_detector("jensen_shannon")
class JensenShannonDetector(BinnedDistanceDetector):
    """Jensen-Shannon distance, base 2 (in [0, 1]); equals ``scipy...jensenshannon(base=2)``."""

    default_threshold: ClassVar[float] = 0.1

    def _distance(self, p: FloatArray, q: FloatArray) -> float:
        m = (p + q) / 2.0
        with np.errstate(divide="ignore", invalid="ignore"):
            kl_p = np.where(p > 0, p * np.log2(p / m), 0.0)
            kl_q = np.where(q > 0, q * np.log2(q / m), 0.0)
        return float(np.sqrt(max(np.sum(kl_p + kl_q) / 2.0, 0.0)))
