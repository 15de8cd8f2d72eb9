"""The scheduler: evaluates each monitor's windows as they complete.

State lives in the results table: on start the scheduler asks which window a monitor last
stored and carries on from there, so a restart neither skips nor repeats a window.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence

from driftline.engine.monitor import Monitor
from driftline.engine.runner import Engine, WindowOutcome
from driftline.errors import DriftlineError
from driftline.ingest.store import Store

__all__ = ["Scheduler"]

log = logging.getLogger(__name__)


class Scheduler:
    def __init__(self, store: Store, monitors: Sequence[Monitor], *,
                 lateness_s: float = 60.0) -> None:
        """``lateness_s``: how long after a window ends it is evaluated (late events)."""
        self.engine = Engine(store)
        self.store = store
        self.monitors = list(monitors)
        self.lateness_s = lateness_s
        self._stop = threading.Event()

    def last_evaluated(self, monitor: Monitor) -> float | None:
        rows = self.store._select(
            f"SELECT toUnixTimestamp(max(window_end)) AS last, count() AS n FROM"
            f" {self.store.database}.results WHERE monitor_id = '{monitor.id}'")
        return float(rows["last"][0]) if int(rows["n"][0]) else None

    def run_once(self, now: float | None = None) -> dict[str, list[WindowOutcome]]:
        """Evaluate every window completed since the last run; returns them per monitor."""
        now = time.time() if now is None else now
        done: dict[str, list[WindowOutcome]] = {}
        for monitor in self.monitors:
            start = self.last_evaluated(monitor)
            if start is None:
                bounds = self.store.time_bounds(monitor.model)
                if bounds is None:
                    continue
                start = bounds[0]
            try:
                done[monitor.id] = self.engine.backfill(monitor, start, now - self.lateness_s)
            except DriftlineError as exc:
                log.warning("monitor %s failed: %s", monitor.id, exc)
        return done

    def run_forever(self, interval_s: float = 30.0) -> None:
        while not self._stop.is_set():
            self.run_once()
            self._stop.wait(interval_s)

    def stop(self) -> None:
        self._stop.set()
