"""Population stability index.

Thresholds, binning and the calibrated verdict: see ``driftline.detector.distances``.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from driftline.detector._base import register_detector
from driftline.detector.distances._base import BinnedDistanceDetector, FloatArray
from driftline.errors import ConfigurationError

__all__ = ["PSIDetector"]


@register_detector("psi")
class PSIDetector(BinnedDistanceDetector):
    """Population stability index ``sum (q - p) ln(q / p)``, zero proportions -> ``epsilon``.

    Practical threshold 0.2 (Evidently's). ``epsilon`` (default 1e-4, Evidently's value, in
    (0, 1)) replaces proportions that are exactly 0; other settings: ``BinnedDistanceDetector``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> detector = PSIDetector().fit({"x": rng.normal(size=1000)})
    >>> detector.score({"x": rng.normal(1.0, size=1000)}).drifted
    True
    """

    default_threshold: ClassVar[float] = 0.2

    def __init__(
        self,
        *,
        epsilon: float = 1e-4,
        threshold: float | None = None,
        n_bins: int = 10,
        alpha: float = 0.05,
        n_bootstrap: int = 1000,
        seed: int = 0,
        min_samples: int | None = None,
    ) -> None:
        super().__init__(threshold=threshold, n_bins=n_bins, alpha=alpha,
                         n_bootstrap=n_bootstrap, seed=seed, min_samples=min_samples)
        if not 0.0 < epsilon < 1.0:
            raise ConfigurationError(f"epsilon must be in (0, 1), got {epsilon!r}")
        self.epsilon = float(epsilon)

    def _distances(self, p: FloatArray, q: FloatArray) -> FloatArray:
        p, q = np.where(p == 0, self.epsilon, p), np.where(q == 0, self.epsilon, q)
        return np.asarray(np.sum((q - p) * np.log(q / p), axis=-1), dtype=np.float64)
