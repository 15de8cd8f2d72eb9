"""The tables of the Store and the records read from them.

Tables (database ``settings.database``, default ``driftline``)::

    models            name, created_at                       ReplacingMergeTree(name)
    feature_schemas   model, version, features (JSON), added, removed, created_at
    events_<model>    event_id, ts, model_version, prediction, prediction_label,
                      prediction_probs, latency_ms, tags, schema_version, f_<feature> ...
                      ReplacingMergeTree ORDER BY (ts, event_id): one column per feature, so a
                      window aggregate over a feature reads that column only; a re-delivered
                      event (same id and time) collapses into one row
    labels            model, event_id, label, label_class, ts, received_ns
                      ReplacingMergeTree(received_ns): the latest label of an event wins
    results           one row per (monitor, window, test, feature)
    reference_rows    training profiles (``driftline.ingest.references``)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from driftline.errors import ValidationError
from driftline.ingest._names import FEATURE_NAME, FEATURE_NAME_RULE, MODEL_NAME, MODEL_NAME_RULE
from driftline.ingest.events import FeatureKind

__all__ = [
    "EVENT_COLUMNS",
    "FEATURE_TYPES",
    "LABEL_COLUMNS",
    "MODEL_COLUMNS",
    "RESULT_COLUMNS",
    "SCHEMA_COLUMNS",
    "FeatureSchema",
    "ModelInfo",
    "ResultRow",
    "check_model",
    "ddl",
    "feature_column",
    "quote_string",
]

FEATURE_TYPES = {FeatureKind.NUMERIC: "Nullable(Float64)",
                  FeatureKind.CATEGORICAL: "Nullable(String)"}
EVENT_COLUMNS: dict[str, str] = {
    "event_id": "String",
    "ts": "DateTime('UTC')",
    "model_version": "String",
    "prediction": "Float64",
    "prediction_label": "Nullable(String)",
    "prediction_probs": "String",
    "latency_ms": "Float64",
    "tags": "String",
    "schema_version": "UInt32",
}
MODEL_COLUMNS = {"name": "String", "created_at": "DateTime('UTC')"}
SCHEMA_COLUMNS = {"model": "String", "version": "UInt32", "features": "String",
                  "added": "String", "removed": "String", "created_at": "DateTime('UTC')"}
LABEL_COLUMNS = {"model": "String", "event_id": "String", "label": "Float64",
                 "label_class": "Nullable(String)", "ts": "DateTime('UTC')",
                 "received_ns": "UInt64"}
RESULT_COLUMNS: dict[str, str] = {
    "monitor_id": "String",
    "model": "String",
    "window_start": "DateTime('UTC')",
    "window_end": "DateTime('UTC')",
    "reference_start": "DateTime('UTC')",
    "reference_end": "DateTime('UTC')",
    "test": "String",
    "feature": "String",
    "statistic": "Float64",
    "p_value": "Float64",
    "threshold": "Float64",
    "effect_size": "Float64",
    "drifted": "UInt8",
    "status": "String",
    "n_reference": "UInt64",
    "n_window": "UInt64",
    "details": "String",
    "run_ns": "UInt64",
}


def feature_column(name: str) -> str:
    """The events-table column of a feature (names are validated, so no quoting games)."""
    if not FEATURE_NAME.match(name):
        raise ValidationError(f"feature name {name!r} must be {FEATURE_NAME_RULE}",
                              field="feature")
    return f"f_{name}"


@dataclass(frozen=True, slots=True)
class FeatureSchema:
    model: str
    version: int
    features: dict[str, FeatureKind]
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    created_at: float = 0.0


@dataclass(frozen=True, slots=True)
class ModelInfo:
    name: str
    created_at: float
    schema_version: int
    n_features: int


@dataclass(frozen=True, slots=True)
class ResultRow:
    """One stored result: a test on one feature (or ``"*"`` for the whole model) in a window."""

    monitor_id: str
    model: str
    window_start: float
    window_end: float
    reference_start: float
    reference_end: float
    test: str
    feature: str
    statistic: float
    p_value: float
    threshold: float
    effect_size: float
    drifted: bool
    status: str
    n_reference: int
    n_window: int
    details: dict[str, Any] = field(default_factory=dict)
    run_ns: int = 0


def ddl(columns: Mapping[str, str]) -> str:
    return ", ".join(f"{name} {ch_type}" for name, ch_type in columns.items())


def quote_string(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def check_model(model: str) -> str:
    if not MODEL_NAME.match(model):
        raise ValidationError(f"model name {model!r} must be {MODEL_NAME_RULE}",
                              field="model")
    return model
