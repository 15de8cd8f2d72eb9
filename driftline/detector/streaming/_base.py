"""The streaming detector contract, the standardization every numeric detector shares, and the
null object that switches detection off.

A streaming detector sees one value at a time: ``update(x)`` returns the detector itself and
the verdict for the latest value is the read-only property ``drift_detected``::

    detector = get_streaming_detector("adwin").fit(reference_values)
    for x in stream:
        if detector.update(x).drift_detected:
            ...

Numeric detectors (``StandardizedDetector``) work in reference units: ``fit(reference_values)``
learns the reference's mean and standard deviation and every value is standardized with them
(and clipped at ``clip`` sd, which keeps one outlier of a heavy-tailed stream from reading as a
change) before the test, so thresholds are in sd and the data's scale is irrelevant. Without a
``fit``, the first ``warmup`` values are the reference; no alarm is raised during the warm-up.

After an alarm a detector starts over on the new regime (river's behaviour): the next ``update``
clears the test's state. ``reset()`` forgets the stream (and a reference learned from the
warm-up); a reference given to ``fit`` is kept.
"""

from __future__ import annotations

import abc
import math
import numbers
from typing import Any, ClassVar, Self

import numpy as np
import numpy.typing as npt

from driftline.detector._frames import numeric_values
from driftline.errors import ConfigurationError, ValidationError

__all__ = [
    "NoDrift",
    "RiverDetector",
    "StandardizedDetector",
    "StreamingDetector",
    "check_standardization",
]


class StreamingDetector(abc.ABC):
    """Detects a change in a stream of numbers, one value at a time."""

    #: registry name, e.g. ``"adwin"``
    name: ClassVar[str] = ""

    def __init__(self) -> None:
        self._n_seen = 0

    @abc.abstractmethod
    def update(self, x: Any) -> Self:
        """Feed one value; returns ``self`` so the verdict can be read in the same expression."""

    @property
    @abc.abstractmethod
    def drift_detected(self) -> bool:
        """Whether the latest ``update`` signalled a change."""

    @property
    def n_seen(self) -> int:
        """Values fed since creation or the last ``reset``."""
        return self._n_seen

    def reset(self) -> Self:
        """Forget everything seen so far (settings are kept); returns ``self``."""
        self._n_seen = 0
        return self

    def _accept(self, x: object) -> float:
        if isinstance(x, bool) or not isinstance(x, numbers.Real) or not math.isfinite(x):
            raise ValidationError(
                f"{type(self).__name__}.update needs a finite number, got {x!r}",
                field="x",
                index=self._n_seen,
            )
        self._n_seen += 1
        return float(x)


class NoDrift(StreamingDetector):
    """A detector that never signals drift: switches detection off without ``None`` checks.

    Examples
    --------
    >>> detector = NoDrift()
    >>> detector.update(1.0).update(1e9).drift_detected
    False
    >>> detector.n_seen
    2
    """

    name: ClassVar[str] = "no_drift"

    def update(self, x: Any) -> Self:
        self._accept(x)
        return self

    @property
    def drift_detected(self) -> bool:
        return False


def check_standardization(warmup: int, clip: float | None) -> None:
    """The settings every ``StandardizedDetector`` shares, checked once here."""
    if isinstance(warmup, bool) or not isinstance(warmup, int) or warmup < 2:
        raise ConfigurationError(f"warmup must be an int >= 2, got {warmup!r}")
    if clip is not None and not clip > 0.0:
        raise ConfigurationError(f"clip must be > 0 (in sd) or None, got {clip!r}")


class StandardizedDetector(StreamingDetector):
    """A numeric detector that tests values standardized by a reference (see the module doc).

    ``warmup`` (>= 2) values serve as the reference when ``fit`` was not called; ``clip``
    (> 0 or ``None``) bounds the standardized values at +-``clip`` sd.
    """

    def __init__(self, *, warmup: int, clip: float | None) -> None:
        check_standardization(warmup, clip)
        super().__init__()
        self.warmup, self.clip = warmup, None if clip is None else float(clip)
        self._location, self._scale = math.nan, math.nan
        self._fitted = False  # the reference came from ``fit`` (kept by ``reset``)
        self._warm: list[float] = []
        self._drift = False
        self._restart()

    @property
    def location(self) -> float:
        """The reference mean (``nan`` until a reference is known)."""
        return self._location

    @property
    def scale(self) -> float:
        """The reference standard deviation (ddof 1; 1.0 for a constant reference)."""
        return self._scale

    @property
    def warming_up(self) -> bool:
        """Whether the detector is still collecting its reference (no alarm is possible)."""
        return math.isnan(self._location)

    def fit(self, reference_values: npt.ArrayLike) -> Self:
        """Learn the reference (a 1-D array of numbers; NaN / None dropped) and restart."""
        values = _reference_values(reference_values, type(self).__name__)
        self._learn(values)
        self._fitted = True
        self._n_seen, self._warm, self._drift = 0, [], False
        self._restart()
        return self

    def update(self, x: Any) -> Self:
        value = self._accept(x)
        if self._drift:
            self._after_alarm()
        self._drift = False
        if self.warming_up:
            self._warm.append(value)
            if len(self._warm) >= self.warmup:
                self._learn(np.array(self._warm))
                self._warm = []
            return self
        z = (value - self._location) / self._scale
        if self.clip is not None:
            z = min(max(z, -self.clip), self.clip)
        self._drift = self._step(z)
        return self

    @property
    def drift_detected(self) -> bool:
        return self._drift

    def reset(self) -> Self:
        super().reset()
        self._drift, self._warm = False, []
        if not self._fitted:
            self._location, self._scale = math.nan, math.nan
        self._restart()
        return self

    def _learn(self, values: npt.NDArray[np.float64]) -> None:
        """Take ``values`` (raw, >= 2) as the reference."""
        std = float(values.std(ddof=1))
        self._location = float(values.mean())
        self._scale = std if std > 0.0 else 1.0

    def _after_alarm(self) -> None:
        """Start over on the new regime after an alarm (default: clear the test's state)."""
        self._restart()

    @abc.abstractmethod
    def _restart(self) -> None:
        """Clear the test's state (the reference is kept)."""

    @abc.abstractmethod
    def _step(self, z: float) -> bool:
        """Test one standardized value; whether it signals a change."""


def _reference_values(reference_values: npt.ArrayLike, who: str) -> npt.NDArray[np.float64]:
    arr = np.asarray(reference_values)
    if arr.ndim != 1:
        raise ValidationError(
            f"{who}.fit needs a 1-D array of numbers, got shape {arr.shape}",
            field="reference_values",
        )
    values = numeric_values("reference_values", arr, who)
    if not np.isfinite(values).all():
        raise ValidationError(
            f"{who}.fit: the reference holds an infinite value", field="reference_values"
        )
    if len(values) < 2:
        raise ValidationError(
            f"{who}.fit needs at least 2 reference values, got {len(values)}",
            field="reference_values",
        )
    return values


class RiverDetector(StandardizedDetector):
    """A river ``DriftDetector`` fed standardized values; subclasses build it from settings."""

    _river: Any = None

    @abc.abstractmethod
    def _build(self) -> Any:
        """A fresh river detector with this detector's settings."""

    def _restart(self) -> None:
        self._river = self._build()

    def _step(self, z: float) -> bool:
        self._river.update(z)
        return bool(self._river.drift_detected)
