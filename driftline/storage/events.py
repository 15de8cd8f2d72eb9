"""Models, their feature schemas and their events: ``models``, ``feature_schemas`` and one
``events_<model>`` table per model.

``events_<model>`` has one column per feature (``f_<feature>``), so a window aggregate over a
feature reads that column only; it is a ReplacingMergeTree ordered by (ts, event_id), and every
read uses ``FINAL``, so a re-delivered event is never counted twice. Feature schemas are
versioned, and a version is a real change only: a new feature (added), or a removal, declared
(``remove_features``) or inferred after ``feature_absence_s`` without a value. A feature that a
batch does not carry has missing values there; the current schema is every live feature.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from driftline.errors import NotFoundError, ValidationError
from driftline.ingest.validation import FeatureKind
from driftline.storage._backend import Column, Columns
from driftline.storage._event_reads import EVENT_COLUMNS, EventReads
from driftline.storage._feature_activity import FeatureActivity
from driftline.storage._sql import (
    check_model,
    delete_rows,
    events_table,
    feature_column,
)
from driftline.storage.dialect import quote

if TYPE_CHECKING:
    from driftline.ingest.events import EventBatch
    from driftline.storage.store import Store

__all__ = ["DEFAULT_FEATURE_ABSENCE_S", "EVENT_COLUMNS", "FEATURE_TYPES", "MODEL_COLUMNS",
           "SCHEMA_COLUMNS", "Events", "FeatureSchema", "ModelInfo", "feature_column"]

FEATURE_TYPES = {FeatureKind.NUMERIC: "Nullable(Float64)",
                 FeatureKind.CATEGORICAL: "Nullable(String)"}
MODEL_COLUMNS = {"name": "String", "created_at": "DateTime('UTC')"}
SCHEMA_COLUMNS = {"model": "String", "version": "UInt32", "features": "String",
                  "added": "String", "removed": "String", "created_at": "DateTime('UTC')"}
#: a feature without a value for this long (seconds) is removed on the model's next write
DEFAULT_FEATURE_ABSENCE_S = 7 * 86400.0
#: the longest ALTER statement sent (ClickHouse 18.16 parses at most 256 KiB of a query)
_MAX_ALTER_CHARS = 200_000


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


class Events(EventReads):
    """``store.events``: models, feature schemas and raw events. Thread-safe: one schema lock
    per model, so one model's schema change never waits for another's.

    ``feature_absence_s``: a live feature that had no value for this long (by the clock of
    the writes, ``clock``) is recorded as removed on the model's next write (``Settings``:
    ``DRIFTLINE_FEATURE_ABSENCE_S``).
    """

    def __init__(self, store: Store, *,
                 feature_absence_s: float = DEFAULT_FEATURE_ABSENCE_S,
                 clock: Callable[[], float] = time.time) -> None:
        self._store = store
        self.feature_absence_s = feature_absence_s
        self.clock = clock
        self._locks: dict[str, threading.RLock] = {}
        self._locks_guard = threading.Lock()
        self._insert_locks: dict[str, threading.Lock] = {}
        self._activity = FeatureActivity(store)
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

    def schema_lock(self, model: str) -> threading.RLock:
        """The lock that orders the schema changes of ``model`` (re-entrant)."""
        with self._locks_guard:
            lock = self._locks.get(model)
            if lock is None:
                lock = self._locks[model] = threading.RLock()
            return lock

    def evolve_schema(self, model: str, seen: Mapping[str, FeatureKind]) -> FeatureSchema:
        """The schema to store a batch under; records a new version when it changes.

        ``seen``: the features with values in the batch, and their kinds. A feature seen
        for the first time (or again after its removal) is added (a new column); a live
        feature without a value for ``feature_absence_s`` is removed (its column, history
        and kind are kept). A feature the batch does not carry, or carries without values,
        is neither: missing values are data.
        """
        with self.schema_lock(model):
            now = self.clock()
            current = self.current_schema(model)
            absent: tuple[str, ...] = ()
            if current is not None:
                absent = self._activity.absent(model, set(current.features) - set(seen), now,
                                               self.feature_absence_s)
                if set(seen) <= set(current.features) and not absent:
                    self._touch(model, seen, now)
                    return current
            # something changes: start from what is stored (another writer may have been first)
            self.forget_model(model)
            current = self.current_schema(model)
            if current is None:
                self._create_model(model)
            base = dict(current.features) if current else {}
            conflicts = [n for n in seen if n in base and base[n] is not seen[n]]
            if conflicts:
                raise ValidationError(f"features {conflicts} change kind", field="features")
            added = tuple(sorted(set(seen) - set(base)))
            removed = tuple(n for n in absent if n in base)
            if current is not None and not added and not removed:
                self._touch(model, seen, now)
                return current
            self._add_columns(model, {name: seen[name] for name in added})
            schema = self._record_version(model, current, base, added, removed,
                                          {name: seen[name] for name in added})
            self._touch(model, seen, now)
            return schema

    def remove_features(self, model: str, names: Iterable[str]) -> FeatureSchema:
        """Declare features of ``model`` removed (a new version; their columns, history and
        kinds are kept, and a value sent later adds them again). Names already removed are
        ignored; ``NotFoundError`` for a model or a feature that never existed."""
        names = list(dict.fromkeys(names))
        for name in names:
            feature_column(name)  # a precise error for a malformed name
        with self.schema_lock(model):
            self.forget_model(model)
            current = self.current_schema(model)
            if current is None:
                raise NotFoundError(f"model {model!r} does not exist", what="model",
                                    name=model)
            unknown = [n for n in names if n not in self.known_kinds(model)]
            if unknown:
                raise NotFoundError(f"model {model!r} has no feature "
                                    f"{', '.join(map(repr, unknown))}", what="feature",
                                    name=unknown[0])
            removed = tuple(sorted(n for n in names if n in current.features))
            if not removed:
                return current
            return self._record_version(model, current, current.features, (), removed, {})

    def _touch(self, model: str, seen: Iterable[str], now: float) -> None:
        # the recorded last-seen times trail by at most 1/24 of the absence (an hour at most)
        self._activity.touch(model, seen, now, min(3600.0, self.feature_absence_s / 24))

    def _record_version(self, model: str, current: FeatureSchema | None,
                        base: Mapping[str, FeatureKind], added: tuple[str, ...],
                        removed: tuple[str, ...],
                        new: Mapping[str, FeatureKind]) -> FeatureSchema:
        features = {k: v for k, v in base.items() if k not in removed}
        features.update(new)
        # whole seconds: what the DateTime column gives back, so a re-read schema is equal
        schema = FeatureSchema(model, (current.version if current else 0) + 1, features,
                               added, removed, float(int(time.time())))
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
        """The missing columns, in one ALTER (more only past ``_MAX_ALTER_CHARS``)."""
        if not kinds:
            return
        dialect = self._store.dialect
        existing = set(self._select(dialect.columns_of(events_table(model)))["name"])
        # a removed feature that came back, or another writer's, has its column already
        missing = {feature_column(name): FEATURE_TYPES[kind] for name, kind in kinds.items()
                   if feature_column(name) not in existing}
        chunk: dict[str, str] = {}
        size = 0
        for column, ch_type in missing.items():
            clause = len(column) + len(ch_type) + 40
            if chunk and size + clause > _MAX_ALTER_CHARS:
                self._store.backend.execute(dialect.add_columns(events_table(model), chunk))
                chunk, size = {}, 0
            chunk[column] = ch_type
            size += clause
        if chunk:
            self._store.backend.execute(dialect.add_columns(events_table(model), chunk))

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
        self._activity.forget(model)

    def forget_all(self) -> None:
        """Drop what this process caches about every model."""
        self._schemas.clear()
        self._known.clear()
        self._activity.forget_all()

    def drop_model(self, model: str) -> None:
        """Delete a model: its events table, its registration and its schema versions."""
        dialect = self._store.dialect
        with self.schema_lock(model):
            self._store.backend.execute(dialect.drop_table(events_table(model)))
            delete_rows(self._store, "models", f"name = {quote(model)}")
            delete_rows(self._store, "feature_schemas", f"model = {quote(model)}")
            self._activity.drop_model(model)
            self.forget_model(model)

    # -- events ---------------------------------------------------------------------------
    def insert(self, batch: EventBatch, schema: FeatureSchema) -> int:
        """Store validated events under ``schema`` (see ``evolve_schema``); returns how many
        were stored.

        A model stores an event id once: ids the model already has (whatever timestamp they
        came with) and repeats within the batch (the first one wins) are left out. The lookup
        and the insert hold the model's insert lock, so two requests of this process never
        store the same id twice; writers in other processes can still race (then the
        ReplacingMergeTree folds identical (ts, event_id) rows, as before).
        """
        if not len(batch):
            return 0
        with self._insert_lock(batch.model):
            keep = self._unseen(batch.model, batch.event_id)
            n = len(batch) if keep is None else len(keep)
            if not n:
                return 0
            columns: dict[str, Column] = {
                "event_id": batch.event_id, "ts": batch.ts,
                "model_version": batch.model_version, "prediction": batch.prediction,
                "prediction_label": batch.prediction_label,
                "prediction_probs": batch.prediction_probs, "latency_ms": batch.latency_ms,
                "tags": batch.tags,
            }
            types = dict(EVENT_COLUMNS)
            for name, values in batch.features.items():
                col = feature_column(name)
                columns[col] = values
                types[col] = FEATURE_TYPES[batch.kinds[name]]
            if keep is not None:
                columns = {name: _rows(values, keep) for name, values in columns.items()}
            columns["schema_version"] = np.full(n, schema.version, dtype=np.uint32)
            self._store.backend.insert(self._table(batch.model), columns, types)
            return n

    def _insert_lock(self, model: str) -> threading.Lock:
        with self._locks_guard:
            return self._insert_locks.setdefault(model, threading.Lock())

    def _unseen(self, model: str, event_ids: Column) -> list[int] | None:
        """Positions of the ids to store (the first of each id the model does not have yet),
        or None when that is all of them. One query per ~200 KB of ids (ClickHouse parses at
        most ``max_query_size``, 256 KiB by default, of a query)."""
        ids = event_ids.tolist() if isinstance(event_ids, np.ndarray) else list(event_ids)
        first: dict[str, int] = {}
        for position, event_id in enumerate(ids):
            first.setdefault(str(event_id), position)
        stored: set[str] = set()
        chunk: list[str] = []
        size = 0
        for event_id in (*first, None):
            if event_id is not None:
                chunk.append(_literal(event_id))
                size += len(chunk[-1]) + 2
            if chunk and (event_id is None or size > _ID_QUERY_BYTES):
                found = self._select(f"SELECT DISTINCT event_id FROM {self._table(model)}"
                                     f" WHERE event_id IN ({', '.join(chunk)})")
                stored.update(str(e) for e in found["event_id"])
                chunk, size = [], 0
        if not stored and len(first) == len(ids):
            return None
        return [position for event_id, position in first.items() if event_id not in stored]


#: bytes of quoted event ids in one lookup query (see ``Events._unseen``)
_ID_QUERY_BYTES = 200_000


_CONTROL = {c: f"\\x{c:02x}" for c in (*range(0x20), 0x7F)}


def _literal(value: str) -> str:
    """A string literal that also escapes control characters (a NUL must not end the
    query text an engine is handed)."""
    return quote(value).translate(_CONTROL)


def _rows(values: Column, keep: list[int]) -> Column:
    if isinstance(values, np.ndarray):
        return values[np.asarray(keep, dtype=np.int64)]
    return [values[i] for i in keep]
