"""The streaming detector contract and the null object that switches detection off.

A streaming detector sees one value at a time: ``update(x)`` returns the detector itself and
the verdict for the latest value is the read-only property ``drift_detected``::

    detector = get_streaming_detector("adwin")
    for x in stream:
        if detector.update(x).drift_detected:
            ...
"""

from __future__ import annotations

import abc
import math
import numbers
from typing import Any, ClassVar, Self

from driftline.errors import ValidationError

__all__ = ["NoDrift", "RiverDetector", "StreamingDetector"]


class StreamingDetector(abc.ABC):
    """Detects a change in a stream of numbers, one value at a time."""

    #: registry name, e.g. ``"adwin"``
    name: ClassVar[str] = ""

    def __init__(self) -> None:
        self._n_seen = 0

    @abc.abstractmethod
    def update(self, x: float) -> Self:
        """Feed one value; returns ``self`` so the verdict can be read in the same expression."""

    @property
    @abc.abstractmethod
    def drift_detected(self) -> bool:
        """Whether the latest ``update`` signalled a change."""

    @property
    def n_seen(self) -> int:
        """Values fed since creation or the last ``reset``."""
        return self._n_seen

    def reset(self) -> None:
        """Forget everything seen so far (settings are kept)."""
        self._n_seen = 0

    def _accept(self, x: float) -> float:
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

    def update(self, x: float) -> Self:
        self._accept(x)
        return self

    @property
    def drift_detected(self) -> bool:
        return False


class RiverDetector(StreamingDetector):
    """A river ``DriftDetector`` behind our contract; subclasses build it from their settings."""

    def __init__(self) -> None:
        super().__init__()
        self._river = self._build()

    @abc.abstractmethod
    def _build(self) -> Any:
        """A fresh river detector with this detector's settings."""

    def update(self, x: float) -> Self:
        self._river.update(self._accept(x))
        return self

    @property
    def drift_detected(self) -> bool:
        return bool(self._river.drift_detected)

    def reset(self) -> None:
        super().reset()
        self._river = self._build()
