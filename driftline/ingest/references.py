"""Reference profiles: a bounded sample of the training set, stored next to the events.

The training hook (``save_reference``) keeps up to ``max_rows`` rows of the training features
(a seeded sample when the set is larger) in the ``reference_rows`` table, one row per value.
Saving again under the same name stores a new version; ``load_reference`` reads the latest.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from driftline.errors import ValidationError
from driftline.ingest._names import FEATURE_NAME, FEATURE_NAME_RULE, MODEL_NAME, MODEL_NAME_RULE
from driftline.ingest.store import Store, quote_string

__all__ = ["DEFAULT_MAX_ROWS", "list_references", "load_reference", "reference_version",
           "save_reference"]

#: enough for stable univariate tests and MMD samples, small enough to load in milliseconds
DEFAULT_MAX_ROWS = 50_000

_COLUMNS = {"model": "String", "name": "String", "version": "UInt64", "feature": "String",
            "row": "UInt32", "value": "Nullable(Float64)", "category": "Nullable(String)"}


def _table(store: Store) -> str:
    return f"{store.database}.reference_rows"


def _ensure_table(store: Store) -> None:
    cols = ", ".join(f"{k} {v}" for k, v in _COLUMNS.items())
    store._command(f"CREATE TABLE IF NOT EXISTS {_table(store)} ({cols}) ENGINE = MergeTree()"
                   " ORDER BY (model, name, version, feature, row)")


def _check(model: str, name: str) -> None:
    if not MODEL_NAME.match(model):
        raise ValidationError(f"model name {model!r} must be {MODEL_NAME_RULE}",
                              field="model")
    if not FEATURE_NAME.match(name):
        raise ValidationError(f"reference name {name!r} must be {FEATURE_NAME_RULE}",
                              field="name")


def save_reference(store: Store, model: str, frame: Mapping[str, npt.ArrayLike], *,
                   name: str = "training", max_rows: int = DEFAULT_MAX_ROWS,
                   seed: int = 0) -> int:
    """Store the reference ``frame`` (feature -> column); returns the version saved."""
    _check(model, name)
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
    _ensure_table(store)
    version = time.time_ns()
    data: dict[str, list[Any]] = {k: [] for k in _COLUMNS}
    for feature, values in columns.items():
        picked = values[rows]
        numeric = picked.dtype.kind in "fiub"
        data["feature"] += [feature] * len(picked)
        data["row"] += list(range(len(picked)))
        if numeric:
            as_float = picked.astype(np.float64)
            data["value"] += [None if np.isnan(v) else float(v) for v in as_float]
            data["category"] += [None] * len(picked)
        else:
            data["value"] += [None] * len(picked)
            data["category"] += [None if v is None else str(v) for v in picked]
    total = len(data["feature"])
    data["model"] = [model] * total
    data["name"] = [name] * total
    data["version"] = [version] * total
    store._insert(_table(store), data, _COLUMNS)
    return version


def load_reference(store: Store, model: str, name: str = "training") -> dict[str, Any]:
    """The latest stored reference as a frame (numeric -> float64, categorical -> object)."""
    _check(model, name)
    _ensure_table(store)
    where = f"model = {quote_string(model)} AND name = {quote_string(name)}"
    rows = store._select(
        f"SELECT feature, row, value, category, isNull(value) AS no_value FROM {_table(store)}"
        f" WHERE {where} AND version = (SELECT max(version) FROM {_table(store)}"
        f" WHERE {where}) ORDER BY feature, row")
    if not len(rows["feature"]):
        raise ValidationError(f"model {model!r} has no stored reference {name!r}; save one with "
                              "driftline.save_reference (the training hook)", field="reference")
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


def reference_version(store: Store, model: str, name: str = "training") -> int | None:
    """The latest stored version of a reference (None when there is none)."""
    _check(model, name)
    _ensure_table(store)
    rows = store._select(f"SELECT max(version) AS v, count() AS n FROM {_table(store)}"
                         f" WHERE model = {quote_string(model)} AND name = {quote_string(name)}")
    return int(rows["v"][0]) if int(rows["n"][0]) else None


def list_references(store: Store, model: str) -> list[str]:
    _check(model, "training")
    _ensure_table(store)
    rows = store._select(f"SELECT DISTINCT name FROM {_table(store)}"
                         f" WHERE model = {quote_string(model)} ORDER BY name")
    return [str(n) for n in rows["name"]]
