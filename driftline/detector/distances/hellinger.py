"""Hellinger distance.

Thresholds and binning: see ``driftline.detector.distances``.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from driftline.detector._base import register_detector
from driftline.detector.distances._base import BinnedDistanceDetector, FloatArray

__all__ = ["HellingerDetector"]


@register_detector("hellinger")
class HellingerDetector(BinnedDistanceDetector):
    """Hellinger distance ``||sqrt(p) - sqrt(q)||_2 / sqrt(2)`` (in [0, 1])."""

    default_threshold: ClassVar[float] = 0.1

    def _distance(self, p: FloatArray, q: FloatArray) -> float:
        return float(np.sqrt(np.sum((np.sqrt(p) - np.sqrt(q)) ** 2) / 2.0))
