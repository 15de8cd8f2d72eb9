"""Turn a columnar Frame into the float matrix that multivariate tests work on.

The encoder is fitted once on the reference and then transforms any number of windows, so
every window lands in the same coordinates:

- numeric features are standardized with the reference mean and standard deviation
  (``ddof=1``, as alibi-detect's LSDD normalization; a constant feature keeps scale 1); a
  missing value (NaN/None) is replaced by the reference mean, i.e. 0 after standardization;
- categorical features (str/object columns) become one-hot columns over the categories seen
  in the reference, plus one "unseen" column for categories the reference never had; a
  missing categorical value is the all-zero row, so a change in missingness is visible too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Self

import numpy as np
import numpy.typing as npt

from driftline.errors import NotFittedError, ValidationError

__all__ = ["FloatMatrix", "FrameEncoder"]

FloatMatrix = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class _NumericColumn:
    name: str
    mean: float
    scale: float


@dataclass(frozen=True, slots=True)
class _CategoricalColumn:
    name: str
    categories: tuple[str, ...]


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def _is_categorical(arr: npt.NDArray[np.generic]) -> bool:
    if arr.dtype.kind in "US":
        return True
    if arr.dtype == object:
        return any(isinstance(v, str) for v in arr)
    return False


def _numeric(arr: npt.NDArray[np.generic], name: str) -> FloatMatrix:
    if arr.dtype == object:
        arr = np.array([np.nan if v is None else v for v in arr])
    try:
        return np.asarray(arr, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"feature {name!r} is not numeric: {exc}", field=name) from None


class FrameEncoder:
    """Fit on a reference Frame, then map Frames to an ``(n, d)`` float64 matrix.

    ``standardize=False`` leaves numeric features in their own units (missing values are
    still replaced by the reference mean); it exists to compare with tools that do not
    standardize, such as alibi-detect's MMD detector.
    """

    def __init__(self, *, standardize: bool = True) -> None:
        self.standardize = standardize
        self._columns: tuple[_NumericColumn | _CategoricalColumn, ...] | None = None

    @property
    def features(self) -> tuple[str, ...]:
        return tuple(c.name for c in self._fitted())

    @property
    def n_columns(self) -> int:
        """Width ``d`` of the encoded matrix."""
        return sum(
            1 if isinstance(c, _NumericColumn) else len(c.categories) + 1 for c in self._fitted()
        )

    def fit(self, reference: Mapping[str, npt.ArrayLike]) -> Self:
        if not reference:
            raise ValidationError("reference has no features", field="reference")
        columns: list[_NumericColumn | _CategoricalColumn] = []
        for name, arr in self._columns_of(reference, None).items():
            if _is_categorical(arr):
                seen = sorted({str(v) for v in arr if not _is_missing(v)})
                columns.append(_CategoricalColumn(name, tuple(seen)))
                continue
            values = _numeric(arr, name)
            present = values[~np.isnan(values)]
            if present.size == 0:
                raise ValidationError(f"feature {name!r} has no values", field=name)
            std = float(np.std(present, ddof=1)) if present.size > 1 else 0.0
            scale = std if self.standardize and std > 0.0 else 1.0
            mean = float(np.mean(present))
            columns.append(_NumericColumn(name, mean, scale))
        self._columns = tuple(columns)
        return self

    def transform(self, frame: Mapping[str, npt.ArrayLike]) -> FloatMatrix:
        fitted = self._fitted()
        arrays = self._columns_of(frame, tuple(c.name for c in fitted))
        n = len(next(iter(arrays.values())))
        out = np.zeros((n, self.n_columns), dtype=np.float64)
        j = 0
        for col in fitted:
            arr = arrays[col.name]
            if isinstance(col, _NumericColumn):
                values = _numeric(arr, col.name)
                values = np.where(np.isnan(values), col.mean, values)
                shift = col.mean if self.standardize else 0.0
                out[:, j] = (values - shift) / col.scale
                j += 1
                continue
            index = {c: i for i, c in enumerate(col.categories)}
            unseen = len(col.categories)
            for row, value in enumerate(arr):
                if not _is_missing(value):
                    out[row, j + index.get(str(value), unseen)] = 1.0
            j += unseen + 1
        return out

    def _fitted(self) -> tuple[_NumericColumn | _CategoricalColumn, ...]:
        if self._columns is None:
            raise NotFittedError("FrameEncoder.fit must be called before use")
        return self._columns

    @staticmethod
    def _columns_of(
        frame: Mapping[str, npt.ArrayLike], names: tuple[str, ...] | None
    ) -> dict[str, npt.NDArray[np.generic]]:
        wanted = tuple(frame) if names is None else names
        arrays: dict[str, npt.NDArray[np.generic]] = {}
        for name in wanted:
            if name not in frame:
                raise ValidationError(f"feature {name!r} is missing from the frame", field=name)
            arr = np.asarray(frame[name])
            if arr.ndim != 1:
                raise ValidationError(f"feature {name!r} must be 1-D, got {arr.shape}", field=name)
            arrays[name] = arr
        lengths = {len(a) for a in arrays.values()}
        if len(lengths) > 1:
            raise ValidationError(f"features have different lengths: {sorted(lengths)}")
        return arrays
