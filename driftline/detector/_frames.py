"""The one input adapter of every detector: tables of any common shape to named 1-D columns.

Accepted (nothing here imports pandas, pyarrow or polars; each is recognised by its methods):

- a mapping ``{"feature": array-like}`` (lists, numpy arrays, pandas Series...);
- a pandas or polars DataFrame, a pyarrow Table or RecordBatch;
- a numpy structured array (its field names are the features);
- a 2-D numpy array together with ``names`` (one per column).

Feature kinds are decided by ``driftline.feature_kinds``, the rule ingest applies: numbers
(bools as 0/1) are numeric, strings categorical, whatever the strings look like ("1.0" is a
category code, not a number).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from driftline.errors import ValidationError
from driftline.feature_kinds import FeatureKind, column_kind

__all__ = [
    "Columns",
    "FrameLike",
    "as_columns",
    "categorical_values",
    "feature_kind",
    "numeric_values",
]

#: what a detector's ``fit`` and ``score`` accept (see the module docstring)
FrameLike = object
#: the adapter's output: feature name -> 1-D numpy array
Columns = dict[str, npt.NDArray[Any]]


def as_columns(data: FrameLike, *, what: str = "frame", names: Sequence[str] | None = None,
               same_length: bool = True) -> Columns:
    """``data`` as ``{feature: 1-D array}``; ``ValidationError`` (``field=what``) when it is
    not a table, a column is not 1-D, or (unless ``same_length=False``, as for per-feature
    histograms) the columns differ in length."""
    columns = _columns(data, what, names)
    if not same_length:
        return columns
    lengths = {len(v) for v in columns.values()}
    if len(lengths) > 1:
        sizes = {name: len(v) for name, v in columns.items()}
        raise ValidationError(f"{what}: features have different lengths {sizes}", field=what)
    return columns


def _columns(data: object, what: str, names: Sequence[str] | None) -> Columns:
    if isinstance(data, np.ndarray):
        return _from_array(data, what, names)
    if names is not None:
        raise ValidationError(f"{what}: names= is only for a 2-D numpy array", field=what)
    if isinstance(data, Mapping):
        return {str(k): _one_d(str(k), v) for k, v in data.items()}
    column_names = getattr(data, "column_names", None)  # pyarrow Table / RecordBatch
    if column_names is not None and hasattr(data, "column"):
        return {str(n): _one_d(str(n), _arrow_values(data.column(n))) for n in column_names}
    if hasattr(data, "get_column") and hasattr(data, "columns"):  # polars DataFrame
        return {str(n): _one_d(str(n), data.get_column(n).to_numpy()) for n in data.columns}
    if hasattr(data, "columns") and hasattr(data, "__getitem__") and hasattr(data, "dtypes"):
        # pandas DataFrame: missing values (NaN, None, pd.NA) become None in object columns
        return {str(n): _one_d(str(n), _pandas_values(data[n])) for n in data.columns}
    raise ValidationError(
        f"{what} must be a mapping of feature -> column, a pandas / polars DataFrame, a "
        f"pyarrow Table or a 2-D numpy array with names; got {type(data).__name__}",
        field=what)


def _from_array(data: npt.NDArray[Any], what: str, names: Sequence[str] | None) -> Columns:
    if data.dtype.names is not None:
        return {name: _one_d(name, data[name]) for name in data.dtype.names}
    if data.ndim != 2:
        raise ValidationError(f"{what}: a numpy array must be 2-D (rows x features), got "
                              f"shape {data.shape}", field=what)
    if names is None or len(names) != data.shape[1]:
        got = "no names" if names is None else f"{len(names)} names"
        raise ValidationError(f"{what}: a 2-D array of {data.shape[1]} columns needs one name "
                              f"per column (names=...), got {got}", field=what)
    return {str(name): data[:, j] for j, name in enumerate(names)}


def _arrow_values(column: Any) -> npt.NDArray[Any]:
    values: npt.NDArray[Any] = np.asarray(column.to_numpy(zero_copy_only=False))
    if values.dtype == object or values.dtype.kind in "US":
        return values
    if column.null_count:  # numeric nulls as NaN
        values = values.astype(np.float64)
    return values


def _pandas_values(series: Any) -> npt.NDArray[Any]:
    if series.dtype.kind in "biuf":
        return np.asarray(series.to_numpy())
    if str(series.dtype) in ("boolean", "Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16",
                             "UInt32", "UInt64", "Float32", "Float64"):
        return np.asarray(series.to_numpy(dtype=np.float64, na_value=np.nan))
    values = np.array(series.to_numpy(dtype=object), dtype=object)  # a copy: pandas' is read-only
    missing = np.asarray(series.isna().to_numpy(), dtype=bool)
    values[missing] = None
    return values


def _one_d(name: str, values: Any) -> npt.NDArray[Any]:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValidationError(f"feature {name!r} must be 1-D, got shape {arr.shape}", field=name)
    return arr


def feature_kind(values: npt.ArrayLike) -> FeatureKind | None:
    """``numeric`` or ``categorical`` by ingest's rule; ``None`` when no value is present."""
    return column_kind(np.asarray(values))


def numeric_values(feature: str, values: npt.ArrayLike, test: str) -> npt.NDArray[np.float64]:
    """The present values of a numeric column as float64 (None / NaN dropped).

    ``ValidationError`` naming the feature when the column is categorical (strings, including
    numeric-looking ones) or holds something that is not a number.
    """
    arr = np.asarray(values)
    if feature_kind(arr) is FeatureKind.CATEGORICAL:
        raise ValidationError(
            f"feature {feature!r} is categorical (strings) and {test!r} takes numeric features; "
            "use chi2, a distance, or test='auto'", field=feature)
    if arr.dtype == object:
        bad = [v for v in arr.tolist() if v is not None and not _is_number(v)]
        if bad:
            raise ValidationError(f"feature {feature!r} must be numeric for {test!r}: found "
                                  f"{bad[0]!r}", field=feature)
        arr = np.array([np.nan if v is None else float(v) for v in arr.tolist()],
                       dtype=np.float64)
    try:
        floats: npt.NDArray[np.float64] = arr.astype(np.float64, copy=False)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"feature {feature!r} must be numeric for {test!r}: {exc}",
                              field=feature) from None
    return floats[~np.isnan(floats)]


def categorical_values(feature: str, values: npt.ArrayLike, test: str) -> npt.NDArray[Any]:
    """A categorical column as given (missing values kept; the test decides about them).

    ``ValidationError`` naming the feature when the column is numeric: a numeric feature is
    binned only when a test is asked to (its own setting), never read as categories silently.
    """
    arr = np.asarray(values)
    if feature_kind(arr) is FeatureKind.NUMERIC:
        raise ValidationError(
            f"feature {feature!r} is numeric and {test!r} takes categorical features; use ks, "
            "cvm, a distance, or test='auto' (or ask the test to bin numeric features)",
            field=feature)
    return arr


def _is_number(value: object) -> bool:
    try:
        float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    return not isinstance(value, str)
