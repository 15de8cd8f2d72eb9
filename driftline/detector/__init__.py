"""Drift detectors: batch tests against a fitted reference, and streaming detectors.

Batch detectors are found by name (``get_detector("ks", alpha=0.01)``); importing this package
registers every detector module listed below.
"""

from __future__ import annotations

from driftline.detector._base import (
    BatchDetector,
    Frame,
    available_detectors,
    detector_capabilities,
    get_detector,
    register_detector,
)
from driftline.detector._capabilities import (
    INPUT_KINDS,
    BinnedCountScorer,
    Capabilities,
    CountScorer,
    InputKind,
    as_count_scorer,
)
from driftline.detector._result import DriftResult, FeatureResult, Status
from driftline.detector._univariate import FeatureTest, PerFeatureDetector, correct_p_values
from driftline.detector.auto import AutoDetector
from driftline.detector.chi2 import MISSING, Chi2Detector
from driftline.detector.cvm import CvMDetector
from driftline.detector.distances import (
    DistanceDetector,
    HellingerDetector,
    JensenShannonDetector,
    LInfinityDetector,
    PSIDetector,
    WassersteinDetector,
)
from driftline.detector.ks import KSDetector
from driftline.detector.streaming import (
    ADWIN,
    DDM,
    EDDM,
    HDDMA,
    HDDMW,
    KSWIN,
    NoDrift,
    PageHinkley,
    StreamingDetector,
    available_streaming_detectors,
    get_streaming_detector,
)

__all__ = [
    "ADWIN",
    "DDM",
    "EDDM",
    "HDDMA",
    "HDDMW",
    "INPUT_KINDS",
    "KSWIN",
    "MISSING",
    "AutoDetector",
    "BatchDetector",
    "BinnedCountScorer",
    "Capabilities",
    "Chi2Detector",
    "CountScorer",
    "CvMDetector",
    "DistanceDetector",
    "DriftResult",
    "FeatureResult",
    "FeatureTest",
    "Frame",
    "HellingerDetector",
    "InputKind",
    "JensenShannonDetector",
    "KSDetector",
    "LInfinityDetector",
    "NoDrift",
    "PSIDetector",
    "PageHinkley",
    "PerFeatureDetector",
    "Status",
    "StreamingDetector",
    "WassersteinDetector",
    "as_count_scorer",
    "available_detectors",
    "available_streaming_detectors",
    "correct_p_values",
    "detector_capabilities",
    "get_detector",
    "get_streaming_detector",
    "register_detector",
]

# --- multivariate detectors (driftline.detector.mmd / lsdd / online / classifier); registered
# on import
from driftline.detector.classifier import ClassifierDetector
from driftline.detector.lsdd import LSDDDetector
from driftline.detector.mmd import MMDDetector
from driftline.detector.online import OnlineMMDDetector

__all__ += ["ClassifierDetector", "LSDDDetector", "MMDDetector", "OnlineMMDDetector"]
# --- end multivariate detectors
