"""Windows of live traffic and the reference each one is compared with.

Windows (all half-open ``[start, end)``, epoch seconds UTC):

* ``tumbling(size)``: back-to-back windows aligned to ``origin``;
* ``sliding(size, step)``: windows of ``size`` every ``step``;
* ``cumulative(step)``: from ``origin`` (the deploy) up to each step boundary.

References:

* ``fixed(start, end)``: one period, e.g. the first weeks after deploy;
* ``trailing(size, gap=0)``: the ``size`` seconds before each window (minus a gap);
* ``seasonal(period=1 week)``: the same span one period earlier;
* ``training(name)``: a reference profile stored from the training set.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from driftline.errors import ConfigurationError

__all__ = ["MONDAY", "WEEK_S", "ReferenceSpec", "Span", "WindowSpec", "default_origin"]

WEEK_S = 7 * 24 * 3600.0
#: 1970-01-05T00:00:00Z, the first Monday of the epoch (which began on a Thursday)
MONDAY = 4 * 24 * 3600.0


def default_origin(size_s: float) -> float:
    """Where windows of ``size_s`` are aligned unless told otherwise: Monday 00:00 UTC for a
    week or longer, midnight UTC for shorter ones."""
    return MONDAY if size_s >= WEEK_S else 0.0


@dataclass(frozen=True, slots=True)
class Span:
    start: float
    end: float

    @property
    def length(self) -> float:
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class WindowSpec:
    kind: Literal["tumbling", "sliding", "cumulative"] = "tumbling"
    size_s: float = 3600.0
    step_s: float | None = None
    origin: float = 0.0

    def __post_init__(self) -> None:
        if self.kind not in ("tumbling", "sliding", "cumulative"):
            raise ConfigurationError(f"window kind must be tumbling, sliding or cumulative, "
                                     f"got {self.kind!r}")
        if not self.size_s > 0:
            raise ConfigurationError(f"window size_s must be > 0, got {self.size_s!r}")
        if self.step_s is not None and not self.step_s > 0:
            raise ConfigurationError(f"window step_s must be > 0, got {self.step_s!r}")

    @classmethod
    def tumbling(cls, size_s: float, origin: float = 0.0) -> WindowSpec:
        return cls("tumbling", size_s, None, origin)

    @classmethod
    def sliding(cls, size_s: float, step_s: float, origin: float = 0.0) -> WindowSpec:
        return cls("sliding", size_s, step_s, origin)

    @classmethod
    def cumulative(cls, step_s: float, origin: float) -> WindowSpec:
        return cls("cumulative", step_s, step_s, origin)

    @property
    def step(self) -> float:
        return self.size_s if self.step_s is None else self.step_s

    def spans(self, start: float, end: float) -> Iterator[Span]:
        """Every complete window whose end lies in ``(start, end]``."""
        step = self.step
        first_end = self.origin + math.ceil((start - self.origin) / step) * step
        if first_end <= start:
            first_end += step
        # no window ends before one full size (or step, for cumulative) after the origin
        first_end = max(first_end, self.origin + (self.step if self.kind == "cumulative"
                                                  else self.size_s))
        window_end = first_end
        while window_end <= end + 1e-9:
            window_start = self.origin if self.kind == "cumulative" else window_end - self.size_s
            yield Span(window_start, window_end)
            window_end += step


@dataclass(frozen=True, slots=True)
class ReferenceSpec:
    kind: Literal["fixed", "trailing", "seasonal", "training"] = "fixed"
    start: float | None = None
    end: float | None = None
    size_s: float | None = None
    gap_s: float = 0.0
    period_s: float = WEEK_S
    name: str = "training"

    def __post_init__(self) -> None:
        if self.kind == "fixed" and (self.start is None or self.end is None
                                     or not self.end > self.start):
            raise ConfigurationError("a fixed reference needs start < end")
        if self.kind == "trailing" and not (self.size_s and self.size_s > 0):
            raise ConfigurationError("a trailing reference needs size_s > 0")
        if self.kind not in ("fixed", "trailing", "seasonal", "training"):
            raise ConfigurationError(f"reference kind {self.kind!r} is not one of fixed, "
                                     "trailing, seasonal, training")

    @classmethod
    def fixed(cls, start: float, end: float) -> ReferenceSpec:
        return cls("fixed", start=start, end=end)

    @classmethod
    def trailing(cls, size_s: float, gap_s: float = 0.0) -> ReferenceSpec:
        return cls("trailing", size_s=size_s, gap_s=gap_s)

    @classmethod
    def seasonal(cls, period_s: float = WEEK_S) -> ReferenceSpec:
        return cls("seasonal", period_s=period_s)

    @classmethod
    def training(cls, name: str = "training") -> ReferenceSpec:
        return cls("training", name=name)

    def span_for(self, window: Span) -> Span | None:
        """The reference period of a window (``None`` for a stored training profile)."""
        if self.kind == "fixed":
            assert self.start is not None and self.end is not None
            return Span(self.start, self.end)
        if self.kind == "trailing":
            assert self.size_s is not None
            end = window.start - self.gap_s
            return Span(end - self.size_s, end)
        if self.kind == "seasonal":
            return Span(window.start - self.period_s, window.end - self.period_s)
        return None

    @property
    def is_static(self) -> bool:
        """True when every window shares one reference (fit once, score many)."""
        return self.kind in ("fixed", "training")
