"""KSWIN: a Kolmogorov-Smirnov test over a sliding window (wraps ``river.drift.KSWIN``)."""

from __future__ import annotations

from typing import Any, ClassVar

from river import drift

from driftline.detector.streaming._base import RiverDetector
from driftline.errors import ConfigurationError

__all__ = ["KSWIN"]


class KSWIN(RiverDetector):
    """Compares the last ``stat_size`` values with a random sample of the older window by KS.

    Parameters
    ----------
    alpha
        Significance level of each KS test. Because a test runs at every value, the default
        0.005 (river's) still gives occasional false alarms on long stationary streams; lower
        it for fewer.
    window_size
        Length of the sliding window.
    stat_size
        Length of the most recent part tested against the rest (< ``window_size``).
    seed
        Seed of the random sample of the older window; set it for reproducible detections.

    Examples
    --------
    >>> import random
    >>> rng = random.Random(12345)
    >>> detector = KSWIN(alpha=0.0001, seed=42)
    >>> stream = [rng.gauss(0, 1) for _ in range(1000)] + [rng.gauss(3, 1) for _ in range(200)]
    >>> [i for i, x in enumerate(stream) if detector.update(x).drift_detected][:1]
    [1014]
    """

    name: ClassVar[str] = "kswin"

    def __init__(
        self,
        *,
        alpha: float = 0.005,
        window_size: int = 100,
        stat_size: int = 30,
        seed: int | None = None,
    ) -> None:
        if not 0.0 < alpha < 1.0:
            raise ConfigurationError(f"alpha must be in (0, 1), got {alpha!r}")
        if not 0 < stat_size < window_size:
            raise ConfigurationError(
                f"need 0 < stat_size < window_size, got stat_size={stat_size!r}, "
                f"window_size={window_size!r}"
            )
        self.alpha, self.window_size, self.stat_size = float(alpha), window_size, stat_size
        self.seed = seed
        super().__init__()

    def _build(self) -> Any:
        return drift.KSWIN(
            alpha=self.alpha, window_size=self.window_size, stat_size=self.stat_size, seed=self.seed
        )
