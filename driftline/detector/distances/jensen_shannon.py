"""Jensen-Shannon distance, natural log.

Thresholds, binning and the calibrated verdict: see ``driftline.detector.distances``.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from driftline.detector._base import register_detector
from driftline.detector.distances._base import BinnedDistanceDetector, FloatArray

__all__ = ["JensenShannonDetector"]


@register_detector("jensen_shannon")
class JensenShannonDetector(BinnedDistanceDetector):
    """Jensen-Shannon distance with the natural log (in [0, sqrt(ln 2)] = [0, 0.833]):
    ``sqrt((KL(p || m) + KL(q || m)) / 2)``, ``m = (p + q) / 2``; equals
    ``scipy.spatial.distance.jensenshannon(p, q)`` (its default base e) and Evidently's value.
    The base-2 distance is ``1 / sqrt(ln 2)``, about 1.2 times, larger. Practical threshold
    0.1 (Evidently's). Settings: ``BinnedDistanceDetector``."""

    default_threshold: ClassVar[float] = 0.1

    def _distances(self, p: FloatArray, q: FloatArray) -> FloatArray:
        m = (p + q) / 2.0
        with np.errstate(divide="ignore", invalid="ignore"):
            kl_p = np.where(p > 0, p * np.log(p / m), 0.0)
            kl_q = np.where(q > 0, q * np.log(q / m), 0.0)
        divergence = np.maximum(np.sum(kl_p + kl_q, axis=-1) / 2.0, 0.0)
        return np.asarray(np.sqrt(divergence), dtype=np.float64)
