"""What columnar validation is made of: the batch's shape, the rows still good, and numpy
views of a column (numbers, strings, nulls). Used by ``driftline.ingest.columnar``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from driftline.errors import ValidationError
from driftline.ingest.events import MAX_FEATURES, Rejection
from driftline.ingest.validation import FeatureKind

__all__ = [
    "CATEGORICAL",
    "COLUMNS",
    "F64",
    "NUMERIC",
    "Mask",
    "Rows",
    "all_strings",
    "as_numbers",
    "as_objects",
    "column_length",
    "column_size",
    "infer_array",
    "is_column",
    "null_mask",
    "present_mask",
    "take",
    "value_at",
]

#: the keys a columnar batch may have
COLUMNS = ("event_id", "timestamp", "model_version", "prediction", "prediction_label",
           "latency_ms", "tags", "features")
_NUMBER_KINDS = "fiub"
_NUMBER_TYPES = frozenset({float, int, bool, type(None), np.float64, np.float32, np.float16,
                           np.int64, np.int32, np.int16, np.int8, np.uint64, np.uint32,
                           np.uint16, np.uint8, np.bool_})
_STRING_TYPES = frozenset({str, type(None)})
NUMERIC = FeatureKind.NUMERIC
CATEGORICAL = FeatureKind.CATEGORICAL

F64 = npt.NDArray[np.float64]
Mask = npt.NDArray[np.bool_]


def is_column(values: object) -> bool:
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
                lengths[f"features.{name}"] = column_size(f"features.{name}", feature)
        elif key == "model_version" and (values is None or isinstance(values, str)):
            continue
        elif values is not None:
            lengths[key] = column_size(key, values)
    if not lengths:
        return 0
    (first, n), *others = lengths.items()
    for key, length in others:
        if length != n:
            raise ValidationError(f"column {key!r} has {length} values but {first!r} has {n}",
                                  field=f"columns.{key}")
    return n


def column_size(key: str, values: object) -> int:
    if not is_column(values):
        raise ValidationError(f"expected an array, got {type(values).__name__}",
                              field=f"columns.{key}")
    if isinstance(values, np.ndarray) and values.ndim != 1:
        raise ValidationError(f"expected a 1-d array, got shape {values.shape}",
                              field=f"columns.{key}")
    return len(values)  # type: ignore[arg-type]


class Rows:
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


def value_at(values: Any, index: int) -> Any:
    """A value as the client sent it (numpy scalars as Python ones), for messages."""
    value = values[index]
    item = getattr(value, "item", None)
    return item() if callable(item) else value


def infer_array(values: Any) -> npt.NDArray[Any] | None:
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


def as_numbers(values: Any) -> F64 | None:
    """Numbers and nulls as float64 (null -> NaN), or None when there is anything else."""
    array = infer_array(values)
    if array is not None and array.dtype.kind in _NUMBER_KINDS:
        return array.astype(np.float64, copy=False)
    if (array is None or array.dtype.kind == "O") and set(map(type, values)) <= _NUMBER_TYPES:
        return np.array(values, dtype=np.float64)
    return None


def all_strings(values: Any) -> bool:
    """True when every value is a string or null."""
    if isinstance(values, np.ndarray):
        return values.dtype.kind == "U" or (
            values.dtype.kind == "O" and set(map(type, values)) <= _STRING_TYPES)
    return set(map(type, values)) <= _STRING_TYPES


def as_objects(values: Any) -> npt.NDArray[Any]:
    if isinstance(values, np.ndarray) and values.dtype.kind == "O":
        return values
    out = np.empty(len(values), dtype=object)
    out[:] = values.tolist() if isinstance(values, np.ndarray) else values
    return out


def null_mask(values: npt.NDArray[Any]) -> Mask:
    """Where an object array holds None."""
    nulls: Mask = values == None  # noqa: E711 - elementwise on an object array
    return nulls


def present_mask(values: Any) -> Mask:
    """Rows where a str/None column has a value."""
    return ~null_mask(as_objects(values))


def take(values: Any, ok: Mask) -> npt.NDArray[Any]:
    if isinstance(values, np.ndarray):
        return values[ok]
    return as_objects(values)[ok]
