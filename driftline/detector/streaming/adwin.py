"""ADWIN: adaptive windowing over a numeric stream (wraps ``river.drift.ADWIN``)."""

from __future__ import annotations

from typing import Any, ClassVar

from river import drift

from driftline.detector.streaming._base import RiverDetector
from driftline.errors import ConfigurationError

__all__ = ["ADWIN"]


class ADWIN(RiverDetector):
    """Adaptive windowing: signals drift when two sub-windows have significantly different means.

    ADWIN keeps a window of recent values whose length adapts: whenever some split of the window
    into an older and a newer part has means further apart than a Hoeffding-style bound, the
    older part is dropped and drift is signalled.

    Parameters
    ----------
    delta
        Confidence of the cut test; smaller means fewer false alarms and later detection.
        0.002 is the value of the original paper (Bifet and Gavaldà, 2007) and of river.
    clock
        Check for a cut every ``clock`` values (a cost/latency trade-off).
    grace_period
        Values seen before the first check.

    Examples
    --------
    >>> import random
    >>> rng = random.Random(12345)
    >>> detector = ADWIN()
    >>> stream = [rng.gauss(0, 1) for _ in range(1000)] + [rng.gauss(3, 1) for _ in range(200)]
    >>> [i for i, x in enumerate(stream) if detector.update(x).drift_detected]
    [1023]
    """

    name: ClassVar[str] = "adwin"

    def __init__(self, *, delta: float = 0.002, clock: int = 32, grace_period: int = 10) -> None:
        if not 0.0 < delta < 1.0:
            raise ConfigurationError(f"delta must be in (0, 1), got {delta!r}")
        if clock < 1:
            raise ConfigurationError(f"clock must be >= 1, got {clock!r}")
        if grace_period < 1:
            raise ConfigurationError(f"grace_period must be >= 1, got {grace_period!r}")
        self.delta, self.clock, self.grace_period = float(delta), clock, grace_period
        super().__init__()

    def _build(self) -> Any:
        # river's ADWIN.__init__ has no annotations
        return drift.ADWIN(  # type: ignore[no-untyped-call]
            delta=self.delta, clock=self.clock, grace_period=self.grace_period
        )

    @property
    def width(self) -> int:
        """Length of the current adaptive window."""
        return int(self._river.width)
