"""The Store: one interface over embedded chDB and a ClickHouse server, one schema
(``driftline.ingest.schema``).

Reads of ``events_*`` and ``labels`` use ``FINAL`` so re-delivered rows are never counted twice.
The SQL here is the portable core that runs on chDB 26.x and ClickHouse 18.16; backends only
execute and insert.
"""

from __future__ import annotations

import abc
import json
import math
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from driftline.errors import ValidationError
from driftline.ingest._names import MODEL_NAME
from driftline.ingest.events import (
    Column,
    EventBatch,
    FeatureKind,
    LabelBatch,
)
from driftline.ingest.schema import (
    EVENT_COLUMNS,
    FEATURE_TYPES,
    LABEL_COLUMNS,
    MODEL_COLUMNS,
    RESULT_COLUMNS,
    SCHEMA_COLUMNS,
    FeatureSchema,
    ModelInfo,
    ResultRow,
    check_model,
    ddl,
    feature_column,
    quote_string,
)

# the records and helpers of driftline.ingest.schema, re-exported: the Store's vocabulary
__all__ = ["Columns", "FeatureSchema", "ModelInfo", "ResultRow", "Store", "feature_column",
           "quote_string"]

Columns = dict[str, npt.NDArray[Any]]


def _changes(base: Mapping[str, FeatureKind], seen: Mapping[str, FeatureKind],
             carried: set[str]) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """(added, removed) feature names against ``base``; None when nothing changes."""
    added = tuple(sorted(set(seen) - set(base)))
    removed = tuple(sorted(set(base) - carried))
    return (added, removed) if added or removed else None


class Store(abc.ABC):
    """Storage for events, labels, schemas and results. Thread-safe."""

    def __init__(self, database: str) -> None:
        if not MODEL_NAME.match(database) or "-" in database:
            raise ValidationError(f"database name {database!r} is not a plain identifier",
                                  field="database")
        self.database = database
        self._schema_lock = threading.Lock()
        self._schemas: dict[str, FeatureSchema] = {}
        self._known: dict[str, tuple[int, dict[str, FeatureKind]]] = {}

    # -- what a backend provides -------------------------------------------------------
    @abc.abstractmethod
    def _command(self, sql: str) -> None:
        """Run a statement that returns nothing."""

    @abc.abstractmethod
    def _select(self, sql: str) -> Columns:
        """Run a query; columns by name, as numpy arrays (object arrays for strings)."""

    @abc.abstractmethod
    def _insert(self, table: str, columns: Mapping[str, Column],
                types: Mapping[str, str]) -> None:
        """Insert columnar data: lists or numpy arrays (float64 with NaN for a missing value
        of a Nullable(Float64) column); DateTime columns arrive as epoch seconds."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release connections / sessions. Idempotent."""

    @property
    @abc.abstractmethod
    def server_version(self) -> tuple[int, ...]:
        """(major, minor, ...) of the ClickHouse engine."""

    @property
    def modern(self) -> bool:
        """True when the engine has modern-only features (LowCardinality, TTL, SQL-side KS)."""
        return self.server_version >= (21, 0)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- schema --------------------------------------------------------------------------
    def migrate(self) -> None:
        """Create the database and the shared tables; running it twice changes nothing."""
        db = self.database
        self._command(f"CREATE DATABASE IF NOT EXISTS {db}")
        self._command(f"CREATE TABLE IF NOT EXISTS {db}.models ({ddl(MODEL_COLUMNS)})"
                      " ENGINE = ReplacingMergeTree() ORDER BY name")
        self._command(f"CREATE TABLE IF NOT EXISTS {db}.feature_schemas"
                      f" ({ddl(SCHEMA_COLUMNS)})"
                      " ENGINE = ReplacingMergeTree() ORDER BY (model, version)")
        self._command(f"CREATE TABLE IF NOT EXISTS {db}.labels ({ddl(LABEL_COLUMNS)})"
                      " ENGINE = ReplacingMergeTree(received_ns) ORDER BY (model, event_id)")
        self._command(
            f"CREATE TABLE IF NOT EXISTS {db}.results ({ddl(RESULT_COLUMNS)})"
            " ENGINE = ReplacingMergeTree(run_ns) PARTITION BY toYYYYMM(window_start)"
            " ORDER BY (model, monitor_id, test, feature, window_start)")

    def _events_table(self, model: str) -> str:
        return f"{self.database}.`events_{check_model(model)}`"

    def list_models(self) -> list[ModelInfo]:
        models = self._select(
            f"SELECT name, toUnixTimestamp(min(created_at)) AS created_at"
            f" FROM {self.database}.models GROUP BY name ORDER BY name")
        out = []
        for name, created in zip(models["name"], models["created_at"], strict=True):
            schema = self.current_schema(str(name))
            out.append(ModelInfo(str(name), float(created),
                                 schema.version if schema else 0,
                                 len(schema.features) if schema else 0))
        return out

    def schema_versions(self, model: str) -> list[FeatureSchema]:
        rows = self._select(
            f"SELECT DISTINCT version, features, added, removed,"
            f" toUnixTimestamp(created_at) AS created_at FROM {self.database}.feature_schemas"
            f" WHERE model = {quote_string(check_model(model))} ORDER BY version")
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
                self._ensure_model(model)
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
            self._insert(f"{self.database}.feature_schemas",
                         {"model": [model], "version": [schema.version],
                          "features": [json.dumps({k: v.value for k, v in features.items()},
                                                  sort_keys=True)],
                          "added": [json.dumps(list(added))],
                          "removed": [json.dumps(list(removed))],
                          "created_at": [schema.created_at]},
                         SCHEMA_COLUMNS)
            self._schemas[model] = schema
            return schema

    def _add_columns(self, model: str, kinds: Mapping[str, FeatureKind]) -> None:
        if not kinds:
            return
        table = self._events_table(model)
        existing = set(self._select(
            f"SELECT name FROM system.columns WHERE database = {quote_string(self.database)}"
            f" AND table = {quote_string('events_' + model)}")["name"])
        for name, kind in kinds.items():
            column = feature_column(name)
            if column in existing:  # a removed feature that came back, or another writer
                continue
            # 18.16 lacks ADD COLUMN IF NOT EXISTS: the check above, and modern servers get it
            clause = "IF NOT EXISTS " if self.modern else ""
            self._command(f"ALTER TABLE {table} ADD COLUMN {clause}{column} "
                          f"{FEATURE_TYPES[kind]}")

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

    def _ensure_model(self, model: str) -> None:
        table = self._events_table(model)
        self._command(
            f"CREATE TABLE IF NOT EXISTS {table} ({ddl(EVENT_COLUMNS)})"
            " ENGINE = ReplacingMergeTree() PARTITION BY toYYYYMM(ts) ORDER BY (ts, event_id)")
        self._insert(f"{self.database}.models", {"name": [model], "created_at": [time.time()]},
                     MODEL_COLUMNS)

    # -- writes ----------------------------------------------------------------------------
    def insert_events(self, batch: EventBatch, schema: FeatureSchema) -> int:
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
        self._insert(self._events_table(batch.model), columns, types)
        return len(batch)

    def insert_labels(self, batch: LabelBatch) -> int:
        if not len(batch):
            return 0
        now = time.time_ns()
        self._insert(f"{self.database}.labels", {
            "model": [batch.model] * len(batch), "event_id": batch.event_id,
            "label": batch.label, "label_class": batch.label_class, "ts": batch.ts,
            # later labels win; within one batch the later item wins
            "received_ns": [now + i for i in range(len(batch))],
        }, LABEL_COLUMNS)
        return len(batch)

    def insert_results(self, rows: Sequence[ResultRow]) -> int:
        if not rows:
            return 0
        now = time.time_ns()
        columns: dict[str, list[Any]] = {name: [] for name in RESULT_COLUMNS}
        for row in rows:
            for name in RESULT_COLUMNS:
                value = getattr(row, name)
                if name == "details":
                    value = json.dumps(value, sort_keys=True, default=str)
                elif name == "drifted":
                    value = int(value)
                elif name == "run_ns":
                    value = value or now
                elif name in ("statistic", "p_value", "threshold", "effect_size"):
                    value = math.nan if value is None else float(value)
                columns[name].append(value)
        self._insert(f"{self.database}.results", columns, RESULT_COLUMNS)
        return len(rows)

    # -- reads -----------------------------------------------------------------------------
    def _window(self, start: float | None, end: float | None) -> str:
        parts = ["1"]
        if start is not None:
            parts.append(f"ts >= toDateTime({math.floor(start)}, 'UTC')")
        if end is not None:
            parts.append(f"ts < toDateTime({math.ceil(end)}, 'UTC')")
        return " AND ".join(parts)

    def count_events(self, model: str, start: float | None = None,
                     end: float | None = None) -> int:
        if self.current_schema(model) is None:
            return 0
        rows = self._select(f"SELECT count() AS n FROM {self._events_table(model)} FINAL"
                            f" WHERE {self._window(start, end)}")
        return int(rows["n"][0])

    def time_bounds(self, model: str) -> tuple[float, float] | None:
        """(first, last) event time of a model; duplicates do not matter, so no FINAL."""
        if self.current_schema(model) is None:
            return None
        rows = self._select(f"SELECT count() AS n, toUnixTimestamp(min(ts)) AS lo,"
                            f" toUnixTimestamp(max(ts)) AS hi FROM {self._events_table(model)}")
        if not int(rows["n"][0]):
            return None
        return float(rows["lo"][0]), float(rows["hi"][0])

    def read_events(self, model: str, columns: Sequence[str], start: float | None = None,
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
        sql = (f"SELECT {', '.join(exprs)} FROM {self._events_table(model)} FINAL"
               f" WHERE {self._window(start, end)}")
        order = "ts DESC, event_id DESC" if newest_first else "ts, event_id"
        if limit is not None and sample_seed is not None:
            digest = f"cityHash64(event_id, {int(sample_seed)})"
            order = f" ORDER BY {digest} LIMIT {int(limit)}"
            if total is not None and total > 2 * limit + 1000:
                share = (2 * limit + 1000) / total  # P(fewer than limit pass) is negligible
                cut = min(int(share * 2.0**64), 2**64 - 1)
                picked = _renamed(self._select(f"{sql} AND {digest} < {cut}{order}"), renames)
                if len(next(iter(picked.values()), ())) >= limit:
                    return picked
            sql += order
        elif limit is not None:
            sql += f" ORDER BY {order} LIMIT {int(limit)}"
        else:
            sql += f" ORDER BY {order}"
        return _renamed(self._select(sql), renames)

    def numeric_profile(self, model: str, features: Sequence[str], start: float | None,
                        end: float | None, quantiles: Sequence[float] = (0.25, 0.5, 0.75),
                        ) -> dict[str, dict[str, float]]:
        """Count, nulls, moments, min/max and quantiles of numeric features: one query."""
        exprs = ["count() AS n_rows"]
        for i, name in enumerate(features):
            c = feature_column(name)
            exprs += [f"count({c}) AS n_{i}", f"avg({c}) AS mean_{i}",
                      f"stddevPop({c}) AS std_{i}", f"min({c}) AS min_{i}",
                      f"max({c}) AS max_{i}"]
            # one t-digest per feature for all levels: bounded memory whatever the window size
            # (quantileExact keeps every value), and a third of the work of one per level
            levels = ", ".join(repr(float(q)) for q in quantiles)
            exprs.append(f"quantilesTDigest({levels})({c}) AS q_{i}")
        rows = self._select(f"SELECT {', '.join(exprs)} FROM {self._events_table(model)} FINAL"
                            f" WHERE {self._window(start, end)}")
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

    def bin_counts(self, model: str, edges: Mapping[str, npt.ArrayLike], start: float | None,
                   end: float | None) -> dict[str, npt.NDArray[np.int64]]:
        """Counts per bin of numeric features in one query.

        Bin ``i`` holds ``edges[i-1] <= x < edges[i]`` (``numpy.searchsorted(edges, x,
        side="right")``), so ``len(edges) + 1`` bins; missing values are not counted.
        """
        exprs = []
        for i, (name, cuts) in enumerate(edges.items()):
            c = feature_column(name)
            exprs.append(f"count({c}) AS total_{i}")
            exprs += [f"countIf({c} < {float(e)!r}) AS lt_{i}_{j}"
                      for j, e in enumerate(np.asarray(cuts, dtype=np.float64))]
        rows = self._select(f"SELECT {', '.join(exprs)} FROM {self._events_table(model)} FINAL"
                            f" WHERE {self._window(start, end)}")
        out: dict[str, npt.NDArray[np.int64]] = {}
        for i, (name, cuts) in enumerate(edges.items()):
            k = len(np.asarray(cuts))
            cumulative = [int(rows[f"lt_{i}_{j}"][0]) for j in range(k)]
            cumulative.append(int(rows[f"total_{i}"][0]))
            out[name] = np.diff(np.asarray([0, *cumulative], dtype=np.int64)).astype(np.int64)
        return out

    def category_counts(self, model: str, features: Sequence[str], start: float | None,
                        end: float | None) -> dict[str, dict[str | None, int]]:
        """Counts per category (``None``: missing) of categorical features: one query, one
        scan of the window for all of them (``arrayJoin`` over (feature, value) tuples)."""
        if not features:
            return {}
        pairs = ", ".join(f"tuple({quote_string(f)}, ifNull({feature_column(f)}, ''),"
                          f" isNull({feature_column(f)}))" for f in features)
        rows = self._select(
            "SELECT tupleElement(kv, 1) AS feature, tupleElement(kv, 2) AS value,"
            " tupleElement(kv, 3) AS missing, count() AS n FROM (SELECT"
            f" arrayJoin([{pairs}]) AS kv FROM {self._events_table(model)} FINAL"
            f" WHERE {self._window(start, end)}) GROUP BY feature, value, missing")
        out: dict[str, dict[str | None, int]] = {f: {} for f in features}
        for feature, value, missing, n in zip(rows["feature"], rows["value"], rows["missing"],
                                              rows["n"], strict=True):
            out[str(feature)][None if missing else str(value)] = int(n)
        return out

    def read_labeled(self, model: str, start: float | None = None,
                     end: float | None = None) -> Columns:
        """Events of a window joined with their latest label (events without one are left out).

        Columns: event_id, ts, prediction, prediction_label, label, label_class.
        """
        db = self.database
        return _renamed(self._select(
            f"SELECT event_id, toUnixTimestamp(ts) AS ts_epoch, prediction, prediction_label,"
            f" label, label_class FROM (SELECT event_id, ts, prediction, prediction_label"
            f" FROM {self._events_table(model)} FINAL WHERE {self._window(start, end)}) AS e"
            f" ANY INNER JOIN (SELECT event_id, argMax(label, received_ns) AS label,"
            f" argMax(label_class, received_ns) AS label_class FROM {db}.labels"
            f" WHERE model = {quote_string(check_model(model))} GROUP BY event_id) AS l"
            f" USING event_id ORDER BY ts, event_id"), {"ts_epoch": "ts"})

    def last_window_end(self, monitor_id: str) -> float | None:
        """The end of the last window a monitor stored a result for (None: none yet)."""
        rows = self._select(
            f"SELECT toUnixTimestamp(max(window_end)) AS last, count() AS n FROM"
            f" {self.database}.results WHERE monitor_id = {quote_string(monitor_id)}")
        return float(rows["last"][0]) if int(rows["n"][0]) else None

    def ping(self) -> None:
        """Raise a StoreError unless the store answers a trivial query."""
        self._select("SELECT 1 AS ok")

    def read_results(self, model: str | None = None, monitor_id: str | None = None,
                     start: float | None = None, end: float | None = None,
                     limit: int = 10_000) -> list[ResultRow]:
        where = ["1"]
        if model is not None:
            where.append(f"model = {quote_string(check_model(model))}")
        if monitor_id is not None:
            where.append(f"monitor_id = {quote_string(monitor_id)}")
        if start is not None:
            where.append(f"window_start >= toDateTime({int(start)}, 'UTC')")
        if end is not None:
            where.append(f"window_end <= toDateTime({int(end)}, 'UTC')")
        time_cols = ("window_start", "window_end", "reference_start", "reference_end")
        exprs = [f"toUnixTimestamp({c}) AS {c}" if c in time_cols else c
                 for c in RESULT_COLUMNS]
        rows = self._select(
            f"SELECT {', '.join(exprs)} FROM {self.database}.results FINAL"
            f" WHERE {' AND '.join(where)} ORDER BY window_start, monitor_id, test, feature"
            f" LIMIT {int(limit)}")
        out = []
        for i in range(len(rows["model"])):
            values: dict[str, Any] = {c: rows[c][i] for c in RESULT_COLUMNS}
            values["details"] = json.loads(values["details"] or "{}")
            values["drifted"] = bool(values["drifted"])
            for c in ("window_start", "window_end", "reference_start", "reference_end",
                      "statistic", "p_value", "threshold", "effect_size"):
                values[c] = float(values[c])
            for c in ("n_reference", "n_window", "run_ns"):
                values[c] = int(values[c])
            for c in ("monitor_id", "model", "test", "feature", "status"):
                values[c] = str(values[c])
            out.append(ResultRow(**values))
        return out


def _renamed(columns: Columns, renames: Mapping[str, str]) -> Columns:
    """Result columns under the names asked for (``ts`` as float epoch seconds)."""
    out = {renames.get(k, k): v for k, v in columns.items()}
    if "ts" in out and "ts_epoch" in columns:
        out["ts"] = out["ts"].astype(np.float64)
    return out


def _float(value: Any) -> float:
    return math.nan if value is None else float(value)

