"""Reads of ``events_<model>``: counts, time bounds, raw columns (a deterministic sample on
request) and the aggregates pushed down to ClickHouse. ``Events`` inherits them; every read
uses ``FINAL`` (except ``time_bounds``, where duplicates do not matter)."""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

from driftline.errors import ValidationError
from driftline.ingest.validation import FeatureKind
from driftline.storage import _aggregates
from driftline.storage._backend import Columns
from driftline.storage._sql import feature_column, renamed, window_condition

__all__ = ["EVENT_COLUMNS", "EventReads"]

EVENT_COLUMNS: dict[str, str] = {
    "event_id": "String", "ts": "DateTime('UTC')", "model_version": "String",
    "prediction": "Float64", "prediction_label": "Nullable(String)",
    "prediction_probs": "String", "latency_ms": "Float64", "tags": "String",
    "schema_version": "UInt32",
}


class EventReads(abc.ABC):
    """The read half of ``store.events``."""

    @abc.abstractmethod
    def _table(self, model: str) -> str: ...

    @abc.abstractmethod
    def _select(self, sql: str) -> Columns: ...

    @abc.abstractmethod
    def current_schema(self, model: str) -> object | None: ...

    @abc.abstractmethod
    def known_kinds(self, model: str) -> dict[str, FeatureKind]: ...

    def count(self, model: str, start: float | None = None, end: float | None = None) -> int:
        if self.current_schema(model) is None:
            return 0
        rows = self._select(f"SELECT count() AS n FROM {self._table(model)} FINAL"
                            f" WHERE {window_condition(start, end)}")
        return int(rows["n"][0])

    def schema_version_span(self, model: str, start: float | None,
                            end: float | None) -> tuple[int, int]:
        """(events, highest schema version they were written under) in a window; no FINAL:
        a duplicate carries the same version."""
        rows = self._select(f"SELECT count() AS n, max(schema_version) AS v FROM"
                            f" {self._table(model)} WHERE {window_condition(start, end)}")
        n = int(rows["n"][0])
        return n, int(rows["v"][0]) if n else 0

    def time_bounds(self, model: str) -> tuple[float, float] | None:
        """(first, last) event time of a model; duplicates do not matter, so no FINAL."""
        if self.current_schema(model) is None:
            return None
        rows = self._select(f"SELECT count() AS n, toUnixTimestamp(min(ts)) AS lo,"
                            f" toUnixTimestamp(max(ts)) AS hi FROM {self._table(model)}")
        if not int(rows["n"][0]):
            return None
        return float(rows["lo"][0]), float(rows["hi"][0])

    def read(self, model: str, columns: Sequence[str], start: float | None = None,
             end: float | None = None, *, limit: int | None = None,
             sample_seed: int | None = None, total: int | None = None,
             newest_first: bool = False) -> Columns:
        """Raw columns of a window (feature names or event columns; ``ts`` as epoch seconds),
        in time order (``newest_first``: the latest first, so ``limit`` keeps the latest).

        With ``limit`` and ``sample_seed`` the rows are a deterministic sample: the ``limit``
        rows of smallest ``cityHash64(event_id, seed)``, so the same window and seed always
        give the same rows, wherever the data is stored. Given the window's row count
        (``total``), rows are first filtered on the hash so that only about twice ``limit``
        rows are sorted, not the whole window; the rows picked are the same.
        """
        known = self.known_kinds(model)
        exprs = []
        renames = {"ts_epoch": "ts"}
        for name in dict.fromkeys(columns):
            if name == "ts":
                exprs.append("toUnixTimestamp(ts) AS ts_epoch")
            elif name in EVENT_COLUMNS:
                exprs.append(name)
            elif name in known:
                # no alias: an alias would shadow a column of the same name in this SELECT
                exprs.append(feature_column(name))
                renames[feature_column(name)] = name
            else:
                raise ValidationError(f"model {model!r} has no column {name!r}", field="columns")
        sql = (f"SELECT {', '.join(exprs)} FROM {self._table(model)} FINAL"
               f" WHERE {window_condition(start, end)}")
        order = "ts DESC, event_id DESC" if newest_first else "ts, event_id"
        if limit is not None and sample_seed is not None:
            digest = f"cityHash64(event_id, {int(sample_seed)})"
            order = f" ORDER BY {digest} LIMIT {int(limit)}"
            if total is not None and total > 2 * limit + 1000:
                share = (2 * limit + 1000) / total  # P(fewer than limit pass) is negligible
                cut = min(int(share * 2.0**64), 2**64 - 1)
                picked = renamed(self._select(f"{sql} AND {digest} < {cut}{order}"), renames)
                if len(next(iter(picked.values()), ())) >= limit:
                    return picked
            sql += order
        elif limit is not None:
            sql += f" ORDER BY {order} LIMIT {int(limit)}"
        else:
            sql += f" ORDER BY {order}"
        return renamed(self._select(sql), renames)

    # -- aggregates pushed down (one query each; see driftline.storage._aggregates) -------
    def aggregate(self, model: str, exprs: Sequence[str], start: float | None,
                  end: float | None) -> Columns:
        """One row of aggregate ``exprs`` (each ``expr AS alias``, built from validated names
        and quoted literals by the caller, e.g. ``driftline.validation.sql``) over a window:
        one scan, whatever the number of expressions."""
        return self._select(f"SELECT {', '.join(exprs)} FROM {self._table(model)} FINAL"
                            f" WHERE {window_condition(start, end)}")

    def numeric_profile(self, model: str, features: Sequence[str], start: float | None,
                        end: float | None, quantiles: Sequence[float] = (0.25, 0.5, 0.75),
                        ) -> dict[str, dict[str, float]]:
        """Count, nulls, moments, min/max and t-digest quantiles (``q0.5``) per feature."""
        return _aggregates.numeric_profile(self._select, self._table(model), features,
                                           window_condition(start, end), quantiles)

    def bin_counts(self, model: str, edges: Mapping[str, npt.ArrayLike], start: float | None,
                   end: float | None) -> dict[str, npt.NDArray[np.int64]]:
        """Counts per bin of numeric features: bin ``i`` holds ``edges[i-1] <= x < edges[i]``
        (``numpy.searchsorted(edges, x, side="right")``); missing values are not counted."""
        return _aggregates.bin_counts(self._select, self._table(model), edges,
                                      window_condition(start, end))

    def category_counts(self, model: str, features: Sequence[str], start: float | None,
                        end: float | None) -> dict[str, dict[str | None, int]]:
        """Counts per category (``None``: missing) of categorical features."""
        return _aggregates.category_counts(self._select, self._table(model), features,
                                           window_condition(start, end))

