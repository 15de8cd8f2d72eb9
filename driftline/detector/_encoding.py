"""Turn a table into the float matrix that multivariate tests work on.

Any input the adapter ``driftline.detector._frames.as_columns`` reads (a mapping of columns,
a pandas / polars DataFrame, a pyarrow Table, a structured or a named 2-D numpy array) is
accepted; all columns must have the same length (rows are compared as rows). The kind of each
feature is ingest's rule, ``feature_kind``: numbers (bools as 0/1) are numeric, strings are
categories, whatever they look like ("1.0" is a category code). The encoder is fitted once on
the reference and then transforms any number of windows, so every window lands in the same
coordinates:

- numeric features are standardized with the reference mean and standard deviation
  (``ddof=1``, as alibi-detect's LSDD normalization; a constant feature keeps scale 1); a
  missing value (NaN/None) is replaced by the reference mean, i.e. 0 after standardization;
- categorical features become one-hot columns over the categories seen in the reference, plus
  one "unseen" column for categories the reference never had; a missing categorical value is
  the all-zero row, so a change in missingness is visible too;
- a feature with no value at all in the reference (e.g. a reference of 0 rows, or a column
  that is always missing) is one indicator column, "a value is present" (0 in the reference),
  so that values appearing later move the window away from the reference.

A window whose feature has the other kind than in the reference (strings where the reference
had numbers, or numbers where it had categories) is a ``ValidationError`` naming the feature;
an all-missing window column fits either kind.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Self

import numpy as np
import numpy.typing as npt

from driftline.detector._frames import Columns, FrameLike, as_columns, feature_kind
from driftline.errors import NotFittedError, ValidationError
from driftline.feature_kinds import FeatureKind

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


@dataclass(frozen=True, slots=True)
class _EmptyColumn:
    """A feature the reference never had a value for: one "value present" indicator."""

    name: str


_Column = _NumericColumn | _CategoricalColumn | _EmptyColumn


def _width(col: _Column) -> int:
    if isinstance(col, _CategoricalColumn):
        return len(col.categories) + 1
    return 1


def _kind(values: npt.NDArray[Any]) -> FeatureKind | None:
    """``feature_kind``, except that a float column holding only NaN has no kind."""
    if values.dtype.kind == "f" and not np.any(~np.isnan(values)):
        return None
    return feature_kind(values)


def _missing_mask(values: npt.NDArray[Any]) -> npt.NDArray[np.bool_]:
    if values.dtype.kind == "f":
        mask: npt.NDArray[np.bool_] = np.isnan(values)
        return mask
    if values.dtype == object:
        return np.fromiter(
            (v is None or (isinstance(v, float) and v != v) for v in values.tolist()),
            dtype=bool, count=len(values))
    return np.zeros(len(values), dtype=bool)


def _numeric(name: str, values: npt.NDArray[Any]) -> FloatMatrix:
    """A numeric column as float64 with missing values as NaN (rows kept in place)."""
    if values.dtype == object:
        items = values.tolist()
        bad = [v for v in items
               if v is not None and (isinstance(v, str) or not _is_number(v))]
        if bad:
            raise ValidationError(f"feature {name!r} must be numeric: found {bad[0]!r}",
                                  field=name)
        values = np.array([np.nan if v is None else float(v) for v in items], dtype=np.float64)
    try:
        out = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"feature {name!r} must be numeric: {exc}", field=name) from None
    if np.isinf(out).any():
        raise ValidationError(f"feature {name!r} has infinite values", field=name)
    return out


def _is_number(value: object) -> bool:
    try:
        float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    return True


class FrameEncoder:
    """Fit on a reference table, then map tables to an ``(n, d)`` float64 matrix.

    ``standardize=True`` (default) puts numeric features in reference standard deviations;
    ``standardize=False`` leaves them in their own units (missing values are still replaced
    by the reference mean); it exists to compare with tools that do not standardize, such as
    alibi-detect's MMD detector.
    """

    def __init__(self, *, standardize: bool = True) -> None:
        self.standardize = standardize
        self._columns: tuple[_Column, ...] | None = None

    @property
    def features(self) -> tuple[str, ...]:
        return tuple(c.name for c in self._fitted())

    @property
    def n_columns(self) -> int:
        """Width ``d`` of the encoded matrix."""
        return sum(_width(c) for c in self._fitted())

    def fit(self, reference: FrameLike) -> Self:
        """Learn the encoding from ``reference``; ``ValidationError`` when it is not a table,
        has no features, or a column cannot be read."""
        self.fit_columns(self.columns(reference, "reference"))
        return self

    def fit_transform(self, reference: FrameLike) -> FloatMatrix:
        """``fit(reference)`` then ``transform(reference)``, reading the input once."""
        columns = self.columns(reference, "reference")
        self.fit_columns(columns)
        return self.transform_columns(columns, what="reference")

    def transform(self, frame: FrameLike, *, what: str = "window") -> FloatMatrix:
        """The encoded rows of ``frame`` (``what`` names it in errors)."""
        return self.transform_columns(self.columns(frame, what), what=what)

    @staticmethod
    def columns(frame: FrameLike, what: str) -> Columns:
        """``frame`` through the input adapter, all columns of one length."""
        return as_columns(frame, what=what, same_length=True)

    @staticmethod
    def n_rows(columns: Columns) -> int:
        return len(next(iter(columns.values()))) if columns else 0

    def fit_columns(self, columns: Columns) -> Self:
        if not columns:
            raise ValidationError("reference has no features", field="reference")
        fitted: list[_Column] = []
        for name, arr in columns.items():
            kind = _kind(arr)
            if kind is FeatureKind.CATEGORICAL:
                missing = _missing_mask(arr)
                seen = sorted({str(v) for v in arr[~missing].tolist()})
                fitted.append(_CategoricalColumn(name, tuple(seen)))
                continue
            if kind is None:
                fitted.append(_EmptyColumn(name))
                continue
            values = _numeric(name, arr)
            present = values[~np.isnan(values)]
            if present.size == 0:
                fitted.append(_EmptyColumn(name))
                continue
            std = float(np.std(present, ddof=1)) if present.size > 1 else 0.0
            scale = std if self.standardize and std > 0.0 else 1.0
            fitted.append(_NumericColumn(name, float(np.mean(present)), scale))
        self._columns = tuple(fitted)
        return self

    def transform_columns(self, columns: Columns, rows: Sequence[int] | npt.NDArray[np.int64]
                          | None = None, *, what: str = "window") -> FloatMatrix:
        """Encode ``columns`` (adapter output), only the given ``rows`` when set."""
        fitted = self._fitted()
        absent = [c.name for c in fitted if c.name not in columns]
        if absent:
            raise ValidationError(f"{what} lacks fitted feature(s) {absent}", field=absent[0])
        n = self.n_rows({c.name: columns[c.name] for c in fitted})
        index = None if rows is None else np.asarray(rows, dtype=np.int64)
        out = np.zeros((n if index is None else len(index), self.n_columns), dtype=np.float64)
        j = 0
        for col in fitted:
            arr = columns[col.name]
            if index is not None:
                arr = arr[index]
            self._encode_column(col, arr, out, j)
            j += _width(col)
        return out

    def _encode_column(self, col: _Column, arr: npt.NDArray[Any], out: FloatMatrix,
                       j: int) -> None:
        kind = _kind(arr)
        if isinstance(col, _EmptyColumn):
            out[:, j] = ~_missing_mask(arr)
            return
        expected = (FeatureKind.NUMERIC if isinstance(col, _NumericColumn)
                    else FeatureKind.CATEGORICAL)
        if kind is not None and kind is not expected:
            raise ValidationError(
                f"feature {col.name!r} is {expected} in the reference but {kind} here",
                field=col.name)
        if isinstance(col, _NumericColumn):
            values = np.full(len(arr), np.nan) if kind is None else _numeric(col.name, arr)
            values = np.where(np.isnan(values), col.mean, values)
            shift = col.mean if self.standardize else 0.0
            out[:, j] = (values - shift) / col.scale
            return
        if kind is None:
            return  # all missing: the all-zero rows
        index = {c: i for i, c in enumerate(col.categories)}
        unseen = len(col.categories)
        missing = _missing_mask(arr)
        codes = np.fromiter(
            (-1 if miss else index.get(str(v), unseen)
             for v, miss in zip(arr.tolist(), missing.tolist(), strict=True)),
            dtype=np.int64, count=len(arr))
        present = np.flatnonzero(codes >= 0)
        out[present, j + codes[present]] = 1.0

    def _fitted(self) -> tuple[_Column, ...]:
        if self._columns is None:
            raise NotFittedError("FrameEncoder.fit must be called before use")
        return self._columns
