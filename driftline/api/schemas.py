"""Request and response bodies of the HTTP API (separate from the domain types they carry).

Ingest envelopes validate only the envelope: each event or label stays an arbitrary JSON value
here and is validated by the Ingestor, so one bad item is reported by index, never rejecting
the whole request.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, NonNegativeInt, StringConstraints, WithJsonSchema

from driftline.ingest.validation import (
    FEATURE_NAME_PATTERN,
    MODEL_NAME_PATTERN,
    MODEL_NAME_RULE,
    TAG_NAME_PATTERN,
)

__all__ = [
    "ClientReport",
    "ErrorOut",
    "EventsIn",
    "EventsOut",
    "FeatureRemovalIn",
    "IngestOut",
    "LabelsIn",
    "ModelName",
    "ModelOut",
    "RawColumns",
    "RawEvent",
    "RawLabel",
    "RejectionOut",
    "ResultOut",
    "ResultsOut",
    "SchemaChangeOut",
    "SchemaVersionOut",
]

_MODEL_NAME_SCHEMA: dict[str, Any] = {"type": "string", "pattern": MODEL_NAME_PATTERN,
                                       "maxLength": 64, "description": MODEL_NAME_RULE}
#: a model name, as the OpenAPI schema states it (the Ingestor checks it with the same rule)
ModelName = Annotated[str, StringConstraints(pattern=MODEL_NAME_PATTERN, max_length=64)]
_EVENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "Event",
    "description": "One prediction; validated item by item (see `rejected` in the response).",
    "properties": {
        "model": {**_MODEL_NAME_SCHEMA,
                  "description": f"defaults to the envelope's `model`; {MODEL_NAME_RULE}"},
        "model_version": {"type": "string"},
        "event_id": {"type": "string", "description": "generated when absent"},
        "timestamp": {
            "description": "epoch seconds or ISO-8601 (UTC); defaults to now",
            "anyOf": [{"type": "number"}, {"type": "string"}],
        },
        "features": {
            "type": "object",
            "propertyNames": {"pattern": FEATURE_NAME_PATTERN},
            "additionalProperties": {
                "anyOf": [{"type": "number"}, {"type": "string"}, {"type": "null"}]
            },
            "description": "feature -> value; null or NaN is missing, +-Infinity is rejected",
        },
        "prediction": {"description": "a number, a class name or {class: probability}"},
        "latency_ms": {"type": "number", "minimum": 0},
        "tags": {"type": "object", "propertyNames": {"pattern": TAG_NAME_PATTERN},
                 "additionalProperties": {"anyOf": [{"type": "string"}, {"type": "number"},
                                                    {"type": "boolean"}]}},
    },
    "example": {
        "model": "late-arrival",
        "timestamp": "2013-01-01T05:15:00Z",
        "features": {"dep_delay": 2.0, "carrier": "UA"},
        "prediction": 0.13,
    },
}
_LABEL_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "Label",
    "required": ["model", "event_id", "label"],
    "properties": {
        "model": _MODEL_NAME_SCHEMA,
        "event_id": {"type": "string", "minLength": 1, "maxLength": 128},
        "label": {"anyOf": [{"type": "number"}, {"type": "string"}]},
        "timestamp": {"anyOf": [{"type": "number"}, {"type": "string"}]},
    },
}
_COLUMNS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "EventColumns",
    "description": (
        "The events of the envelope's `model` column by column, every array of the same "
        "length; validated row by row like `events` (rejections name the row index)."
    ),
    "properties": {
        "event_id": {"type": "array", "items": {"type": "string"},
                     "description": "generated when absent"},
        "timestamp": {"type": "array", "items": {"anyOf": [{"type": "number"},
                                                           {"type": "string"}]},
                      "description": "epoch seconds (or ISO-8601, UTC); now when absent"},
        "model_version": {"anyOf": [{"type": "string"},
                                    {"type": "array", "items": {"type": "string"}}]},
        "prediction": {"type": "array",
                       "description": "numbers or null (or class names, {class: probability})"},
        "prediction_label": {"type": "array",
                             "items": {"anyOf": [{"type": "string"}, {"type": "null"}]}},
        "latency_ms": {"type": "array",
                       "items": {"anyOf": [{"type": "number"}, {"type": "null"}]}},
        "tags": {"type": "array",
                 "items": {"anyOf": [{"type": "object"}, {"type": "null"}]}},
        "features": {
            "type": "object",
            "description": "feature -> values: numbers or null, or strings or null",
            "propertyNames": {"pattern": FEATURE_NAME_PATTERN},
            "additionalProperties": {"type": "array"},
        },
    },
    "additionalProperties": False,
    "example": {
        "timestamp": [1357017300, 1357017301],
        "features": {"dep_delay": [2.0, None], "carrier": ["UA", "AA"]},
        "prediction": [0.13, 0.02],
    },
}
RawEvent = Annotated[Any, WithJsonSchema(_EVENT_SCHEMA)]
#: kept as parsed (no copy of the big arrays): validated by ``driftline.ingest.columnar``
RawColumns = Annotated[Any, WithJsonSchema(_COLUMNS_SCHEMA)]
RawLabel = Annotated[Any, WithJsonSchema(_LABEL_SCHEMA)]


class ClientReport(BaseModel):
    """Who sent the batch, and what it dropped since its previous report (deltas)."""

    model_config = ConfigDict(extra="ignore")

    id: str = Field(max_length=128)
    dropped: dict[Annotated[str, Field(max_length=64)], NonNegativeInt] = Field(
        default_factory=dict,
        max_length=32,
        description="events dropped since the previous report, by reason (deltas)",
    )


class EventsIn(BaseModel):
    """``POST /v1/events`` body: ``events`` (one object per event) or ``columns`` (one array
    per field, the fast way to send large batches; needs ``model``), not both."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"oneOf": [
            {"required": ["events"]},
            # `columns` need a model name: `"model": null` is refused with them
            {"required": ["columns", "model"], "properties": {"model": {"type": "string"}}},
        ]},
    )

    model: ModelName | None = Field(
        None, description="model of the events that do not name one (of all `columns`); "
        + MODEL_NAME_RULE)
    events: Annotated[
        list[RawEvent] | None,  # Optional, not a union: errors name "events", no union tag
        WithJsonSchema({"type": "array", "items": _EVENT_SCHEMA}),
    ] = Field(None, description="the events, one object each")
    columns: RawColumns = Field(None, description="the events of `model`, one array per field")
    client: ClientReport | None = None


class LabelsIn(BaseModel):
    """``POST /v1/labels`` body."""

    model_config = ConfigDict(extra="forbid")

    labels: list[RawLabel]


class RejectionOut(BaseModel):
    index: int = Field(description="position of the item in the request")
    field: str = Field(description="path of the offending field ('' = the item itself)")
    reason: str
    event_id: str | None = None


class SchemaChangeOut(BaseModel):
    model: str
    version: int
    added: list[str]
    removed: list[str]


class IngestOut(BaseModel):
    accepted: int = Field(description="items stored by this request")
    duplicates: int = Field(0, description="valid events not stored again: their model "
                            "already had their event id (or the request had it earlier)")
    rejected: list[RejectionOut]
    schema_changes: list[SchemaChangeOut]


class ErrorOut(BaseModel):
    error: str
    field: str | None = None
    index: int | None = None
    request_id: str | None = Field(None, description="also in the X-Request-ID header")


class ModelOut(BaseModel):
    name: str
    created_at: float = Field(description="epoch seconds (UTC)")
    schema_version: int
    n_features: int


class FeatureRemovalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    features: list[str] = Field(min_length=1, max_length=10_000,
                                description="feature names to declare removed",
                                examples=[["legacy_score"]])


class SchemaVersionOut(BaseModel):
    version: int
    features: dict[str, str] = Field(description="feature -> 'numeric' | 'categorical'")
    added: list[str]
    removed: list[str]
    created_at: float


class EventsOut(BaseModel):
    model: str
    columns: list[str]
    rows: list[dict[str, Any]] = Field(description="oldest first; `ts` in epoch seconds")
    truncated: bool = Field(description="true when `limit` cut the window short")


class ResultOut(BaseModel):
    """One result record (``driftline.storage.ResultRecord``); NaN values are null."""

    monitor_id: str
    kind: str = Field(description="the monitor kind, e.g. drift")
    model: str
    window_start: float
    window_end: float
    subject: str = Field(description='a feature, a slice, or "*" for the whole model')
    metric: str = Field(description="e.g. ks, psi, accuracy")
    value: float | None
    status: str = Field(description="ok, alert, insufficient_data, no_data, "
                        "reference_unavailable or error")
    reference_start: float
    reference_end: float
    threshold: float | None
    lower: float | None
    upper: float | None
    p_value: float | None
    effect_size: float | None
    n_reference: int
    n_window: int
    labels: dict[str, str]
    details: dict[str, Any]
    revision: int = Field(description="time_ns of the evaluation; the latest one wins")


class ResultsOut(BaseModel):
    results: list[ResultOut]
