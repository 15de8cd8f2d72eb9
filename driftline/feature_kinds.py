"""Feature kinds, decided once for ingest, storage and the detectors.

A number (``bool`` included, as 0/1; numpy scalars too) is ``numeric``, a string
``categorical``; ``None`` and NaN are missing (no kind). A column takes the kind of its values:
numeric when every present value is a number, categorical when every one is a string, and
otherwise the kind of its first present value (the row path's rule). A string that looks like a
number ("1.0") is a string: category codes stay categories.

Standard library only: the SDK, ingest and ``driftline.detector`` all import it.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable
from numbers import Real

from driftline.errors import ValidationError

__all__ = ["FeatureKind", "column_kind", "value_kind"]


class FeatureKind(enum.StrEnum):
    """How a feature is stored and tested."""

    NUMERIC = "numeric"
    CATEGORICAL = "categorical"


def value_kind(value: object) -> FeatureKind | None:
    """The kind of one feature value: numbers (bools as 0/1, numpy scalars) are numeric,
    strings categorical; None / NaN are missing (``None``). ``ValidationError`` otherwise.

    Infinite numbers are numeric here; whether they are accepted is the caller's rule.
    """
    if value is None:
        return None
    if isinstance(value, str):
        return FeatureKind.CATEGORICAL
    if isinstance(value, Real) or _is_numpy_number(value):
        return None if math.isnan(float(value)) else FeatureKind.NUMERIC  # type: ignore[arg-type]
    raise ValidationError(f"expected a number, a string or null, got {type(value).__name__}",
                          field="features")


def column_kind(values: Iterable[object]) -> FeatureKind | None:
    """The kind of a feature column (list or 1-d array); ``None`` when no value is present.

    A numpy array of a number or bool dtype is numeric and one of a string dtype categorical
    without looking at its values; otherwise the rule of the module docstring.
    """
    dtype = getattr(values, "dtype", None)
    kind = getattr(dtype, "kind", "O")
    if kind in "biuf":
        return FeatureKind.NUMERIC
    if kind in "US":
        return FeatureKind.CATEGORICAL
    first: FeatureKind | None = None
    for value in values:
        try:
            found = value_kind(value)
        except ValidationError:
            continue
        if first is None:
            first = found
    return first


def _is_numpy_number(value: object) -> bool:
    # numpy scalars (np.float32, np.int64, np.bool_) without importing numpy
    module = type(value).__module__
    kind = getattr(getattr(value, "dtype", None), "kind", None)
    return module == "numpy" and isinstance(kind, str) and len(kind) == 1 and kind in "biuf"
