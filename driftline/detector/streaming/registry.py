"""Streaming detectors by name."""

from __future__ import annotations

from typing import Any

from driftline.detector.online import OnlineMMDDetector
from driftline.detector.streaming._base import NoDrift, StreamingDetector
from driftline.detector.streaming.adwin import ADWIN
from driftline.detector.streaming.binary import DDM, EDDM, HDDMA, HDDMW
from driftline.detector.streaming.kswin import KSWIN
from driftline.detector.streaming.page_hinkley import PageHinkley
from driftline.errors import ConfigurationError

__all__ = ["available_streaming_detectors", "get_streaming_detector"]

_REGISTRY: dict[str, type[StreamingDetector]] = {
    cls.name: cls
    for cls in (ADWIN, DDM, EDDM, HDDMA, HDDMW, KSWIN, NoDrift, OnlineMMDDetector, PageHinkley)
}


def get_streaming_detector(name: str, **settings: Any) -> StreamingDetector:
    """A new streaming detector by name (``"adwin"``, ``"kswin"``, ``"page_hinkley"``,
    ``"online_mmd"``; ``"ddm"``, ``"eddm"``, ``"hddm_a"``, ``"hddm_w"`` for a 0/1 error stream;
    ``"no_drift"``). Unknown names and bad settings raise ``ConfigurationError``.

    Examples
    --------
    >>> get_streaming_detector("adwin", delta=0.01).delta
    0.01
    >>> get_streaming_detector("online_mmd", window_size=10).window_size
    10
    """
    try:
        cls = _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY))
        raise ConfigurationError(f"unknown streaming detector {name!r}; known: {known}") from None
    try:
        return cls(**settings)
    except TypeError as exc:
        raise ConfigurationError(f"bad settings for streaming detector {name!r}: {exc}") from None


def available_streaming_detectors() -> tuple[str, ...]:
    """Registered streaming detector names, sorted."""
    return tuple(sorted(_REGISTRY))
