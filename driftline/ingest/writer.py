"""Validate, evolve the schema and store: the one write path the API, the SDK's in-process
exporter and the CLI all go through."""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from driftline.ingest.columnar import validate_columns
from driftline.ingest.events import (
    DEFAULT_LIMITS,
    EventBatch,
    IngestLimits,
    Rejection,
    validate_events,
    validate_labels,
)
from driftline.ingest.validation import TimeBounds, check_model_name, is_model_name

if TYPE_CHECKING:
    import pandas as pd

    from driftline.storage import FeatureSchema, Store

__all__ = ["IngestReport", "Ingestor"]


@dataclass(slots=True)
class IngestReport:
    """What happened to one request: how many items were stored, and why the others were not.

    ``duplicates``: valid events not stored because their model already had their event id
    (a re-delivery, whatever its timestamp) or an earlier event of the request did.
    """

    accepted: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    schema_changes: list[FeatureSchema] = field(default_factory=list)
    duplicates: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "rejected": [r.as_dict() for r in self.rejected],
            "schema_changes": [
                {"model": s.model, "version": s.version, "added": list(s.added),
                 "removed": list(s.removed)}
                for s in self.schema_changes
            ],
        }


class Ingestor:
    """Stores raw events and labels; never rejects a batch whole for one bad item.

    ``time_bounds``: refuse events too old or too far in the future, one by one (field
    ``timestamp``). The service passes ``Settings.time_bounds``; the default (None) keeps only
    the absolute 2000..2100 bounds, for loading history (backfills, the demo's 2013 replay).
    ``limits``: features per model and string lengths (``IngestLimits``).
    """

    def __init__(self, store: Store, *, time_bounds: TimeBounds | None = None,
                 limits: IngestLimits = DEFAULT_LIMITS) -> None:
        self.store = store
        self.time_bounds = time_bounds
        self.limits = limits

    def ingest_events(self, events: Sequence[Mapping[str, Any]], *,
                      default_model: str | None = None) -> IngestReport:
        report = IngestReport()
        models = {str(e.get("model", default_model)) for e in events if isinstance(e, Mapping)}
        known = {m: self.store.events.known_kinds(m) for m in models if is_model_name(m)}
        batches, report.rejected = validate_events(events, known, default_model=default_model,
                                                   limits=self.limits)
        for batch in batches.values():
            self._store_batch(self._within_bounds(batch, report), report)
        report.rejected.sort(key=lambda r: r.index)
        return report

    def ingest_columns(self, model: str, columns: Mapping[str, Any]) -> IngestReport:
        """Store a columnar batch of ``model`` (see ``driftline.ingest.columnar``): lists or
        numpy arrays, validated vectorized; a bad row is rejected by index, never the batch.

        Raises ``ValidationError`` when the batch as a whole is malformed (unknown column,
        columns of different lengths, bad model name).
        """
        report = IngestReport()
        check_model_name(model)
        known = self.store.events.known_kinds(model)
        batch, report.rejected = validate_columns(model, columns, known, limits=self.limits)
        self._store_batch(self._within_bounds(batch, report), report)
        report.rejected.sort(key=lambda r: r.index)
        return report

    def ingest_frame(
        self,
        model: str,
        df: pd.DataFrame,
        *,
        timestamp: str | None = "timestamp",
        prediction: str | None = "prediction",
        event_id: str | None = "event_id",
        model_version: str | None = "model_version",
        prediction_label: str | None = "prediction_label",
        latency_ms: str | None = "latency_ms",
    ) -> IngestReport:
        """Store a pandas DataFrame of ``model``'s events: one row per event.

        The columns named by the keyword arguments (when present in ``df``; None: never) are
        the event fields; every other column is a feature. ``timestamp`` is epoch seconds or a
        datetime column (naive = UTC); missing values (NaN, None, NA) are stored as NULL.
        Columns go to the store as numpy arrays, without per-row Python.
        """
        from driftline.ingest.frames import frame_columns

        return self.ingest_columns(model, frame_columns(
            df, timestamp=timestamp, prediction=prediction, event_id=event_id,
            model_version=model_version, prediction_label=prediction_label,
            latency_ms=latency_ms))

    def _within_bounds(self, batch: EventBatch, report: IngestReport) -> EventBatch:
        """The events of ``batch`` inside ``time_bounds``; the others go to the report."""
        if self.time_bounds is None or not len(batch):
            return batch
        now = time.time()
        low, high = self.time_bounds.limits(now)
        ts = np.asarray(batch.ts, dtype=np.float64)
        outside = (ts < low) | (ts > high)
        if not outside.any():
            return batch
        for i in np.flatnonzero(outside).tolist():
            report.rejected.append(Rejection(
                int(batch.indices[i]), "timestamp",
                self.time_bounds.reason(float(ts[i]), now) or "", str(batch.event_id[i])))
        return _take(batch, np.flatnonzero(~outside))

    def _store_batch(self, batch: EventBatch, report: IngestReport) -> None:
        if not len(batch):
            return
        model = batch.model
        # the model's own lock: another model's schema change (500 new columns) never waits
        with self.store.events.schema_lock(model):
            before = self.store.events.current_schema(model)
            schema = self.store.events.evolve_schema(model, batch.kinds)
            if before is None or schema.version != before.version:
                report.schema_changes.append(schema)
        stored = self.store.events.insert(batch, schema)
        report.accepted += stored
        report.duplicates += len(batch) - stored

    def ingest_labels(self, labels: Sequence[Mapping[str, Any]]) -> IngestReport:
        report = IngestReport()
        batches, report.rejected = validate_labels(labels, limits=self.limits)
        for batch in batches.values():
            report.accepted += self.store.labels.insert(batch)
        return report


def _take(batch: EventBatch, keep: np.ndarray[Any, Any]) -> EventBatch:
    """The rows ``keep`` of ``batch``; a feature left without values is no longer sent."""

    def rows(column: Any) -> Any:
        return column[keep] if isinstance(column, np.ndarray) else [column[i] for i in keep]

    features = {name: rows(values) for name, values in batch.features.items()}
    present = {name for name, values in features.items() if any(
        v is not None and not (isinstance(v, float) and math.isnan(v)) for v in values)}
    return replace(
        batch, event_id=rows(batch.event_id), ts=rows(batch.ts),
        model_version=rows(batch.model_version), prediction=rows(batch.prediction),
        prediction_label=rows(batch.prediction_label),
        prediction_probs=rows(batch.prediction_probs), latency_ms=rows(batch.latency_ms),
        tags=rows(batch.tags), indices=rows(batch.indices),
        features={n: v for n, v in features.items() if n in present},
        kinds={n: k for n, k in batch.kinds.items() if n in present})
