"""Monitor kinds: plugins that turn a window of stored data into result records.

A kind is one class in one module of this package (``drift.py``, ``validation.py``,
``performance.py`` ...), registered by name with ``register_kind``. To add one: subclass
``MonitorKind``, give it a pydantic ``settings_model``, implement ``evaluate``, decorate it
with ``@register_kind("name")`` and import the module below. The scheduler, the monitors file
and the API need no change.
"""

from __future__ import annotations

from driftline.engine.kinds._base import (
    Evaluation,
    EvaluationContext,
    MonitorKind,
    available_kinds,
    get_kind,
    register_kind,
)
from driftline.engine.kinds.calibration import CalibrationKind, CalibrationSettings
from driftline.engine.kinds.drift import DriftKind, DriftSettings
from driftline.engine.kinds.performance import PerformanceKind, PerformanceSettings
from driftline.engine.kinds.prediction import PredictionKind, PredictionSettings
from driftline.engine.kinds.schema import SchemaKind, SchemaSettings
from driftline.engine.kinds.validation import ValidationKind, ValidationSettings

__all__ = [
    "CalibrationKind",
    "CalibrationSettings",
    "DriftKind",
    "DriftSettings",
    "Evaluation",
    "EvaluationContext",
    "MonitorKind",
    "PerformanceKind",
    "PerformanceSettings",
    "PredictionKind",
    "PredictionSettings",
    "SchemaKind",
    "SchemaSettings",
    "ValidationKind",
    "ValidationSettings",
    "available_kinds",
    "get_kind",
    "register_kind",
]
