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

from driftline.errors import ValidationError
from driftline.ingest._column_values import (
    CATEGORICAL,
    COLUMNS,
    F64,
    NUMERIC,
    Mask,
    Rows,
    all_strings,
    as_numbers,
    as_objects,
    column_length,
    infer_array,
    null_mask,
    present_mask,
    take,
    value_at,
)
from driftline.ingest.events import (
    DEFAULT_LIMITS,
    EventBatch,
    IngestLimits,
    Rejection,
    _event_id,
    _feature_value,
    _prediction,
    _tags,
)
from driftline.ingest.validation import (
    FEATURE_NAME_RULE,
    MAX_TIMESTAMP,
    MIN_TIMESTAMP,
    FeatureKind,
    check_model_name,
    is_feature_name,
    parse_timestamp,
)

__all__ = ["COLUMNS", "column_length", "frame_columns", "validate_columns"]


def validate_columns(
    model: str,
    columns: Mapping[str, Any],
    known_kinds: Mapping[str, FeatureKind],
    *,
    now: float | None = None,
    limits: IngestLimits = DEFAULT_LIMITS,
) -> tuple[EventBatch, list[Rejection]]:
    """Validate a columnar batch of ``model``: (the good rows as one batch, the rejections).

    ``known_kinds`` are the model's registered feature kinds: a value of another kind rejects
    its row; a new feature's kind is that of its values (a column mixing numbers and strings
    takes the kind of its first value, as the row path does). Raises ``ValidationError`` for
    what is wrong with the batch as a whole (bad model name, unknown column, lengths differ).
    ``limits``: see ``IngestLimits`` (a row is rejected, naming the field).
    """
    check_model_name(model)
    n = column_length(columns)
    rows = Rows(n)
    now = time.time() if now is None else now

    event_id = _event_ids(columns.get("event_id"), rows)
    ts = _timestamps(columns.get("timestamp"), rows, now)
    version = _versions(columns.get("model_version"), rows)

    features: dict[str, tuple[FeatureKind, Any, Mask]] = {}
    raw_features: Mapping[str, Any] = columns.get("features") or {}
    for name, values in raw_features.items():
        if not is_feature_name(name):
            _bad_feature_name(name, values, rows)
            continue
        found = _feature(name, values, known_kinds.get(name), rows, limits)
        if found is not None:
            features[name] = found
    _keep_within_feature_limit(model, features, known_kinds, rows, limits)

    prediction, label, probs = _predictions(columns.get("prediction"), rows, limits)
    label = _labels(columns.get("prediction_label"), label, rows, limits)
    latency = _latencies(columns.get("latency_ms"), rows)
    tags = _tag_column(columns.get("tags"), rows, limits)

    ok = rows.ok
    everything = bool(ok.all())
    keep: Callable[[Any], Any] = (lambda c: c) if everything else (lambda c: take(c, ok))
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
                  if is_feature_name(name)}
    for name, (kind, values, present) in features.items():
        if bool(present.any() if everything else (present & ok).any()):
            batch.features[name] = keep(values)
            batch.kinds[name] = kind
    rows.rejections.sort(key=lambda r: r.index)
    return batch, rows.rejections


_id_prefix = os.urandom(6).hex()
_id_calls = itertools.count(1)  # next() is atomic: concurrent requests never share a number


def _new_ids(n: int) -> npt.NDArray[Any]:
    """Unique ids: a random per-process prefix, a per-call number and a row counter."""
    prefix = f"{_id_prefix}{next(_id_calls):x}-"
    return np.strings.add(prefix, np.arange(n).astype(np.str_)).astype(object)


def _event_ids(values: Any, rows: Rows) -> Any:
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
    ids = as_objects(values).copy()
    for i in range(len(ids)):
        try:
            ids[i] = _event_id(value_at(ids, i))
        except ValidationError as bad:
            ids[i] = None
            rows.reject(i, bad.field or "", bad.message)
    rows.ids = ids.copy()  # rejections name the ids the client gave, not generated ones
    fresh = null_mask(ids)
    if fresh.any():
        ids[fresh] = _new_ids(int(fresh.sum()))
    return ids


def _timestamps(values: Any, rows: Rows, now: float) -> F64:
    if values is None:
        return np.full(rows.n, now, dtype=np.float64)
    array = infer_array(values)
    if array is not None and array.dtype.kind == "M":
        ts = array.astype("datetime64[ns]").astype(np.int64) / 1e9
        ts[np.isnat(array)] = now
    elif array is not None and array.dtype.kind in "fiu":
        ts = array.astype(np.float64, copy=False)
    else:  # ISO strings, nulls, datetimes: one by one, as the row path
        ts = np.empty(rows.n, dtype=np.float64)
        for i in range(rows.n):
            try:
                ts[i] = parse_timestamp(value_at(values, i), now=now)
            except ValidationError as bad:
                ts[i] = now
                rows.reject(i, bad.field or "", bad.message)
        return ts
    with np.errstate(invalid="ignore"):
        outside = ~((ts >= MIN_TIMESTAMP) & (ts < MAX_TIMESTAMP))
    if outside.any():
        rows.reject_where(outside, "timestamp", lambda i: (
            f"timestamp {value_at(values, i)!r} is outside 2000-01-01..2100-01-01 "
            "(epoch seconds expected, not milliseconds)"))
    return ts


def _versions(values: Any, rows: Rows) -> Any:
    if values is None:
        return ""
    if isinstance(values, str):
        if len(values) > 128:
            raise ValidationError(f"expected a string of at most 128 chars, got {values!r}",
                                  field="columns.model_version")
        return values
    if set(map(type, values)) == {str} and max(map(len, values)) <= 128:
        return values
    out = as_objects(values).copy()
    for i, value in enumerate(out):
        if value is None:
            out[i] = ""
        elif not isinstance(value, str) or len(value) > 128:
            out[i] = ""
            rows.reject(i, "model_version",
                        f"expected a string of at most 128 chars, got {value!r}")
    return out


def _bad_feature_name(name: object, values: Any, rows: Rows) -> None:
    reason = f"feature name {name!r} must be {FEATURE_NAME_RULE}"
    for i in range(rows.n):
        value = values[i]
        if value is not None and value == value:  # a value (not null, not NaN)
            rows.reject(i, f"features.{name}", reason)


def _kind_reason(expected: FeatureKind, values: Any) -> Callable[[int], str]:
    return lambda i: (f"expected a {expected.value} value (as registered), "
                      f"got {value_at(values, i)!r}")


def _keep_within_feature_limit(model: str, features: dict[str, tuple[FeatureKind, Any, Mask]],
                               known: Mapping[str, FeatureKind], rows: Rows,
                               limits: IngestLimits) -> None:
    """Drop the new features past ``max_features`` (in the order sent), rejecting the rows
    that have a value for one."""
    fresh = [name for name, (_, _, present) in features.items()
             if name not in known and bool((present & rows.ok).any())]
    room = max(limits.max_features - len(known), 0)
    if len(fresh) <= room:
        return
    reason = limits.too_many(model, len(known) + len(fresh))
    for name in fresh[room:]:
        rows.reject_where(features.pop(name)[2], f"features.{name}", lambda _: reason)


def _reject_long_strings(values: Any, field: str, rows: Rows, limits: IngestLimits) -> None:
    """Reject the rows whose string in ``values`` (str/None) is longer than the limit."""
    if isinstance(values, np.ndarray) and values.dtype.kind == "U":
        lengths = np.strings.str_len(values)
    else:
        lengths = np.fromiter((len(v) if isinstance(v, str) else 0 for v in values),
                              dtype=np.int64, count=len(values))
    too_long = lengths > limits.max_string_length
    if too_long.any():
        rows.reject_where(too_long, field,
                          lambda i: limits.too_long(str(value_at(values, i))) or "")


def _feature(name: str, values: Any, known: FeatureKind | None,
             rows: Rows, limits: IngestLimits = DEFAULT_LIMITS
             ) -> tuple[FeatureKind, Any, Mask] | None:
    """(kind, stored column, rows with a value) of one feature column; None if all missing."""
    field = f"features.{name}"
    numbers = as_numbers(values)
    if numbers is not None:
        missing = np.isnan(numbers)
        infinite = np.isinf(numbers)
        if infinite.any():
            rows.reject_where(infinite, field,
                              lambda i: f"expected a finite number, got {value_at(values, i)!r}")
            numbers = np.where(infinite, np.nan, numbers)
            missing |= infinite
        present = ~missing
        if known is CATEGORICAL:
            rows.reject_where(present, field, _kind_reason(CATEGORICAL, values))
            return None
        return NUMERIC, numbers, present
    if all_strings(values):
        present = present_mask(values)
        if known is NUMERIC:
            rows.reject_where(present, field, _kind_reason(NUMERIC, values))
            return None
        _reject_long_strings(values, field, rows, limits)
        return CATEGORICAL, values, present
    return _mixed_feature(name, values, known, rows, limits)


def _mixed_feature(name: str, values: Any, known: FeatureKind | None,
                   rows: Rows, limits: IngestLimits = DEFAULT_LIMITS
                   ) -> tuple[FeatureKind, Any, Mask] | None:
    """A column of mixed types, value by value with the row path's rules."""
    field = f"features.{name}"
    kinds: list[FeatureKind | None] = []
    parsed: list[Any] = []
    for i in range(rows.n):
        try:
            kind, value = _feature_value(name, value_at(values, i), limits)
        except ValidationError as bad:
            rows.reject(i, bad.field or "", bad.message)
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
    if expected is NUMERIC:
        column: Any = np.array([math.nan if v is None else v for v in parsed], dtype=np.float64)
    else:
        column = as_objects(parsed)
    return expected, column, present


def _predictions(values: Any, rows: Rows, limits: IngestLimits = DEFAULT_LIMITS
                 ) -> tuple[F64, Any, Any]:
    """(number, label or None, probabilities JSON or None) columns."""
    if values is None:
        return np.full(rows.n, math.nan), None, None
    numbers = as_numbers(values)
    if numbers is not None:
        infinite = np.isinf(numbers)
        if infinite.any():
            rows.reject_where(infinite, "prediction",
                              lambda i: f"expected a finite number, got {value_at(values, i)!r}")
        return numbers, None, None
    number = np.empty(rows.n, dtype=np.float64)
    label = np.empty(rows.n, dtype=object)
    probs = np.empty(rows.n, dtype=object)
    for i in range(rows.n):
        try:
            number[i], label[i], probs[i] = _prediction(value_at(values, i), limits)
        except ValidationError as bad:
            number[i], label[i], probs[i] = math.nan, None, ""
            rows.reject(i, bad.field or "", bad.message)
    return number, label, probs


def _labels(values: Any, derived: Any, rows: Rows, limits: IngestLimits = DEFAULT_LIMITS
            ) -> Any:
    """The ``prediction_label`` column, where given, over the labels of class predictions."""
    if values is None:
        return derived
    _reject_long_strings(values, "prediction_label", rows, limits)
    if not all_strings(values):
        out = as_objects(values).copy()
        for i, value in enumerate(out):
            if value is not None and not isinstance(value, str):
                out[i] = None
                rows.reject(i, "prediction_label", f"expected a string or null, got {value!r}")
        values = out
    if derived is None:
        return values
    merged = as_objects(values).copy()
    missing = null_mask(merged)
    merged[missing] = derived[missing]
    return merged


def _latencies(values: Any, rows: Rows) -> F64:
    if values is None:
        return np.full(rows.n, math.nan)
    numbers = as_numbers(values)
    if numbers is None:
        numbers = np.full(rows.n, math.nan)
        for i in range(rows.n):
            value = value_at(values, i)
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
                          lambda i: f"expected a non-negative number, got {value_at(values, i)!r}")
    return numbers


def _tag_column(values: Any, rows: Rows, limits: IngestLimits = DEFAULT_LIMITS) -> Any:
    if values is None:
        return None
    out = np.empty(rows.n, dtype=object)
    for i in range(rows.n):
        value = value_at(values, i)
        try:
            out[i] = _tags(value, limits) if value else ""
        except ValidationError as bad:
            out[i] = ""
            rows.reject(i, bad.field or "", bad.message)
    return out


def frame_columns(df: Any, **names: str | None) -> dict[str, Any]:
    """Deprecated alias of ``driftline.ingest.frames.frame_columns``."""
    from driftline.ingest.frames import frame_columns as convert

    return convert(df, **names)
