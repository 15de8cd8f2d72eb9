"""The event model: what a prediction server logs, validated into columnar batches.

An event is one prediction::

    {"model": "late-arrival", "model_version": "v3", "event_id": "…",  # generated if absent
     "timestamp": "2013-01-01T05:15:00Z",                               # UTC, defaults to now
     "features": {"dep_delay": 2.0, "carrier": "UA", "distance": None},  # None = missing
     "prediction": 0.13,              # a number, a class ("late"), or {"late": 0.13, "ok": 0.87}
     "tags": {"region": "eu"}}

A label arrives later: ``{"model": …, "event_id": …, "label": 1, "timestamp": …}``.

Validation never rejects a batch whole: ``validate_events`` returns the good events as one
columnar batch per model and a ``Rejection`` (index, field, reason) for each bad one.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from driftline.errors import ValidationError
from driftline.ingest.validation import (
    MAX_TIMESTAMP,
    MIN_TIMESTAMP,
    TAG_NAME,
    FeatureKind,
    check_feature_name,
    check_model_name,
    parse_timestamp,
    value_kind,
)

__all__ = [
    "DEFAULT_LIMITS",
    "MAX_FEATURES",
    "MAX_TIMESTAMP",
    "MIN_TIMESTAMP",
    "Column",
    "EventBatch",
    "FeatureKind",
    "IngestLimits",
    "LabelBatch",
    "Rejection",
    "check_feature_name",
    "check_model_name",
    "parse_timestamp",
    "validate_events",
    "validate_labels",
]

#: a guard against a client sending a dict of thousands of keys as "features" by mistake
MAX_FEATURES = 2000


@dataclass(frozen=True, slots=True)
class IngestLimits:
    """How far one batch may grow a model and its values (the service takes them from
    ``Settings``: ``DRIFTLINE_MAX_FEATURES``, ``DRIFTLINE_MAX_STRING_LENGTH``).

    ``max_features``: the most features a model may have; an event that brings a feature past
    it is rejected, naming the feature. ``max_string_length``: the longest string value (a
    categorical feature value, a predicted class, a tag value, a label class).
    """

    max_features: int = 1000
    max_string_length: int = 1024

    def too_long(self, value: str) -> str | None:
        """Why ``value`` is too long, or None."""
        if len(value) <= self.max_string_length:
            return None
        return (f"a string of {len(value)} chars exceeds the limit of "
                f"{self.max_string_length} (DRIFTLINE_MAX_STRING_LENGTH)")

    def too_many(self, model: str, n_features: int) -> str:
        return (f"model {model!r} would have {n_features} features, more than the limit of "
                f"{self.max_features} (DRIFTLINE_MAX_FEATURES)")


DEFAULT_LIMITS = IngestLimits()


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why one input item was not stored: ``index`` in the request, ``field`` path, ``reason``."""

    index: int
    field: str
    reason: str
    event_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "field": self.field, "reason": self.reason,
                "event_id": self.event_id}


#: a column of an EventBatch: a list (the row path) or a numpy array (the columnar path)
Column = Sequence[Any] | npt.NDArray[Any]


@dataclass(slots=True)
class EventBatch:
    """Validated events of one model, column by column (missing feature values are None/NaN).

    Columns are lists (``validate_events``) or numpy arrays (``validate_columns``): numeric
    features as float64 with NaN for missing, categorical ones as str/None.
    """

    model: str
    event_id: Column = field(default_factory=list)
    ts: Column = field(default_factory=list)  # epoch seconds, UTC
    model_version: Column = field(default_factory=list)
    prediction: Column = field(default_factory=list)  # NaN when not numeric
    prediction_label: Column = field(default_factory=list)  # str or None
    prediction_probs: Column = field(default_factory=list)  # JSON object or ""
    latency_ms: Column = field(default_factory=list)
    tags: Column = field(default_factory=list)  # JSON object or ""
    features: dict[str, Column] = field(default_factory=dict)
    kinds: dict[str, FeatureKind] = field(default_factory=dict)
    indices: Column = field(default_factory=list)  # position of each event in the request
    #: every feature name the batch carried, with values or not (``kinds`` has those with)
    sent: set[str] = field(default_factory=set)

    def __len__(self) -> int:
        return len(self.event_id)


@dataclass(slots=True)
class _EventRows:
    """An EventBatch being built row by row (lists to append to)."""

    model: str
    event_id: list[str] = field(default_factory=list)
    ts: list[float] = field(default_factory=list)
    model_version: list[str] = field(default_factory=list)
    prediction: list[float] = field(default_factory=list)
    prediction_label: list[str | None] = field(default_factory=list)
    prediction_probs: list[str] = field(default_factory=list)
    latency_ms: list[float] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    features: dict[str, list[Any]] = field(default_factory=dict)
    kinds: dict[str, FeatureKind] = field(default_factory=dict)
    indices: list[int] = field(default_factory=list)
    sent: set[str] = field(default_factory=set)

    def __len__(self) -> int:
        return len(self.event_id)

    def batch(self) -> EventBatch:
        return EventBatch(
            self.model, self.event_id, self.ts, self.model_version, self.prediction,
            self.prediction_label, self.prediction_probs, self.latency_ms, self.tags,
            dict(self.features), self.kinds, self.indices, self.sent)


@dataclass(slots=True)
class LabelBatch:
    model: str
    event_id: list[str] = field(default_factory=list)
    label: list[float] = field(default_factory=list)  # NaN when the label is a class name
    label_class: list[str | None] = field(default_factory=list)
    ts: list[float] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.event_id)


class _RowError(ValidationError):
    """A ``ValidationError`` built as ``(field, reason)``: how this module's checks report."""

    def __init__(self, field: str, reason: str):
        super().__init__(reason, field=field)


def _feature_value(name: str, value: object, limits: IngestLimits = DEFAULT_LIMITS
                   ) -> tuple[FeatureKind | None, Any]:
    try:
        kind = value_kind(value)
    except ValidationError as bad:
        raise _RowError(f"features.{name}", bad.message) from None
    if kind is FeatureKind.NUMERIC:
        number = float(value)  # type: ignore[arg-type]  # value_kind: a real number
        if math.isinf(number):
            raise _RowError(f"features.{name}", f"expected a finite number, got {value!r}")
        return kind, number
    if kind is FeatureKind.CATEGORICAL:
        _check_length(f"features.{name}", str(value), limits)
    return kind, value


def _check_length(field: str, value: str, limits: IngestLimits) -> None:
    reason = limits.too_long(value)
    if reason is not None:
        raise _RowError(field, reason)


def _prediction(value: object, limits: IngestLimits = DEFAULT_LIMITS
                ) -> tuple[float, str | None, str]:
    if value is None:
        return math.nan, None, ""
    if isinstance(value, bool):
        return float(value), None, ""
    if isinstance(value, int | float | np.integer | np.floating):
        if math.isnan(float(value)):  # NaN: no numeric prediction, as null
            return math.nan, None, ""
        if not math.isfinite(float(value)):
            raise _RowError("prediction", f"expected a finite number, got {value!r}")
        return float(value), None, ""
    if isinstance(value, str):
        _check_length("prediction", value, limits)
        return math.nan, value, ""
    if isinstance(value, Mapping) and value:
        probs: dict[str, float] = {}
        for cls, p in value.items():
            if not isinstance(p, int | float) or isinstance(p, bool) or not 0.0 <= p <= 1.0:
                raise _RowError(f"prediction.{cls}", f"expected a probability in [0, 1], got {p!r}")
            _check_length("prediction", str(cls), limits)
            probs[str(cls)] = float(p)
        best = max(probs, key=probs.__getitem__)
        return probs[best], best, json.dumps(probs, separators=(",", ":"))
    raise _RowError("prediction", "expected a number, a class name or a {class: probability} "
                             f"object, got {type(value).__name__}")


def validate_events(
    events: Sequence[Mapping[str, Any]],
    known_kinds: Mapping[str, Mapping[str, FeatureKind]] | None = None,
    *,
    default_model: str | None = None,
    now: float | None = None,
    limits: IngestLimits = DEFAULT_LIMITS,
) -> tuple[dict[str, EventBatch], list[Rejection]]:
    """Split raw events into one columnar batch per model and a list of rejections.

    ``known_kinds`` maps model -> feature -> kind from the registered schema: a value of the
    wrong kind is rejected with the field named; a new feature's kind is taken from its first
    value and kept consistent within the batch. ``limits``: see ``IngestLimits``.
    """
    known_kinds = known_kinds or {}
    batches: dict[str, _EventRows] = {}
    rejections: list[Rejection] = []
    good_names: set[str] = set()  # feature names already checked in this call
    for index, raw in enumerate(events):
        event_id: str | None = None
        try:
            if not isinstance(raw, Mapping):
                raise _RowError("", f"expected an object, got {type(raw).__name__}")
            event_id = _event_id(raw.get("event_id"))
            model = check_model_name(raw.get("model", default_model))
            batch = batches.get(model) or batches.setdefault(model, _EventRows(model))
            registered = known_kinds.get(model, _NO_KINDS)
            row = _row(raw, registered, batch.kinds, good_names, now, limits)
            if row[1]:
                _check_room(model, row[1], registered, batch.kinds, limits)
        except ValidationError as bad:
            rejections.append(Rejection(index, bad.field or "", bad.message, event_id))
            continue
        features, new_kinds, ts, version, prediction, latency, tags = row
        if new_kinds:
            for name, kind in new_kinds.items():
                batch.kinds[name] = kind
                batch.features[name] = [None] * len(batch)
        get = features.get
        for name, values in batch.features.items():
            values.append(get(name))
        batch.sent.update(raw.get("features") or ())
        batch.event_id.append(event_id or uuid.uuid4().hex)
        batch.ts.append(ts)
        batch.model_version.append(version)
        batch.prediction.append(prediction[0])
        batch.prediction_label.append(prediction[1])
        batch.prediction_probs.append(prediction[2])
        batch.latency_ms.append(latency)
        batch.tags.append(tags)
        batch.indices.append(index)
    return {m: b.batch() for m, b in batches.items() if len(b)}, rejections


_NO_KINDS: Mapping[str, FeatureKind] = {}
_NUMERIC = FeatureKind.NUMERIC
_CATEGORICAL = FeatureKind.CATEGORICAL
_INFINITIES = (math.inf, -math.inf)
_NO_PREDICTION: tuple[float, str | None, str] = (math.nan, None, "")
_PLAIN_NUMBERS = (float, int)

_Row = tuple[dict[str, Any], dict[str, FeatureKind], float, str, tuple[float, str | None, str],
             float, str]


def _check_room(model: str, new_kinds: Mapping[str, FeatureKind],
                registered: Mapping[str, FeatureKind], batch_kinds: Mapping[str, FeatureKind],
                limits: IngestLimits) -> None:
    """Reject an event whose new features would take its model past ``max_features``."""
    fresh = [name for name in new_kinds if name not in registered]
    if not fresh:
        return
    total = len(registered) + sum(1 for name in batch_kinds if name not in registered)
    room = limits.max_features - total
    if len(fresh) > room:
        raise _RowError(f"features.{fresh[max(room, 0)]}",
                        limits.too_many(model, total + len(fresh)))


def _row(raw: Mapping[str, Any], known: Mapping[str, FeatureKind],
         batch_kinds: Mapping[str, FeatureKind], good_names: set[str],
         now: float | None, limits: IngestLimits = DEFAULT_LIMITS) -> _Row:
    stamp = raw.get("timestamp")
    if type(stamp) in _PLAIN_NUMBERS and MIN_TIMESTAMP <= stamp < MAX_TIMESTAMP:  # type: ignore[operator]
        ts = float(stamp)  # type: ignore[arg-type]  # the common case, as parse_timestamp checks
    else:
        ts = parse_timestamp(stamp, now=now)
    version = raw.get("model_version", "")
    if not isinstance(version, str) or len(version) > 128:
        raise _RowError("model_version", f"expected a string of at most 128 chars, got {version!r}")
    raw_features = raw.get("features", _NO_KINDS)
    if not isinstance(raw_features, Mapping):
        raise _RowError("features", f"expected an object, got {type(raw_features).__name__}")
    if len(raw_features) > MAX_FEATURES:
        raise _RowError("features",
                        f"{len(raw_features)} features exceed the limit of {MAX_FEATURES}")
    features: dict[str, Any] = {}
    new_kinds: dict[str, FeatureKind] = {}
    for name, value in raw_features.items():
        if name not in good_names:
            check_feature_name(name, f"features.{name}")
            good_names.add(name)
        value_type = type(value)
        if value_type is float:
            if value != value:  # NaN: missing
                continue
            if value in _INFINITIES:
                raise _RowError(f"features.{name}", f"expected a finite number, got {value!r}")
            kind = _NUMERIC
        elif value_type is str:
            if len(value) > limits.max_string_length:
                _check_length(f"features.{name}", value, limits)
            kind = _CATEGORICAL
        else:
            found, value = _feature_value(name, value, limits)
            if found is None:
                continue
            kind = found
        expected = batch_kinds.get(name)
        if expected is None:  # new to this batch (maybe registered earlier)
            expected = known.get(name)
            if expected is None or kind is expected:
                new_kinds[name] = kind
        if expected is not None and kind is not expected:
            raise _RowError(f"features.{name}",
                            f"expected a {expected.value} value (as registered), "
                            f"got {raw_features[name]!r}")
        features[name] = value
    raw_prediction = raw.get("prediction")
    prediction: tuple[float, str | None, str]
    if raw_prediction is None:
        prediction = _NO_PREDICTION
    elif type(raw_prediction) is float and math.isfinite(raw_prediction):
        prediction = (raw_prediction, None, "")
    else:
        prediction = _prediction(raw_prediction, limits)
    latency = raw.get("latency_ms")
    if latency is None or (type(latency) is float and math.isnan(latency)):  # NaN: as null
        latency_ms = math.nan
    elif isinstance(latency, int | float) and not isinstance(latency, bool) and latency >= 0:
        latency_ms = float(latency)
    else:
        raise _RowError("latency_ms", f"expected a non-negative number, got {latency!r}")
    tags = raw.get("tags")
    tags_json = _tags(tags, limits) if tags else ""
    return features, new_kinds, ts, version, prediction, latency_ms, tags_json


def _tags(tags: object, limits: IngestLimits = DEFAULT_LIMITS) -> str:
    if not isinstance(tags, Mapping) or not all(
        isinstance(k, str) and TAG_NAME.fullmatch(k) and isinstance(v, str | int | float | bool)
        for k, v in tags.items()
    ):
        raise _RowError("tags", "expected an object of name -> string/number")
    values = {k: str(v) for k, v in tags.items()}
    for name, value in values.items():
        _check_length(f"tags.{name}", value, limits)
    return json.dumps(values, separators=(",", ":"), sort_keys=True)


def _event_id(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str) and 0 < len(value) <= 128:
        return value
    raise _RowError("event_id", f"expected a string of 1-128 chars, got {value!r}")


def validate_labels(
    labels: Iterable[Mapping[str, Any]], *, now: float | None = None,
    limits: IngestLimits = DEFAULT_LIMITS,
) -> tuple[dict[str, LabelBatch], list[Rejection]]:
    """Labels per model; each needs ``model``, ``event_id`` and a numeric or string ``label``."""
    batches: dict[str, LabelBatch] = {}
    rejections: list[Rejection] = []
    for index, raw in enumerate(labels):
        event_id: str | None = None
        try:
            if not isinstance(raw, Mapping):
                raise _RowError("", f"expected an object, got {type(raw).__name__}")
            event_id = _event_id(raw.get("event_id"))
            if event_id is None:
                raise _RowError("event_id", "required: the id of the event this label belongs to")
            model = check_model_name(raw.get("model"))
            value = raw.get("label")
            if isinstance(value, bool) or (
                isinstance(value, int | float) and math.isfinite(float(value))
            ):
                number, cls = float(value), None
            elif isinstance(value, str) and value:
                _check_length("label", value, limits)
                number, cls = math.nan, value
            else:
                raise _RowError("label", f"expected a finite number or a class name, got {value!r}")
            ts = parse_timestamp(raw.get("timestamp"), now=now)
        except ValidationError as bad:
            rejections.append(Rejection(index, bad.field or "", bad.message, event_id))
            continue
        batch = batches.setdefault(model, LabelBatch(model))
        batch.event_id.append(event_id)
        batch.label.append(number)
        batch.label_class.append(cls)
        batch.ts.append(ts)
    return batches, rejections
