"""Labels (ground truth) of events: the ``labels`` table.

A ReplacingMergeTree(received_ns) ordered by (model, event_id): a corrected label replaces the
old one (reads take ``argMax(..., received_ns)``, so they never depend on merges).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from driftline.storage._backend import Columns
from driftline.storage._sql import check_model, delete_rows, events_table, renamed, window_condition
from driftline.storage.dialect import quote

if TYPE_CHECKING:
    from driftline.ingest.events import LabelBatch
    from driftline.storage.store import Store

__all__ = ["LABEL_COLUMNS", "Labels"]

LABEL_COLUMNS = {"model": "String", "event_id": "String", "label": "Float64",
                 "label_class": "Nullable(String)", "ts": "DateTime('UTC')",
                 "received_ns": "UInt64"}


class Labels:
    """``store.labels``: labels, and events joined with their latest label."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def insert(self, batch: LabelBatch) -> int:
        """Store validated labels; returns the count. Later labels win; within one batch the
        later item wins."""
        if not len(batch):
            return 0
        now = time.time_ns()
        self._store.backend.insert(self._store.dialect.table("labels"), {
            "model": [batch.model] * len(batch), "event_id": batch.event_id,
            "label": batch.label, "label_class": batch.label_class, "ts": batch.ts,
            "received_ns": [now + i for i in range(len(batch))],
        }, LABEL_COLUMNS)
        return len(batch)

    def read_labeled(self, model: str, start: float | None = None,
                     end: float | None = None) -> Columns:
        """Events of a window joined with their latest label (events without one are left out).

        Columns: event_id, ts, prediction, prediction_label, prediction_probs, label,
        label_class.
        """
        dialect = self._store.dialect
        return renamed(self._store.backend.select(
            f"SELECT event_id, toUnixTimestamp(ts) AS ts_epoch, prediction, prediction_label,"
            f" prediction_probs, label, label_class FROM (SELECT event_id, ts, prediction,"
            f" prediction_label, prediction_probs"
            f" FROM {dialect.table(events_table(model))} FINAL"
            f" WHERE {window_condition(start, end)}) AS e"
            f" ANY INNER JOIN (SELECT event_id, argMax(label, received_ns) AS label,"
            f" argMax(label_class, received_ns) AS label_class FROM {dialect.table('labels')}"
            f" WHERE model = {quote(check_model(model))} GROUP BY event_id) AS l"
            f" USING event_id ORDER BY ts, event_id"), {"ts_epoch": "ts"})

    def latest_received_ns(self, model: str, start: float | None,
                           end: float | None) -> int | None:
        """When the newest label of an event with ``start <= ts < end`` arrived (``time_ns``);
        None when none of them has a label. A window whose value here grew since it was
        evaluated has new labels to evaluate."""
        if self._store.events.current_schema(model) is None:
            return None
        dialect = self._store.dialect
        rows = self._store.backend.select(
            f"SELECT max(received_ns) AS newest, count() AS n FROM {dialect.table('labels')}"
            f" WHERE model = {quote(check_model(model))} AND event_id IN (SELECT event_id"
            f" FROM {dialect.table(events_table(model))}"
            f" WHERE {window_condition(start, end)})")
        return int(rows["newest"][0]) if int(rows["n"][0]) else None

    def drop_model(self, model: str) -> None:
        """Delete every label of ``model``."""
        delete_rows(self._store, "labels", f"model = {quote(check_model(model))}")
