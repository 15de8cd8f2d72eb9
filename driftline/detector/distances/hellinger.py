"""Hellinger distance.

Thresholds, binning and the calibrated verdict: see ``driftline.detector.distances``.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from driftline.detector._base import register_detector
from driftline.detector.distances._base import BinnedDistanceDetector, FloatArray

__all__ = ["HellingerDetector"]


@register_detector("hellinger")
class HellingerDetector(BinnedDistanceDetector):
    """Hellinger distance ``||sqrt(p) - sqrt(q)||_2 / sqrt(2)`` (in [0, 1]); practical
    threshold 0.1 (Evidently's). Settings: ``BinnedDistanceDetector``."""

    default_threshold: ClassVar[float] = 0.1

    def _distances(self, p: FloatArray, q: FloatArray) -> FloatArray:
        squared = np.sum((np.sqrt(p) - np.sqrt(q)) ** 2, axis=-1) / 2.0
        return np.asarray(np.sqrt(squared), dtype=np.float64)
