"""L-infinity distance of proportions.

Thresholds and binning: see ``driftline.detector.distances``.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from driftline.detector._base import register_detector
from driftline.detector.distances._base import BinnedDistanceDetector, FloatArray

__all__ = ["LInfinityDetector"]


@register_detector("linf")
class LInfinityDetector(BinnedDistanceDetector):
    """L-infinity distance: the largest absolute difference of bin (category) proportions."""

    default_threshold: ClassVar[float] = 0.3

    def _distance(self, p: FloatArray, q: FloatArray) -> float:
        return float(np.max(np.abs(p - q)))
