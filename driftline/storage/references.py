"""Reference profiles: a bounded sample of the training set, stored next to the events.

The ``reference_rows`` table holds up to ``max_rows`` rows of the training features (a seeded
sample when the set is larger), one row per value. Saving again under the same name stores a
new version (its ``time_ns``); ``load`` reads the latest.
"""

from __future__ import annotations

import builtins
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from driftline.errors import NotFoundError, ValidationError
from driftline.ingest.validation import FEATURE_NAME, FEATURE_NAME_RULE
from driftline.storage._sql import check_model, delete_rows
from driftline.storage.dialect import quote

if TYPE_CHECKING:
    from driftline.storage.store import Store

__all__ = ["DEFAULT_MAX_ROWS", "REFERENCE_COLUMNS", "REFERENCE_ORDER", "References"]

#: enough for stable univariate tests and MMD samples, small enough to load in milliseconds
DEFAULT_MAX_ROWS = 50_000

REFERENCE_COLUMNS = {"model": "String", "name": "String", "version": "UInt64",
                     "feature": "String", "row": "UInt32", "value": "Nullable(Float64)",
                     "category": "Nullable(String)"}
REFERENCE_ORDER = ("model", "name", "version", "feature", "row")


def _check(model: str, name: str) -> None:
    check_model(model)
    if not FEATURE_NAME.match(name):
        raise ValidationError(f"reference name {name!r} must be {FEATURE_NAME_RULE}",
                              field="name")


class References:
    """``store.references``: save and load training profiles."""

    def __init__(self, store: Store) -> None:
        self._store = store

    @property
    def _table(self) -> str:
        return self._store.dialect.table("reference_rows")

    def save(self, model: str, frame: Mapping[str, npt.ArrayLike], *, name: str = "training",
             max_rows: int | None = None, seed: int = 0) -> int:
        """Store the reference ``frame`` (feature -> column); returns the version saved.

        At most ``max_rows`` rows (default ``DEFAULT_MAX_ROWS``): a sample drawn with
        ``seed`` when the frame has more.
        """
        _check(model, name)
        max_rows = DEFAULT_MAX_ROWS if max_rows is None else max_rows
        columns = {k: np.asarray(v) for k, v in frame.items()}
        lengths = {len(v) for v in columns.values()}
        if len(lengths) != 1:
            raise ValidationError(f"reference columns differ in length: {sorted(lengths)}",
                                  field="frame")
        for feature in columns:
            if not FEATURE_NAME.match(feature):
                raise ValidationError(f"feature name {feature!r} must be {FEATURE_NAME_RULE}",
                                      field=f"frame.{feature}")
        n = lengths.pop()
        rows = np.arange(n)
        if n > max_rows:
            rows = np.sort(np.random.default_rng(seed).choice(n, max_rows, replace=False))
        features: builtins.list[str] = []
        row: builtins.list[int] = []
        values: builtins.list[npt.NDArray[np.float64]] = []
        categories: builtins.list[str | None] = []
        for feature, column in columns.items():
            picked = column[rows]
            features += [feature] * len(picked)
            row += range(len(picked))
            if picked.dtype.kind in "fiub":
                values.append(picked.astype(np.float64))
                categories += [None] * len(picked)
            else:
                values.append(np.full(len(picked), np.nan))
                categories += [None if v is None else str(v) for v in picked]
        total = len(features)
        version = time.time_ns()
        self._store.backend.insert(self._table, {
            "model": [model] * total, "name": [name] * total, "version": [version] * total,
            "feature": features, "row": row,
            "value": np.concatenate(values) if values else np.empty(0),
            "category": categories,
        }, REFERENCE_COLUMNS)
        return version

    def load(self, model: str, name: str = "training") -> dict[str, Any]:
        """The latest stored reference as a frame (numeric -> float64, categorical -> object).

        Raises ``NotFoundError`` when the model has no reference of that name.
        """
        _check(model, name)
        where = f"model = {quote(model)} AND name = {quote(name)}"
        rows = self._store.backend.select(
            f"SELECT feature, row, value, category FROM {self._table}"
            f" WHERE {where} AND version = (SELECT max(version) FROM {self._table}"
            f" WHERE {where}) ORDER BY feature, row")
        if not len(rows["feature"]):
            raise NotFoundError(f"model {model!r} has no stored reference {name!r}; save one "
                                "with driftline.ingest.references.save_reference (the "
                                "training hook)", what="reference", name=name)
        frame: dict[str, Any] = {}
        features = rows["feature"]
        for feature in dict.fromkeys(features):
            mask = features == feature
            categories = rows["category"][mask]
            if all(c is None for c in categories):
                frame[str(feature)] = np.asarray(rows["value"][mask], dtype=np.float64)
            else:
                frame[str(feature)] = categories
        return frame

    def version(self, model: str, name: str = "training") -> int | None:
        """The latest stored version of a reference (None when there is none)."""
        _check(model, name)
        rows = self._store.backend.select(
            f"SELECT max(version) AS v, count() AS n FROM {self._table}"
            f" WHERE model = {quote(model)} AND name = {quote(name)}")
        return int(rows["v"][0]) if int(rows["n"][0]) else None

    def list(self, model: str) -> builtins.list[str]:
        """The names of a model's stored references, sorted."""
        check_model(model)
        rows = self._store.backend.select(f"SELECT DISTINCT name FROM {self._table}"
                                          f" WHERE model = {quote(model)} ORDER BY name")
        return [str(n) for n in rows["name"]]

    def drop_model(self, model: str) -> None:
        """Delete every stored reference of ``model``."""
        delete_rows(self._store, "reference_rows", f"model = {quote(check_model(model))}")
