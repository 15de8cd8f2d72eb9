"""Page-Hinkley: a cumulative-sum test for a change in the mean (wraps ``river``), in sd units."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from river import drift

from driftline.detector.streaming._base import RiverDetector
from driftline.errors import ConfigurationError

__all__ = ["Mode", "PageHinkley"]

Mode = Literal["up", "down", "both"]


class PageHinkley(RiverDetector):
    """Signals drift when the cumulative deviation from the running mean exceeds ``threshold``.

    Values are standardized by the reference (``fit(reference_values)``, or the first
    ``warmup`` values) and clipped at ``clip`` sd, so ``delta`` and ``threshold`` are in
    reference sd: the same settings work on data of any scale. The test is river's
    Page-Hinkley on the standardized values: ``S_t = alpha * S_(t-1) + (z_t - mean_t) - delta``
    and an alarm when ``S_t - min S`` (or the mirrored sum for decreases) exceeds ``threshold``.

    The test runs on the values after the reference: a change is a change of the stream's own
    mean since the last (re)start; the reference only sets the scale (KSWIN and online MMD
    compare the stream with the reference itself).

    Calibration (seeded simulation, 10 streams of 100,000 values per case; the slow test in
    ``tests/detector/streaming/test_page_hinkley.py`` rechecks it): the mean run length between
    false alarms (ARL) of the defaults is 52,600 values on N(0, 1) and on data in thousands and
    66,700 on t(3) with the 200-value warm-up, 83,300 / 83,300 / 111,000 when fitted on 2,000
    reference values. A 1-sd mean shift after 500 values is signalled after a median of 18
    values (90th percentile 35). The threshold 9 gave half these ARLs (20,000 with the
    warm-up, whose sd estimate varies) for a delay shorter by 2. River's raw-unit defaults
    (threshold 50, delta 0.005, alpha 1 - 1e-4) gave an ARL of 1,560 on N(0, 1), 490 on t(3)
    and 30 on data in thousands.

    Parameters
    ----------
    warmup
        Values taken as the reference when ``fit`` was not called (default 200, >= 2; the ARL
        above holds from 200 on, a shorter warm-up estimates the sd less well).
    clip
        Standardized values are clipped at +-``clip`` sd (default 3.0; ``None``: no clipping).
        Without it one outlier of a heavy-tailed stream can cross the threshold alone: the
        ARL on t(3) falls to about 2,000 at the same threshold.
    min_instances
        Values after the warm-up (or after an alarm) before a drift can be signalled (default
        30, >= 1).
    delta
        Change tolerated per value, in sd (default 0.5, >= 0): half the smallest mean shift
        worth detecting, the classical CUSUM choice for a 1-sd shift.
    threshold
        Cumulative deviation that signals drift, in sd (default 10.0, > 0), calibrated with
        ``delta=0.5`` to an ARL above 50,000. A different ``delta`` needs its own threshold.
    alpha
        Forgetting factor of the cumulative sums (default 1.0, no forgetting; in (0, 1]).
        River's 1 - 1e-4 undoes the ``delta`` drift after about 10^4 values, so the sum
        wanders and false alarms come back on long streams.
    mode
        Detect increases (``"up"``), decreases (``"down"``) or ``"both"`` (default).

    Examples
    --------
    >>> import random
    >>> rng = random.Random(1)
    >>> detector = PageHinkley().fit([rng.gauss(0, 1) for _ in range(1000)])
    >>> stream = [rng.gauss(0, 1) for _ in range(1000)] + [rng.gauss(1, 1) for _ in range(200)]
    >>> [i for i, x in enumerate(stream) if detector.update(x).drift_detected]
    [1024]

    Without ``fit`` the first 200 values are the reference; the scale of the data does not
    matter (river's defaults alarm 40 times on this stream in thousands):

    >>> detector = PageHinkley()
    >>> [i for i, x in enumerate(stream) if detector.update(1000 * x + 5).drift_detected]
    [1024]
    """

    name: ClassVar[str] = "page_hinkley"

    def __init__(
        self,
        *,
        warmup: int = 200,
        clip: float | None = 3.0,
        min_instances: int = 30,
        delta: float = 0.5,
        threshold: float = 10.0,
        alpha: float = 1.0,
        mode: Mode = "both",
    ) -> None:
        if min_instances < 1:
            raise ConfigurationError(f"min_instances must be >= 1, got {min_instances!r}")
        if not delta >= 0:
            raise ConfigurationError(f"delta must be >= 0 (in sd), got {delta!r}")
        if not threshold > 0:
            raise ConfigurationError(f"threshold must be > 0 (in sd), got {threshold!r}")
        if not 0.0 < alpha <= 1.0:
            raise ConfigurationError(f"alpha must be in (0, 1], got {alpha!r}")
        if mode not in ("up", "down", "both"):
            raise ConfigurationError(f"mode must be 'up', 'down' or 'both', got {mode!r}")
        self.min_instances, self.delta = min_instances, float(delta)
        self.threshold, self.alpha, self.mode = float(threshold), float(alpha), mode
        super().__init__(warmup=warmup, clip=clip)

    def _build(self) -> Any:
        return drift.PageHinkley(
            min_instances=self.min_instances,
            delta=self.delta,
            threshold=self.threshold,
            alpha=self.alpha,
            mode=self.mode,
        )
