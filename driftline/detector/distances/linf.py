"""L-infinity distance of proportions.

Thresholds, binning and the calibrated verdict: see ``driftline.detector.distances``.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from driftline.detector._base import register_detector
from driftline.detector.distances._base import BinnedDistanceDetector, FloatArray

__all__ = ["LInfinityDetector"]


@register_detector("linf")
class LInfinityDetector(BinnedDistanceDetector):
    """L-infinity distance: the largest absolute difference of bin (category) proportions;
    practical threshold 0.3 (Vertex AI's). Settings: ``BinnedDistanceDetector``."""

    default_threshold: ClassVar[float] = 0.3

    def _distances(self, p: FloatArray, q: FloatArray) -> FloatArray:
        return np.asarray(np.max(np.abs(p - q), axis=-1), dtype=np.float64)
