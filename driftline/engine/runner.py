"""The engine: evaluates monitors over windows with their kind and stores every record.

``Engine.evaluate(monitor, window)`` runs the monitor's kind (``driftline.engine.kinds``) and
writes the records it returns as one revision of that window; ``backfill`` does it for every
complete window of a time range. Kinds share one ``EvaluationContext``: a window profile is
one query per model and window for all of its monitors, and a detector is fitted once per
reference (a fixed or training reference once for a whole backfill).
"""

from __future__ import annotations

import dataclasses
import logging
import math
import time
from collections.abc import Callable
from typing import Any

from driftline.engine.kinds import Evaluation, EvaluationContext, MonitorKind, get_kind
from driftline.engine.kinds._base import record
from driftline.engine.monitor import Monitor
from driftline.engine.windows import Span
from driftline.storage import ResultRecord, ResultStatus, Store

__all__ = ["Engine", "Progress"]

log = logging.getLogger(__name__)

#: called with (windows done, windows in all) during a backfill
Progress = Callable[[int, int], None]


class Engine:
    """Runs monitors against one store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.context = EvaluationContext(store)
        self._kinds: dict[str, MonitorKind] = {}

    def kind_of(self, monitor: Monitor) -> MonitorKind:
        kind = self._kinds.get(monitor.kind)
        if kind is None:
            kind = self._kinds[monitor.kind] = get_kind(monitor.kind)()
        return kind

    def evaluate(self, monitor: Monitor, window: Span) -> Evaluation:
        """Evaluate one window and store its records (a new revision of the window)."""
        evaluation = self.kind_of(monitor).evaluate(monitor, window, self.context)
        revision = time.time_ns()
        records = tuple(r if r.revision else _with_revision(r, revision)
                        for r in evaluation.records)
        self.store.results.insert(list(records))
        return Evaluation(evaluation.monitor_id, evaluation.window, evaluation.status, records,
                          evaluation.outcome)

    def record_error(self, monitor: Monitor, window: Span, exc: Exception,
                     **details: Any) -> Evaluation:
        """Store an ``error`` record for a window that could not be evaluated (a monitor that
        cannot work as configured), so the API, alerts and dashboards see it; ``details``
        are added to the record's (the scheduler adds its retry)."""
        row = record(monitor, monitor.kind, window, monitor.reference.span_for(window), "*",
                     monitor.kind, math.nan, ResultStatus.ERROR,
                     details={"error": str(exc), "error_type": type(exc).__name__, **details},
                     revision=time.time_ns())
        self.store.results.insert([row])
        return Evaluation(monitor.id, window, ResultStatus.ERROR, (row,), exc)

    def record_gap(self, monitor: Monitor, gap: Span) -> Evaluation:
        """Store one ``no_data`` record for a stretch of windows without events (the
        scheduler's jump over a gap), instead of one record per empty window."""
        row = record(monitor, monitor.kind, gap, None, "*", monitor.kind, math.nan,
                     ResultStatus.NO_DATA, details={"note": "no events in this stretch",
                                                    "gap": True},
                     revision=time.time_ns())
        self.store.results.insert([row])
        return Evaluation(monitor.id, gap, ResultStatus.NO_DATA, (row,), None)

    def backfill(self, monitor: Monitor, start: float, end: float, *,
                 progress: Progress | None = None) -> list[Evaluation]:
        """Evaluate every complete window ending in ``(start, end]`` and store the results."""
        spans = list(monitor.window.spans(start, end))
        out = []
        for i, span in enumerate(spans):
            out.append(self.evaluate(monitor, span))
            if progress is not None:
                progress(i + 1, len(spans))
        return out


def _with_revision(row: ResultRecord, revision: int) -> ResultRecord:
    return dataclasses.replace(row, revision=revision)
