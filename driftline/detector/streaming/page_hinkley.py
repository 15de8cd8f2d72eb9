"""Page-Hinkley: a cumulative-sum test for a change in the mean (wraps ``river``)."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from river import drift

from driftline.detector.streaming._base import RiverDetector
from driftline.errors import ConfigurationError

__all__ = ["Mode", "PageHinkley"]

Mode = Literal["up", "down", "both"]


class PageHinkley(RiverDetector):
    """Signals drift when the cumulative deviation from the running mean exceeds ``threshold``.

    Parameters
    ----------
    min_instances
        Values seen before a drift can be signalled.
    delta
        Change tolerated per value, in the data's units: about half the smallest mean shift
        worth detecting. River's default (0.005) lets the cumulative sum wander on long
        unit-variance streams and raise false alarms; 0.1 sd does not in the tests.
    threshold
        Cumulative deviation that signals drift, in the data's units (river's default, 50).
    alpha
        Forgetting factor of the cumulative sums (1 - 1e-4: almost no forgetting).
    mode
        Detect increases (``"up"``), decreases (``"down"``) or ``"both"``.

    Examples
    --------
    >>> import random
    >>> rng = random.Random(12345)
    >>> stream = [rng.gauss(0, 1) for _ in range(1000)] + [rng.gauss(3, 1) for _ in range(200)]
    >>> detector = PageHinkley()
    >>> [i for i, x in enumerate(stream) if detector.update(x).drift_detected]
    [792, 1016]

    The threshold is in the data's units: on this unit-variance stream the default signals a
    false alarm at 792. A higher threshold removes it at the cost of a later detection:

    >>> detector = PageHinkley(threshold=80)
    >>> [i for i, x in enumerate(stream) if detector.update(x).drift_detected]
    [1028]
    """

    name: ClassVar[str] = "page_hinkley"

    def __init__(
        self,
        *,
        min_instances: int = 30,
        delta: float = 0.005,
        threshold: float = 50.0,
        alpha: float = 1 - 0.0001,
        mode: Mode = "both",
    ) -> None:
        if min_instances < 1:
            raise ConfigurationError(f"min_instances must be >= 1, got {min_instances!r}")
        if not threshold > 0:
            raise ConfigurationError(f"threshold must be > 0, got {threshold!r}")
        if not 0.0 < alpha <= 1.0:
            raise ConfigurationError(f"alpha must be in (0, 1], got {alpha!r}")
        if mode not in ("up", "down", "both"):
            raise ConfigurationError(f"mode must be 'up', 'down' or 'both', got {mode!r}")
        self.min_instances, self.delta, self.threshold = min_instances, float(delta), threshold
        self.alpha, self.mode = float(alpha), mode
        super().__init__()

    def _build(self) -> Any:
        return drift.PageHinkley(
            min_instances=self.min_instances,
            delta=self.delta,
            threshold=self.threshold,
            alpha=self.alpha,
            mode=self.mode,
        )
