"""A pandas DataFrame as a columnar batch (numpy arrays, no per-row Python).

pandas is imported when called; the feature kind of each column follows
``driftline.ingest.validation.column_kind`` (numeric and boolean dtypes are numeric).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["frame_columns"]


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
