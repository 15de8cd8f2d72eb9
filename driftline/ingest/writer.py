"""Validate, evolve the schema and store: the one write path the API, the SDK's in-process
exporter and the CLI all go through."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from driftline.ingest.events import (
    MODEL_NAME,
    FeatureKind,
    Rejection,
    validate_events,
    validate_labels,
)
from driftline.ingest.store import FeatureSchema, Store

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
        self._kinds: dict[str, dict[str, FeatureKind]] = {}
        self._lock = threading.Lock()

    def _known_kinds(self, model: str) -> dict[str, FeatureKind]:
        kinds = self._kinds.get(model)
        if kinds is None:
            kinds = self.store.known_kinds(model)
            self._kinds[model] = kinds
        return kinds

    def ingest_events(self, events: Sequence[Mapping[str, Any]], *,
                      default_model: str | None = None) -> IngestReport:
        report = IngestReport()
        models = {str(e.get("model", default_model)) for e in events if isinstance(e, Mapping)}
        with self._lock:
            known = {m: self._known_kinds(m) for m in models if _plausible(m)}
        batches, report.rejected = validate_events(events, known, default_model=default_model)
        for model, batch in batches.items():
            with self._lock:
                before = self.store.current_schema(model)
                schema = self.store.evolve_schema(model, batch.kinds)
                if schema is not before:
                    report.schema_changes.append(schema)
                    self._kinds.setdefault(model, {}).update(batch.kinds)
            report.accepted += self.store.insert_events(batch, schema)
        return report

    def ingest_labels(self, labels: Sequence[Mapping[str, Any]]) -> IngestReport:
        report = IngestReport()
        batches, report.rejected = validate_labels(labels)
        for batch in batches.values():
            report.accepted += self.store.insert_labels(batch)
        return report


def _plausible(model: str) -> bool:
    return bool(MODEL_NAME.match(model))
