"""Window aggregates pushed down to ClickHouse: one query, one scan of the window each.

``select`` runs a query; ``table`` is the qualified events table; ``where`` its window
condition. Used by :class:`driftline.storage.events.Events`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from driftline.storage._backend import Columns
from driftline.storage._sql import feature_column
from driftline.storage.dialect import quote

__all__ = ["bin_counts", "category_counts", "numeric_profile"]

_Select = Callable[[str], Columns]


def numeric_profile(select: _Select, table: str, features: Sequence[str], where: str,
                    quantiles: Sequence[float]) -> dict[str, dict[str, float]]:
    exprs = ["count() AS n_rows"]
    levels = ", ".join(repr(float(q)) for q in quantiles)
    for i, name in enumerate(features):
        c = feature_column(name)
        exprs += [f"count({c}) AS n_{i}", f"avg({c}) AS mean_{i}",
                  f"stddevPop({c}) AS std_{i}", f"min({c}) AS min_{i}", f"max({c}) AS max_{i}",
                  # one t-digest per feature for all levels: bounded memory whatever the
                  # window size (quantileExact keeps every value)
                  f"quantilesTDigest({levels})({c}) AS q_{i}"]
    rows = select(f"SELECT {', '.join(exprs)} FROM {table} FINAL WHERE {where}")
    n_rows = int(rows["n_rows"][0])
    out: dict[str, dict[str, float]] = {}
    for i, name in enumerate(features):
        n = int(rows[f"n_{i}"][0])
        stats = {"count": float(n), "nulls": float(n_rows - n)}
        for key in ("mean", "std", "min", "max"):
            stats[key] = _float(rows[f"{key}_{i}"][0]) if n else math.nan
        digest = rows[f"q_{i}"][0]
        for j, q in enumerate(quantiles):
            stats[f"q{q:g}"] = _float(digest[j]) if n else math.nan
        out[name] = stats
    return out


def bin_counts(select: _Select, table: str, edges: Mapping[str, npt.ArrayLike],
               where: str) -> dict[str, npt.NDArray[np.int64]]:
    exprs = []
    for i, (name, cuts) in enumerate(edges.items()):
        c = feature_column(name)
        exprs.append(f"count({c}) AS total_{i}")
        exprs += [f"countIf({c} < {float(e)!r}) AS lt_{i}_{j}"
                  for j, e in enumerate(np.asarray(cuts, dtype=np.float64))]
    rows = select(f"SELECT {', '.join(exprs)} FROM {table} FINAL WHERE {where}")
    out: dict[str, npt.NDArray[np.int64]] = {}
    for i, (name, cuts) in enumerate(edges.items()):
        k = len(np.asarray(cuts))
        cumulative = [int(rows[f"lt_{i}_{j}"][0]) for j in range(k)]
        cumulative.append(int(rows[f"total_{i}"][0]))
        out[name] = np.diff(np.asarray([0, *cumulative], dtype=np.int64)).astype(np.int64)
    return out


def category_counts(select: _Select, table: str, features: Sequence[str],
                    where: str) -> dict[str, dict[str | None, int]]:
    """All features in one scan: ``arrayJoin`` over (feature, value, missing) tuples."""
    if not features:
        return {}
    columns = {f: feature_column(f) for f in features}
    pairs = ", ".join(f"tuple({quote(f)}, ifNull({c}, ''), isNull({c}))"
                      for f, c in columns.items())
    rows = select(
        "SELECT tupleElement(kv, 1) AS feature, tupleElement(kv, 2) AS value,"
        " tupleElement(kv, 3) AS missing, count() AS n FROM (SELECT"
        f" arrayJoin([{pairs}]) AS kv FROM {table} FINAL WHERE {where})"
        " GROUP BY feature, value, missing")
    out: dict[str, dict[str | None, int]] = {f: {} for f in features}
    for feature, value, missing, n in zip(rows["feature"], rows["value"], rows["missing"],
                                          rows["n"], strict=True):
        out[str(feature)][None if missing else str(value)] = int(n)
    return out


def _float(value: Any) -> float:
    return math.nan if value is None else float(value)
