"""Columnar ingest: a batch of one model's events given column by column, validated with numpy.

The input (what ``POST /v1/events`` takes as ``{"model": …, "columns": {…}}``)::

    {"event_id": ["a1", "a2"],            # optional: generated when absent
     "timestamp": [1.7e9, 1.7e9],         # optional epoch seconds (or ISO strings): now if absent
     "model_version": "v3",               # optional: one string for all rows, or one per row
     "prediction": [0.13, null],          # optional: numbers or null (or classes, {class: p})
     "prediction_label": ["late", null],  # optional: the predicted class
     "latency_ms": [3.1, 2.5],            # optional
     "tags": [{"region": "eu"}, null],    # optional
     "features": {"dep_delay": [2.0, null], "carrier": ["UA", "AA"]}}

Every column has the same length (or it is a ``ValidationError`` naming the column). The
common case costs a few numpy passes per column and no Python per row: a column of numbers
(null = missing) is a numeric feature, a column of strings (null = missing) a categorical one.
Anything irregular (a string in a numeric column, an ISO timestamp, a dict prediction) falls
back to the row path's per-value checks for that column only, with the same messages. A bad
value rejects its row only (``Rejection`` with the row index), never the batch; the good rows
are kept through a boolean mask.

Differences from the row path, all about missing values: NaN in a numpy ``prediction`` or
``latency_ms`` column is "missing" (pandas' convention), and a feature with an invalid name
rejects only the rows that have a value for it.
"""

from __future__ import annotations

import itertools
import math
import os
import time
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson

from driftline.errors import ValidationError
from driftline.ingest._names import FEATURE_NAME, FEATURE_NAME_RULE
from driftline.ingest.events import (
    MAX_FEATURES,
    MAX_TIMESTAMP,
    MIN_TIMESTAMP,
    EventBatch,
    FeatureKind,
    Rejection,
    _Bad,
    _event_id,
    _feature_value,
    _prediction,
    _tags,
    check_model_name,
    parse_timestamp,
)
from driftline.ingest.sdk._columns import BINARY_MAGIC

__all__ = ["COLUMNS", "column_length", "decode_binary", "frame_columns", "validate_columns"]

#: the keys a columnar batch may have
COLUMNS = ("event_id", "timestamp", "model_version", "prediction", "prediction_label",
           "latency_ms", "tags", "features")
_ROW_COLUMNS = ("event_id", "timestamp", "prediction", "prediction_label", "latency_ms", "tags")
_NUMBER_KINDS = "fiub"
_NUMBER_TYPES = frozenset({float, int, bool, type(None), np.float64, np.float32, np.float16,
                           np.int64, np.int32, np.int16, np.int8, np.uint64, np.uint32,
                           np.uint16, np.uint8, np.bool_})
_STRING_TYPES = frozenset({str, type(None)})
_NUMERIC = FeatureKind.NUMERIC
_CATEGORICAL = FeatureKind.CATEGORICAL

F64 = npt.NDArray[np.float64]
Mask = npt.NDArray[np.bool_]


def _is_column(values: object) -> bool:
    return isinstance(values, list | tuple | np.ndarray) or (
        hasattr(values, "__len__") and hasattr(values, "__getitem__")
        and not isinstance(values, str | bytes | Mapping))


def column_length(columns: object) -> int:
    """The number of rows of a columnar batch.

    Raises ``ValidationError`` (``field`` names the column) for anything that is not a mapping
    of known columns of one length.
    """
    if not isinstance(columns, Mapping):
        raise ValidationError(f"expected an object of columns, got {type(columns).__name__}",
                              field="columns")
    lengths: dict[str, int] = {}
    for key, values in columns.items():
        if key not in COLUMNS:
            raise ValidationError(f"unknown column {key!r}; expected some of {', '.join(COLUMNS)}",
                                  field=f"columns.{key}")
        if key == "features":
            if not isinstance(values, Mapping):
                raise ValidationError(
                    f"expected an object of feature -> values, got {type(values).__name__}",
                    field="columns.features")
            if len(values) > MAX_FEATURES:
                raise ValidationError(f"{len(values)} features exceed the limit of {MAX_FEATURES}",
                                      field="columns.features")
            for name, feature in values.items():
                lengths[f"features.{name}"] = _length(f"features.{name}", feature)
        elif key == "model_version" and (values is None or isinstance(values, str)):
            continue
        elif values is not None:
            lengths[key] = _length(key, values)
    if not lengths:
        return 0
    (first, n), *others = lengths.items()
    for key, length in others:
        if length != n:
            raise ValidationError(f"column {key!r} has {length} values but {first!r} has {n}",
                                  field=f"columns.{key}")
    return n


def _length(key: str, values: object) -> int:
    if not _is_column(values):
        raise ValidationError(f"expected an array, got {type(values).__name__}",
                              field=f"columns.{key}")
    if isinstance(values, np.ndarray) and values.ndim != 1:
        raise ValidationError(f"expected a 1-d array, got shape {values.shape}",
                              field=f"columns.{key}")
    return len(values)  # type: ignore[arg-type]


class _Rows:
    """Which rows are still good, and why the others are not (the first reason per row)."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.ok: Mask = np.ones(n, dtype=np.bool_)
        self.rejections: list[Rejection] = []
        self.ids: Any = None  # the event ids given (for rejections), once checked

    def reject(self, index: int, field: str, reason: str) -> None:
        if self.ok[index]:
            self.ok[index] = False
            event_id = None
            if self.ids is not None:
                value = self.ids[index]
                event_id = value if isinstance(value, str) else None
            self.rejections.append(Rejection(index, field, reason, event_id))

    def reject_where(self, bad: Mask, field: str, reason: Callable[[int], str]) -> None:
        for index in np.flatnonzero(bad & self.ok).tolist():
            self.reject(index, field, reason(index))


def _value(values: Any, index: int) -> Any:
    """A value as the client sent it (numpy scalars as Python ones), for messages."""
    value = values[index]
    item = getattr(value, "item", None)
    return item() if callable(item) else value


def _infer(values: Any) -> npt.NDArray[Any] | None:
    """``values`` as a 1-d numpy array with an inferred dtype, or None when it is not one."""
    if isinstance(values, np.ndarray):
        return values
    if isinstance(values, list) and values and type(values[0]) is str:
        return None  # strings: numpy would copy them all to decide nothing
    try:
        array = np.asarray(values)
    except (ValueError, TypeError):  # ragged nested lists
        return None
    return array if array.ndim == 1 else None


def _numbers(values: Any) -> F64 | None:
    """Numbers and nulls as float64 (null -> NaN), or None when there is anything else."""
    array = _infer(values)
    if array is not None and array.dtype.kind in _NUMBER_KINDS:
        return array.astype(np.float64, copy=False)
    if (array is None or array.dtype.kind == "O") and set(map(type, values)) <= _NUMBER_TYPES:
        return np.array(values, dtype=np.float64)
    return None


def _strings(values: Any) -> bool:
    """True when every value is a string or null."""
    if isinstance(values, np.ndarray):
        return values.dtype.kind == "U" or (
            values.dtype.kind == "O" and set(map(type, values)) <= _STRING_TYPES)
    return set(map(type, values)) <= _STRING_TYPES


def _as_objects(values: Any) -> npt.NDArray[Any]:
    if isinstance(values, np.ndarray) and values.dtype.kind == "O":
        return values
    out = np.empty(len(values), dtype=object)
    out[:] = values.tolist() if isinstance(values, np.ndarray) else values
    return out


def _nulls(values: npt.NDArray[Any]) -> Mask:
    """Where an object array holds None."""
    nulls: Mask = values == None  # noqa: E711 - elementwise on an object array
    return nulls


def _present(values: Any) -> Mask:
    """Rows where a str/None column has a value."""
    return ~_nulls(_as_objects(values))


def validate_columns(
    model: str,
    columns: Mapping[str, Any],
    known_kinds: Mapping[str, FeatureKind],
    *,
    now: float | None = None,
) -> tuple[EventBatch, list[Rejection]]:
    """Validate a columnar batch of ``model``: (the good rows as one batch, the rejections).

    ``known_kinds`` are the model's registered feature kinds: a value of another kind rejects
    its row; a new feature's kind is that of its values (a column mixing numbers and strings
    takes the kind of its first value, as the row path does). Raises ``ValidationError`` for
    what is wrong with the batch as a whole (bad model name, unknown column, lengths differ).
    """
    try:
        check_model_name(model)
    except _Bad as bad:
        raise ValidationError(bad.reason, field="model") from None
    n = column_length(columns)
    rows = _Rows(n)
    now = time.time() if now is None else now

    event_id = _event_ids(columns.get("event_id"), rows)
    ts = _timestamps(columns.get("timestamp"), rows, now)
    version = _versions(columns.get("model_version"), rows)

    features: dict[str, tuple[FeatureKind, Any, Mask]] = {}
    raw_features: Mapping[str, Any] = columns.get("features") or {}
    for name, values in raw_features.items():
        if not isinstance(name, str) or not FEATURE_NAME.match(name):
            _bad_feature_name(name, values, rows)
            continue
        found = _feature(name, values, known_kinds.get(name), rows)
        if found is not None:
            features[name] = found

    prediction, label, probs = _predictions(columns.get("prediction"), rows)
    label = _labels(columns.get("prediction_label"), label, rows)
    latency = _latencies(columns.get("latency_ms"), rows)
    tags = _tag_column(columns.get("tags"), rows)

    ok = rows.ok
    everything = bool(ok.all())
    keep: Callable[[Any], Any] = (lambda c: c) if everything else (lambda c: _take(c, ok))
    n_kept = n if everything else int(ok.sum())
    batch = EventBatch(
        model,
        event_id=keep(event_id) if event_id is not None else _new_ids(n_kept),
        ts=keep(ts),
        model_version=[version] * n_kept if isinstance(version, str) else keep(version),
        prediction=keep(prediction),
        prediction_label=[None] * n_kept if label is None else keep(label),
        prediction_probs=[""] * n_kept if probs is None else keep(probs),
        latency_ms=keep(latency),
        tags=[""] * n_kept if tags is None else keep(tags),
        indices=np.arange(n) if everything else np.flatnonzero(ok),
    )
    batch.sent = {name for name in raw_features
                  if isinstance(name, str) and FEATURE_NAME.match(name)}
    for name, (kind, values, present) in features.items():
        if bool(present.any() if everything else (present & ok).any()):
            batch.features[name] = keep(values)
            batch.kinds[name] = kind
    rows.rejections.sort(key=lambda r: r.index)
    return batch, rows.rejections


def _take(values: Any, ok: Mask) -> npt.NDArray[Any]:
    if isinstance(values, np.ndarray):
        return values[ok]
    return _as_objects(values)[ok]


_id_prefix = os.urandom(6).hex()
_id_calls = itertools.count(1)  # next() is atomic: concurrent requests never share a number


def _new_ids(n: int) -> npt.NDArray[Any]:
    """Unique ids: a random per-process prefix, a per-call number and a row counter."""
    prefix = f"{_id_prefix}{next(_id_calls):x}-"
    return np.strings.add(prefix, np.arange(n).astype(np.str_)).astype(object)


def _event_ids(values: Any, rows: _Rows) -> Any:
    """The given ids (list or object array), or None to generate them all."""
    if values is None:
        return None
    if isinstance(values, np.ndarray) and values.dtype.kind in "iuU":
        ids: Any = values.astype(np.str_)
        lengths = np.strings.str_len(ids)
        if len(ids) and lengths.min() > 0 and lengths.max() <= 128:
            rows.ids = ids = ids.astype(object)
            return ids
    elif (len(values) and set(map(type, values)) == {str}
          and min(map(len, values)) > 0 and max(map(len, values)) <= 128):
        rows.ids = values
        return values
    # ints, nulls (generated ids) or bad ids: one by one, as the row path
    ids = _as_objects(values).copy()
    for i in range(len(ids)):
        try:
            ids[i] = _event_id(_value(ids, i))
        except _Bad as bad:
            ids[i] = None
            rows.reject(i, bad.field, bad.reason)
    rows.ids = ids.copy()  # rejections name the ids the client gave, not generated ones
    fresh = _nulls(ids)
    if fresh.any():
        ids[fresh] = _new_ids(int(fresh.sum()))
    return ids


def _timestamps(values: Any, rows: _Rows, now: float) -> F64:
    if values is None:
        return np.full(rows.n, now, dtype=np.float64)
    array = _infer(values)
    if array is not None and array.dtype.kind == "M":
        ts = array.astype("datetime64[ns]").astype(np.int64) / 1e9
        ts[np.isnat(array)] = now
    elif array is not None and array.dtype.kind in "fiu":
        ts = array.astype(np.float64, copy=False)
    else:  # ISO strings, nulls, datetimes: one by one, as the row path
        ts = np.empty(rows.n, dtype=np.float64)
        for i in range(rows.n):
            try:
                ts[i] = parse_timestamp(_value(values, i), now=now)
            except _Bad as bad:
                ts[i] = now
                rows.reject(i, bad.field, bad.reason)
        return ts
    with np.errstate(invalid="ignore"):
        outside = ~((ts >= MIN_TIMESTAMP) & (ts < MAX_TIMESTAMP))
    if outside.any():
        rows.reject_where(outside, "timestamp", lambda i: (
            f"timestamp {_value(values, i)!r} is outside 2000-01-01..2100-01-01 "
            "(epoch seconds expected, not milliseconds)"))
    return ts


def _versions(values: Any, rows: _Rows) -> Any:
    if values is None:
        return ""
    if isinstance(values, str):
        if len(values) > 128:
            raise ValidationError(f"expected a string of at most 128 chars, got {values!r}",
                                  field="columns.model_version")
        return values
    if set(map(type, values)) == {str} and max(map(len, values)) <= 128:
        return values
    out = _as_objects(values).copy()
    for i, value in enumerate(out):
        if value is None:
            out[i] = ""
        elif not isinstance(value, str) or len(value) > 128:
            out[i] = ""
            rows.reject(i, "model_version",
                        f"expected a string of at most 128 chars, got {value!r}")
    return out


def _bad_feature_name(name: object, values: Any, rows: _Rows) -> None:
    reason = f"feature name {name!r} must be {FEATURE_NAME_RULE}"
    for i in range(rows.n):
        value = values[i]
        if value is not None and value == value:  # a value (not null, not NaN)
            rows.reject(i, f"features.{name}", reason)


def _kind_reason(expected: FeatureKind, values: Any) -> Callable[[int], str]:
    return lambda i: f"expected a {expected.value} value (as registered), got {_value(values, i)!r}"


def _feature(name: str, values: Any, known: FeatureKind | None,
             rows: _Rows) -> tuple[FeatureKind, Any, Mask] | None:
    """(kind, stored column, rows with a value) of one feature column; None if all missing."""
    field = f"features.{name}"
    numbers = _numbers(values)
    if numbers is not None:
        missing = np.isnan(numbers)
        infinite = np.isinf(numbers)
        if infinite.any():
            rows.reject_where(infinite, field,
                              lambda i: f"expected a finite number, got {_value(values, i)!r}")
            numbers = np.where(infinite, np.nan, numbers)
            missing |= infinite
        present = ~missing
        if known is _CATEGORICAL:
            rows.reject_where(present, field, _kind_reason(_CATEGORICAL, values))
            return None
        return _NUMERIC, numbers, present
    if _strings(values):
        present = _present(values)
        if known is _NUMERIC:
            rows.reject_where(present, field, _kind_reason(_NUMERIC, values))
            return None
        return _CATEGORICAL, values, present
    return _mixed_feature(name, values, known, rows)


def _mixed_feature(name: str, values: Any, known: FeatureKind | None,
                   rows: _Rows) -> tuple[FeatureKind, Any, Mask] | None:
    """A column of mixed types, value by value with the row path's rules."""
    field = f"features.{name}"
    kinds: list[FeatureKind | None] = []
    parsed: list[Any] = []
    for i in range(rows.n):
        try:
            kind, value = _feature_value(name, _value(values, i))
        except _Bad as bad:
            rows.reject(i, bad.field, bad.reason)
            kind, value = None, None
        kinds.append(kind)
        parsed.append(value)
    expected = known
    if expected is None:
        expected = next((k for i, k in enumerate(kinds) if k is not None and rows.ok[i]), None)
        if expected is None:
            return None
    present = np.zeros(rows.n, dtype=np.bool_)
    reason = _kind_reason(expected, values)
    for i, kind in enumerate(kinds):
        if kind is None:
            continue
        if kind is not expected:
            rows.reject(i, field, reason(i))
            parsed[i] = None
        else:
            present[i] = True
    if expected is _NUMERIC:
        column: Any = np.array([math.nan if v is None else v for v in parsed], dtype=np.float64)
    else:
        column = _as_objects(parsed)
    return expected, column, present


def _predictions(values: Any, rows: _Rows) -> tuple[F64, Any, Any]:
    """(number, label or None, probabilities JSON or None) columns."""
    if values is None:
        return np.full(rows.n, math.nan), None, None
    numbers = _numbers(values)
    if numbers is not None:
        infinite = np.isinf(numbers)
        if infinite.any():
            rows.reject_where(infinite, "prediction",
                              lambda i: f"expected a finite number, got {_value(values, i)!r}")
        return numbers, None, None
    number = np.empty(rows.n, dtype=np.float64)
    label = np.empty(rows.n, dtype=object)
    probs = np.empty(rows.n, dtype=object)
    for i in range(rows.n):
        try:
            number[i], label[i], probs[i] = _prediction(_value(values, i))
        except _Bad as bad:
            number[i], label[i], probs[i] = math.nan, None, ""
            rows.reject(i, bad.field, bad.reason)
    return number, label, probs


def _labels(values: Any, derived: Any, rows: _Rows) -> Any:
    """The ``prediction_label`` column, where given, over the labels of class predictions."""
    if values is None:
        return derived
    if not _strings(values):
        out = _as_objects(values).copy()
        for i, value in enumerate(out):
            if value is not None and not isinstance(value, str):
                out[i] = None
                rows.reject(i, "prediction_label", f"expected a string or null, got {value!r}")
        values = out
    if derived is None:
        return values
    merged = _as_objects(values).copy()
    missing = _nulls(merged)
    merged[missing] = derived[missing]
    return merged


def _latencies(values: Any, rows: _Rows) -> F64:
    if values is None:
        return np.full(rows.n, math.nan)
    numbers = _numbers(values)
    if numbers is None:
        numbers = np.full(rows.n, math.nan)
        for i in range(rows.n):
            value = _value(values, i)
            if value is None:
                continue
            if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
                numbers[i] = float(value)
            else:
                rows.reject(i, "latency_ms", f"expected a non-negative number, got {value!r}")
        return numbers
    negative = numbers < 0
    if negative.any():
        rows.reject_where(negative, "latency_ms",
                          lambda i: f"expected a non-negative number, got {_value(values, i)!r}")
    return numbers


def _tag_column(values: Any, rows: _Rows) -> Any:
    if values is None:
        return None
    out = np.empty(rows.n, dtype=object)
    for i in range(rows.n):
        value = _value(values, i)
        try:
            out[i] = _tags(value) if value else ""
        except _Bad as bad:
            out[i] = ""
            rows.reject(i, bad.field, bad.reason)
    return out


def frame_columns(
    df: Any,
    *,
    timestamp: str | None = "timestamp",
    prediction: str | None = "prediction",
    event_id: str | None = "event_id",
    model_version: str | None = "model_version",
    prediction_label: str | None = "prediction_label",
    latency_ms: str | None = "latency_ms",
) -> dict[str, Any]:
    """A pandas DataFrame as a columnar batch of numpy arrays (no per-row Python).

    The named columns (when present) are the event fields, every other column a feature:
    numeric and boolean ones as float64 (NA -> NaN), the others as objects (NA -> None).
    """
    import pandas as pd

    special = {"event_id": event_id, "timestamp": timestamp, "model_version": model_version,
               "prediction": prediction, "prediction_label": prediction_label,
               "latency_ms": latency_ms}
    taken = {name for name in special.values() if name is not None and name in df.columns}
    columns: dict[str, Any] = {}
    for key, name in special.items():
        if name is None or name not in df.columns:
            continue
        series = df[name]
        if key == "timestamp" and pd.api.types.is_datetime64_any_dtype(series.dtype):
            if getattr(series.dtype, "tz", None) is not None:
                series = series.dt.tz_convert("UTC").dt.tz_localize(None)
            columns[key] = series.to_numpy(dtype="datetime64[ns]")
        elif key in ("timestamp", "prediction", "latency_ms") and _numeric_dtype(series):
            columns[key] = series.to_numpy(dtype=np.float64, na_value=np.nan)
        else:
            columns[key] = _object_values(series)
    features: dict[str, Any] = {}
    for name in df.columns:
        if name in taken:
            continue
        series = df[name]
        if _numeric_dtype(series):
            features[str(name)] = series.to_numpy(dtype=np.float64, na_value=np.nan)
        else:
            features[str(name)] = _object_values(series)
    columns["features"] = features
    return columns


def _numeric_dtype(series: Any) -> bool:
    import pandas as pd

    dtype = series.dtype
    return bool(pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype))


def _object_values(series: Any) -> npt.NDArray[Any]:
    values: npt.NDArray[Any] = series.astype(object).to_numpy(dtype=object)
    missing = series.isna().to_numpy(dtype=np.bool_)
    if missing.any():
        values = values.copy()
        values[missing] = None
    return values


def decode_binary(raw: bytes) -> dict[str, Any]:
    """The envelope of a binary columnar body (see ``driftline.ingest.sdk._columns``), with
    each numeric column a read-only float64 array over the body (no copy)."""
    head = len(BINARY_MAGIC) + 4
    if raw[: len(BINARY_MAGIC)] != BINARY_MAGIC or len(raw) < head:
        raise ValidationError(f"a binary columnar body starts with {BINARY_MAGIC!r}", field="")
    size = int.from_bytes(raw[len(BINARY_MAGIC):head], "little")
    try:
        envelope = orjson.loads(raw[head:head + size])
    except orjson.JSONDecodeError as exc:
        raise ValidationError(f"the binary body's header is not valid JSON: {exc}",
                              field="") from None
    n = envelope.get("n") if isinstance(envelope, dict) else None
    columns = envelope.get("columns") if isinstance(envelope, dict) else None
    if not isinstance(n, int) or n < 0 or not isinstance(columns, dict):
        raise ValidationError("the binary body's header needs `n` and `columns`", field="")
    start = head + size + (-(head + size) % 8)
    n_buffers = (len(raw) - start) // 8 // n if n else 0
    if n and (len(raw) - start) != n_buffers * n * 8:
        raise ValidationError(f"the binary body's buffers are not whole columns of {n} doubles",
                              field="")

    def unpack(key: str, value: Any) -> Any:
        if isinstance(value, dict) and set(value) == {"f64"}:
            k = value["f64"]
            if not isinstance(k, int) or not 0 <= k < n_buffers:
                raise ValidationError(f"buffer {k!r} is not in the body ({n_buffers} buffers)",
                                      field=f"columns.{key}")
            return np.frombuffer(raw, dtype="<f8", count=n, offset=start + k * n * 8)
        return value

    features = columns.get("features", {})
    if isinstance(features, dict):
        columns["features"] = {name: unpack(f"features.{name}", v) for name, v in features.items()}
    for key in list(columns):
        if key != "features":
            columns[key] = unpack(key, columns[key])
    del envelope["n"]
    out: dict[str, Any] = envelope
    return out
