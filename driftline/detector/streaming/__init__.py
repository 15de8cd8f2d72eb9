"""Streaming detectors: one value at a time, ``update(x) -> self`` and ``drift_detected``."""

from __future__ import annotations

from driftline.detector.streaming._base import NoDrift, RiverDetector, StreamingDetector
from driftline.detector.streaming.adwin import ADWIN
from driftline.detector.streaming.kswin import KSWIN
from driftline.detector.streaming.page_hinkley import PageHinkley
from driftline.detector.streaming.registry import (
    available_streaming_detectors,
    get_streaming_detector,
)

__all__ = [
    "ADWIN",
    "KSWIN",
    "NoDrift",
    "PageHinkley",
    "RiverDetector",
    "StreamingDetector",
    "available_streaming_detectors",
    "get_streaming_detector",
]
