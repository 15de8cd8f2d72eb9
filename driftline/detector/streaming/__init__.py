"""Streaming detectors: one value at a time, ``update(x) -> self`` and ``drift_detected``.

Numeric streams: ``ADWIN``, ``KSWIN``, ``PageHinkley`` (standardized by a reference, thresholds
in sd) and ``OnlineMMDDetector`` (multivariate); the 0/1 error stream of a classifier:
``DDM``, ``EDDM``, ``HDDMA``, ``HDDMW``. Every default is calibrated to a mean run length of
more than 10,000 values between false alarms (each class states its measured ARL and delay).
"""

from __future__ import annotations

from driftline.detector.online import OnlineMMDDetector
from driftline.detector.streaming._base import (
    NoDrift,
    RiverDetector,
    StandardizedDetector,
    StreamingDetector,
)
from driftline.detector.streaming.adwin import ADWIN
from driftline.detector.streaming.binary import DDM, EDDM, HDDMA, HDDMW, BinaryDetector
from driftline.detector.streaming.kswin import KSWIN
from driftline.detector.streaming.page_hinkley import PageHinkley
from driftline.detector.streaming.registry import (
    available_streaming_detectors,
    get_streaming_detector,
)

__all__ = [
    "ADWIN",
    "DDM",
    "EDDM",
    "HDDMA",
    "HDDMW",
    "KSWIN",
    "BinaryDetector",
    "NoDrift",
    "OnlineMMDDetector",
    "PageHinkley",
    "RiverDetector",
    "StandardizedDetector",
    "StreamingDetector",
    "available_streaming_detectors",
    "get_streaming_detector",
]
