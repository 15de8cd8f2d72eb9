"""Validate, evolve the schema and store: the one write path the API, the SDK's in-process
exporter and the CLI all go through."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from driftline.ingest.columnar import validate_columns
from driftline.ingest.events import (
    EventBatch,
    Rejection,
    validate_events,
    validate_labels,
)
from driftline.ingest.validation import check_model_name, is_model_name

if TYPE_CHECKING:
    import pandas as pd

    from driftline.storage import FeatureSchema, Store

__all__ = ["IngestReport", "Ingestor"]


@dataclass(slots=True)
class IngestReport:
    """What happened to one request: how many items were stored, and why the others were not."""

    accepted: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    schema_changes: list[FeatureSchema] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "rejected": [r.as_dict() for r in self.rejected],
            "schema_changes": [
                {"model": s.model, "version": s.version, "added": list(s.added),
                 "removed": list(s.removed)}
                for s in self.schema_changes
            ],
        }


class Ingestor:
    """Stores raw events and labels; never rejects a batch whole for one bad item."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._lock = threading.Lock()

    def ingest_events(self, events: Sequence[Mapping[str, Any]], *,
                      default_model: str | None = None) -> IngestReport:
        report = IngestReport()
        models = {str(e.get("model", default_model)) for e in events if isinstance(e, Mapping)}
        known = {m: self.store.events.known_kinds(m) for m in models if is_model_name(m)}
        batches, report.rejected = validate_events(events, known, default_model=default_model)
        for batch in batches.values():
            self._store_batch(batch, report)
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
        batch, report.rejected = validate_columns(model, columns, known)
        self._store_batch(batch, report)
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

    def _store_batch(self, batch: EventBatch, report: IngestReport) -> None:
        if not len(batch):
            return
        model = batch.model
        with self._lock:
            before = self.store.events.current_schema(model)
            schema = self.store.events.evolve_schema(model, batch.kinds, batch.sent)
            if before is None or schema.version != before.version:
                report.schema_changes.append(schema)
        report.accepted += self.store.events.insert(batch, schema)

    def ingest_labels(self, labels: Sequence[Mapping[str, Any]]) -> IngestReport:
        report = IngestReport()
        batches, report.rejected = validate_labels(labels)
        for batch in batches.values():
            report.accepted += self.store.labels.insert(batch)
        return report
