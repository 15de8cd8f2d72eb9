"""Models, their feature schemas and their events: ``models``, ``feature_schemas`` and one
``events_<model>`` table per model.

``events_<model>`` has one column per feature (``f_<feature>``), so a window aggregate over a
feature reads that column only; it is a ReplacingMergeTree ordered by (ts, event_id), and every
read uses ``FINAL``, so a re-delivered event is never counted twice. Feature schemas are
versioned: a new or missing feature is a new version, never a crash.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from driftline.errors import ValidationError
from driftline.ingest.validation import FeatureKind
from driftline.storage import _aggregates
from driftline.storage._backend import Column, Columns
from driftline.storage._sql import (
    check_model,
    delete_rows,
    events_table,
    feature_column,
    renamed,
    window_condition,
)
from driftline.storage.dialect import quote

if TYPE_CHECKING:
    from driftline.ingest.events import EventBatch
    from driftline.storage.store import Store

__all__ = ["EVENT_COLUMNS", "FEATURE_TYPES", "MODEL_COLUMNS", "SCHEMA_COLUMNS", "Events",
           "FeatureSchema", "ModelInfo", "feature_column"]

FEATURE_TYPES = {FeatureKind.NUMERIC: "Nullable(Float64)",
                 FeatureKind.CATEGORICAL: "Nullable(String)"}
EVENT_COLUMNS: dict[str, str] = {
    "event_id": "String", "ts": "DateTime('UTC')", "model_version": "String",
    "prediction": "Float64", "prediction_label": "Nullable(String)",
    "prediction_probs": "String", "latency_ms": "Float64", "tags": "String",
    "schema_version": "UInt32",
}
MODEL_COLUMNS = {"name": "String", "created_at": "DateTime('UTC')"}
SCHEMA_COLUMNS = {"model": "String", "version": "UInt32", "features": "String",
                  "added": "String", "removed": "String", "created_at": "DateTime('UTC')"}


@dataclass(frozen=True, slots=True)
class FeatureSchema:
    """One version of a model's features and their kinds."""

    model: str
    version: int
    features: dict[str, FeatureKind]
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    created_at: float = 0.0


@dataclass(frozen=True, slots=True)
class ModelInfo:
    name: str
    created_at: float
    schema_version: int
    n_features: int


def _changes(base: Mapping[str, FeatureKind], seen: Mapping[str, FeatureKind],
             carried: set[str]) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """(added, removed) feature names against ``base``; None when nothing changes."""
    added = tuple(sorted(set(seen) - set(base)))
    removed = tuple(sorted(set(base) - carried))
    return (added, removed) if added or removed else None


class Events:
    """``store.events``: models, feature schemas and raw events. Thread-safe."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._schema_lock = threading.Lock()
        self._schemas: dict[str, FeatureSchema] = {}
        self._known: dict[str, tuple[int, dict[str, FeatureKind]]] = {}

    def _table(self, model: str) -> str:
        return self._store.dialect.table(events_table(model))

    def _select(self, sql: str) -> Columns:
        return self._store.backend.select(sql)

    # -- models and schemas ---------------------------------------------------------------
    def list_models(self) -> list[ModelInfo]:
        models = self._select(
            f"SELECT name, toUnixTimestamp(min(created_at)) AS created_at"
            f" FROM {self._store.dialect.table('models')} GROUP BY name ORDER BY name")
        out = []
        for name, created in zip(models["name"], models["created_at"], strict=True):
            schema = self.current_schema(str(name))
            out.append(ModelInfo(str(name), float(created), schema.version if schema else 0,
                                 len(schema.features) if schema else 0))
        return out

    def schema_versions(self, model: str) -> list[FeatureSchema]:
        rows = self._select(
            f"SELECT DISTINCT version, features, added, removed,"
            f" toUnixTimestamp(created_at) AS created_at"
            f" FROM {self._store.dialect.table('feature_schemas')}"
            f" WHERE model = {quote(check_model(model))} ORDER BY version")
        return [
            FeatureSchema(model, int(v), {k: FeatureKind(x) for k, x in json.loads(f).items()},
                          tuple(json.loads(a)), tuple(json.loads(r)), float(c))
            for v, f, a, r, c in zip(rows["version"], rows["features"], rows["added"],
                                     rows["removed"], rows["created_at"], strict=True)
        ]

    def current_schema(self, model: str) -> FeatureSchema | None:
        cached = self._schemas.get(model)
        if cached is not None:
            return cached
        versions = self.schema_versions(model)
        if not versions:
            return None
        self._schemas[model] = versions[-1]
        return versions[-1]

    def evolve_schema(self, model: str, seen: Mapping[str, FeatureKind],
                      sent: Iterable[str] | None = None) -> FeatureSchema:
        """The schema to store a batch under; records a new version when it changes.

        ``seen``: the features with values in the batch, and their kinds; ``sent``: every
        feature name the batch carried, with or without values (default: ``seen``). A feature
        seen for the first time is added (a new column); a registered feature that the batch
        does not carry at all is recorded as removed (its column and history are kept). A
        feature sent with missing values only is neither: missing values are data.
        """
        with self._schema_lock:
            carried = set(seen) if sent is None else set(sent) | set(seen)
            current = self.current_schema(model)
            if current is not None and not _changes(current.features, seen, carried):
                return current
            # something changed: start from what is stored (another writer may have been first)
            self.forget_model(model)
            current = self.current_schema(model)
            if current is None:
                self._create_model(model)
            base = dict(current.features) if current else {}
            added, removed = _changes(base, seen, carried) or ((), ())
            if current is not None and not added and not removed:
                return current
            conflicts = [n for n in seen if n in base and base[n] is not seen[n]]
            if conflicts:
                raise ValidationError(f"features {conflicts} change kind", field="features")
            self._add_columns(model, {name: seen[name] for name in added})
            features = {k: v for k, v in base.items() if k not in removed}
            features.update({name: seen[name] for name in added})
            schema = FeatureSchema(model, (current.version if current else 0) + 1, features,
                                   added, removed, time.time())
            self._store.backend.insert(
                self._store.dialect.table("feature_schemas"),
                {"model": [model], "version": [schema.version],
                 "features": [json.dumps({k: v.value for k, v in features.items()},
                                         sort_keys=True)],
                 "added": [json.dumps(list(added))], "removed": [json.dumps(list(removed))],
                 "created_at": [schema.created_at]},
                SCHEMA_COLUMNS)
            self._schemas[model] = schema
            return schema

    def _create_model(self, model: str) -> None:
        dialect = self._store.dialect
        self._store.backend.execute(dialect.create_table(
            events_table(model), EVENT_COLUMNS, "ReplacingMergeTree()", ("ts", "event_id"),
            partition_by="toYYYYMM(ts)"))
        self._store.backend.insert(dialect.table("models"),
                                   {"name": [model], "created_at": [time.time()]}, MODEL_COLUMNS)

    def _add_columns(self, model: str, kinds: Mapping[str, FeatureKind]) -> None:
        if not kinds:
            return
        dialect = self._store.dialect
        existing = set(self._select(dialect.columns_of(events_table(model)))["name"])
        for name, kind in kinds.items():
            column = feature_column(name)
            if column in existing:  # a removed feature that came back, or another writer
                continue
            self._store.backend.execute(
                dialect.add_column(events_table(model), column, FEATURE_TYPES[kind]))

    def known_kinds(self, model: str) -> dict[str, FeatureKind]:
        """Every feature kind the model ever had (a removed feature keeps its kind).

        Read once per schema version: every window read asks, and the versions change rarely.
        """
        schema = self.current_schema(model)
        if schema is None:
            return {}
        cached = self._known.get(model)
        if cached is None or cached[0] != schema.version:
            kinds: dict[str, FeatureKind] = {}
            for version in self.schema_versions(model):
                kinds.update(version.features)
            cached = self._known[model] = (schema.version, kinds)
        return dict(cached[1])

    def forget_model(self, model: str) -> None:
        """Drop what this process caches about ``model`` (after its tables were changed by
        hand, e.g. dropped); the next read asks the database again."""
        self._schemas.pop(model, None)
        self._known.pop(model, None)

    def forget_all(self) -> None:
        """Drop what this process caches about every model."""
        self._schemas.clear()
        self._known.clear()

    def drop_model(self, model: str) -> None:
        """Delete a model: its events table, its registration and its schema versions."""
        dialect = self._store.dialect
        self._store.backend.execute(dialect.drop_table(events_table(model)))
        delete_rows(self._store, "models", f"name = {quote(model)}")
        delete_rows(self._store, "feature_schemas", f"model = {quote(model)}")
        self.forget_model(model)

    # -- events ---------------------------------------------------------------------------
    def insert(self, batch: EventBatch, schema: FeatureSchema) -> int:
        """Store validated events under ``schema`` (see ``evolve_schema``); returns the count."""
        if not len(batch):
            return 0
        columns: dict[str, Column] = {
            "event_id": batch.event_id, "ts": batch.ts, "model_version": batch.model_version,
            "prediction": batch.prediction, "prediction_label": batch.prediction_label,
            "prediction_probs": batch.prediction_probs, "latency_ms": batch.latency_ms,
            "tags": batch.tags,
            "schema_version": np.full(len(batch), schema.version, dtype=np.uint32),
        }
        types = dict(EVENT_COLUMNS)
        for name, values in batch.features.items():
            col = feature_column(name)
            columns[col] = values
            types[col] = FEATURE_TYPES[batch.kinds[name]]
        self._store.backend.insert(self._table(batch.model), columns, types)
        return len(batch)

    def count(self, model: str, start: float | None = None, end: float | None = None) -> int:
        if self.current_schema(model) is None:
            return 0
        rows = self._select(f"SELECT count() AS n FROM {self._table(model)} FINAL"
                            f" WHERE {window_condition(start, end)}")
        return int(rows["n"][0])

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
